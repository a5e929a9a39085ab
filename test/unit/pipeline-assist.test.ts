// The completion and hover model at cursor positions (`|` in the text marks the cursor).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { completeAt, hoverAt } from '../../src/core/pipeline/assist';
import { parsePipeline } from '../../src/core/pipeline/index';

/** The text without its `|` marker, and the marker's offset. */
function at(marked: string): { text: string; offset: number } {
  const offset = marked.indexOf('|');
  assert.ok(offset >= 0 && marked.indexOf('|', offset + 1) === -1, 'exactly one | marker');
  return { text: marked.slice(0, offset) + marked.slice(offset + 1), offset };
}

function labels(marked: string, withModel = true): string[] {
  const { text, offset } = at(marked);
  const model = withModel ? parsePipeline(text, 'flow.yml', { checkCommands: false }).pipeline : undefined;
  return completeAt(text, offset, model).items.sort((a, b) => a.sortText.localeCompare(b.sortText)).map((i) => i.label);
}

const PIPE = (sinkLines: string[], more: string[] = []) =>
  [
    'apiVersion: flowctl/v1',
    'kind: Pipeline',
    'metadata:',
    '  name: demo',
    'spec:',
    '  sources:',
    '    - id: ticker',
    '      command: [node, ticker.js]',
    '    - id: quotes',
    '      command: [node, quotes.js]',
    '  processors:',
    '    - id: enrich',
    '      command: [node, enrich.js]',
    '      inputs: [ticker]',
    '  sinks:',
    '    - id: out',
    '      command: [node, out.js]',
    ...sinkLines,
    '    - id: counter',
    '      command: [node, counter.js]',
    '      inputs: [enrich]',
    ...more,
    '',
  ].join('\n');

test('ids in a flow inputs list: the components that exist, upstream roles first, never itself or ids already listed', () => {
  assert.deepEqual(labels(PIPE(['      inputs: [enrich, |]'])), ['ticker', 'quotes', 'counter']);
  assert.deepEqual(labels(PIPE(['      inputs: [|]'])), ['enrich', 'ticker', 'quotes', 'counter']);
  // A processor's inputs: sources first.
  assert.deepEqual(labels(PIPE([], ['    - id: late', '      command: [x]', '      inputs: [enrich]']).replace('      inputs: [ticker]', '      inputs: [|]')), [
    'ticker',
    'quotes',
    'out',
    'counter',
    'late',
  ]);
});

test('ids in a block inputs list and in depends_on, also while typing a prefix or inside quotes', () => {
  assert.deepEqual(labels(PIPE(['      inputs:', '        - enrich', '        - |'])), ['ticker', 'quotes', 'counter']);
  assert.deepEqual(labels(PIPE(['      inputs: [enrich]', '      depends_on: [q|]'])), ['enrich', 'ticker', 'quotes', 'counter']);
  const { text, offset } = at(PIPE(['      inputs: ["|"]']));
  const r = completeAt(text, offset);
  const enrich = r.items.find((i) => i.label === 'enrich')!;
  assert.equal(enrich.insertText, 'enrich', 'inside quotes: the bare id');
  assert.deepEqual(r.replace, { start: offset, end: offset });
});

test('the replaced range is the whole word under the cursor', () => {
  const { text, offset } = at(PIPE(['      inputs: [enr|ich]']));
  const r = completeAt(text, offset);
  assert.equal(text.slice(r.replace.start, r.replace.end), 'enrich');
});

test('ids work from the text alone (no model), e.g. while the file does not parse', () => {
  const broken = PIPE(['      inputs: [|'], ['  oops: "unclosed']);
  assert.deepEqual(labels(broken, false), ['enrich', 'ticker', 'quotes', 'counter']);
});

test('the value of inputs: suggests a one-item list', () => {
  const { text, offset } = at(PIPE(['      inputs: |']));
  const item = completeAt(text, offset).items.find((i) => i.label === 'enrich')!;
  assert.equal(item.insertText, '[enrich]');
  assert.equal(item.detail, 'processor (line 12)');
});

test('keys from the schema at the cursor: only those not yet written, required first', () => {
  assert.deepEqual(labels(PIPE(['      inputs: [enrich]', '      |'])).slice(0, 4), ['type', 'image', 'args', 'input_event_types']);
  assert.ok(!labels(PIPE(['      inputs: [enrich]', '      |'])).includes('command'), 'command is already there');
  assert.deepEqual(labels('apiVersion: flowctl/v1\n|\n'), ['kind', 'metadata', 'spec']);
  assert.deepEqual(labels('apiVersion: flowctl/v1\nmetadata:\n  name: x\n  |\n'), ['namespace', 'labels', 'annotations', 'description']);
  assert.deepEqual(labels('spec:\n  driver: process\n  s|\n'), ['description', 'sources', 'processors', 'sinks', 'pipelines', 'config']);
  assert.deepEqual(labels(PIPE(['      inputs: [enrich]', '      volumes:', '        - host_path: /x', '          |'])), ['name', 'mountPath', 'container_path', 'readonly']);
});

test('a new list item under a component section suggests the component keys, id first and preselected', () => {
  const { text, offset } = at(PIPE(['      inputs: [enrich]', '    - |']));
  const items = completeAt(text, offset).items.sort((a, b) => a.sortText.localeCompare(b.sortText));
  assert.equal(items[0].label, 'id');
  assert.equal(items[0].preselect, true);
  const inputs = items.find((i) => i.label === 'inputs')!;
  assert.equal(inputs.snippet, 'inputs: [$1]');
  assert.match(inputs.documentation!, /^\*\*inputs\*\* · list of component ids\n\nIds of the components whose events/);
  assert.equal(items.find((i) => i.label === 'volumes')!.snippet, 'volumes:\n  - $1');
  assert.equal(items.find((i) => i.label === 'env')!.snippet, 'env:\n  $1');
});

test('enum and fixed values from the schema, written so YAML reads them back as strings', () => {
  const { text, offset } = at(PIPE(['      inputs: [enrich]', '      restart_policy: |']));
  const r = completeAt(text, offset);
  assert.deepEqual(r.items.map((i) => [i.label, i.insertText]), [
    ['no', '"no"'],
    ['on-failure', 'on-failure'],
    ['always', 'always'],
    ['unless-stopped', 'unless-stopped'],
  ]);
  assert.deepEqual(labels('spec:\n  driver: |\n'), ['process', 'container', 'docker', 'kubernetes', 'k8s', 'nomad', 'local']);
  assert.deepEqual(labels('kind: |\n'), ['Pipeline']);
  assert.deepEqual(labels('apiVersion: |\n'), ['flowctl/v1']);
  assert.deepEqual(labels(PIPE(['      inputs: [enrich]', '      volumes:', '        - readonly: |'])), ['true', 'false']);
  assert.deepEqual(labels(PIPE(['      inputs: [enrich]', '      ports:', '        - protocol: |'])), ['TCP', 'UDP', 'SCTP']);
});

test('nothing in comments, free-form values or unknown places', () => {
  assert.deepEqual(labels('# a comment |\n'), []);
  assert.deepEqual(labels('spec:  # trailing |\n'), []);
  assert.deepEqual(labels(PIPE(['      inputs: [enrich]', '      env:', '        RATE: |'])), []);
  assert.deepEqual(labels(PIPE(['      inputs: [enrich]', '      config:', '        |'])), []);
  assert.deepEqual(labels(PIPE(['      inputs: [enrich]', '      command: [node, |]'])), []);
});

test('hover over a key explains it from the schema; over an id, shows the component', () => {
  const text = PIPE(['      inputs: [enrich]', '      restart_policy: always']);
  const key = hoverAt(text, text.indexOf('restart_policy') + 3)!;
  assert.equal(text.slice(key.start, key.end), 'restart_policy');
  assert.match(key.markdown, /^\*\*restart_policy\*\* · one of no, on-failure, always, unless-stopped\n\nWhat to do when the component exits/);
  assert.match(key.markdown, /Allowed: `no`, `on-failure`, `always`, `unless-stopped`$/);

  const model = parsePipeline(text, 'flow.yml', { checkCommands: false }).pipeline;
  const off = text.indexOf('inputs: [enrich]', text.indexOf('id: out')) + 'inputs: [en'.length;
  const id = hoverAt(text, off, model)!;
  assert.equal(text.slice(id.start, id.end), 'enrich');
  assert.equal(id.markdown, '**processor `enrich`** · line 12\n\ncommand: `node enrich.js`\n\ninputs: `ticker`');

  const top = hoverAt(text, 2)!;
  assert.match(top.markdown, /^\*\*apiVersion\*\* · string\n\nVersion of the pipeline format/);
  assert.equal(hoverAt('spec:\n  nonsense: 1\n', 10), undefined, 'unknown keys have no hover');
  assert.equal(hoverAt(text, text.indexOf('node, ticker') + 2), undefined, 'command words have no hover');
});
