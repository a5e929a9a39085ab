// Structured fixes: each problem's preferred fix, applied to the text, gives the expected line and
// removes the problem (and adds no error). Also: one YAML error per root cause.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parsePipeline, type Diagnostic } from '../../src/core/pipeline/index';
import { applyEdits } from '../../src/core/pipeline/edits';

const ROOT = path.resolve(__dirname, '../../..');
const noCmd = { checkCommands: false };
const HEAD = ['apiVersion: flowctl/v1', 'kind: Pipeline', 'metadata:', '  name: t', 'spec:'];
const pipe = (...spec: string[]) => [...HEAD, ...spec].join('\n') + '\n';
const CHAIN = [
  '  sources:', // 6
  '    - id: ticker',
  '      command: [sh]',
  '  processors:', // 9
  '    - id: enrich',
  '      command: [sh]',
  '      inputs: [ticker]',
];

interface FixCase {
  name: string;
  text: string;
  code: string;
  title: RegExp;
  /** Lines (1-based) of the fixed text and what they must read. */
  lines: Record<number, string>;
  /** Alternatives offered besides the preferred fix (titles), when checked. */
  others?: string[];
}

const cases: FixCase[] = [
  {
    name: 'unknown input: did you mean (plain)',
    text: pipe(...CHAIN, '  sinks:', '    - id: out', '      command: [sh]', '      inputs: [enrch]'),
    code: 'unknown-input',
    title: /^Change to enrich$/,
    lines: { 16: '      inputs: [enrich]' },
  },
  {
    name: 'unknown input: the quote style is kept',
    text: pipe(...CHAIN, '  sinks:', '    - id: out', '      command: [sh]', '      inputs: ["tickr"]'),
    code: 'unknown-input',
    title: /^Change to "ticker"$/,
    lines: { 16: '      inputs: ["ticker"]' },
  },
  {
    name: 'unknown input with nothing close: every id is offered, none preferred',
    text: pipe(...CHAIN, '  sinks:', '    - id: out', '      command: [sh]', '      inputs: [zzz]'),
    code: 'unknown-input',
    title: /^$/,
    lines: {},
    others: ['Change to ticker', 'Change to enrich'],
  },
  {
    name: 'unknown depends_on: did you mean',
    text: pipe(...CHAIN, '      depends_on: [tikcer]'),
    code: 'unknown-depends-on',
    title: /^Change to ticker$/,
    lines: { 13: '      depends_on: [ticker]' },
  },
  {
    name: 'unknown key: rename',
    text: pipe(...CHAIN, '  sinks:', '    - id: out', '      command: [sh]', '      inputs: [enrich]', '      restart_polcy: always'),
    code: 'unknown-key',
    title: /^Rename to `restart_policy`$/,
    lines: { 17: '      restart_policy: always' },
  },
  {
    name: 'enum value: restart_policy never → "no" (quoted, as YAML 1.1 readers need)',
    text: pipe(...CHAIN, '      restart_policy: never'),
    code: 'restart-policy',
    title: /^Change to "no"$/,
    lines: { 13: '      restart_policy: "no"' },
  },
  {
    name: 'enum value: driver',
    text: pipe('  driver: procss', ...CHAIN),
    code: 'driver',
    title: /^Change to process$/,
    lines: { 6: '  driver: process' },
  },
  {
    name: 'enum value: port protocol in the wrong case',
    text: pipe(...CHAIN, '      ports: [{containerPort: 80, protocol: tcp}]'),
    code: 'port-protocol',
    title: /^Change to TCP$/,
    lines: { 13: '      ports: [{containerPort: 80, protocol: TCP}]' },
  },
  {
    name: 'missing apiVersion is added above the first key',
    text: ['# my pipeline', 'kind: Pipeline', 'metadata: {name: t}', 'spec:', ...CHAIN].join('\n') + '\n',
    code: 'api-version-required',
    title: /^Add `apiVersion: flowctl\/v1`$/,
    lines: { 1: '# my pipeline', 2: 'apiVersion: flowctl/v1', 3: 'kind: Pipeline' },
  },
  {
    name: 'missing kind is added after apiVersion',
    text: ['apiVersion: flowctl/v1', 'metadata: {name: t}', 'spec:', ...CHAIN].join('\n') + '\n',
    code: 'kind',
    title: /^Add `kind: Pipeline`$/,
    lines: { 1: 'apiVersion: flowctl/v1', 2: 'kind: Pipeline', 3: 'metadata: {name: t}' },
  },
  {
    name: 'missing kind in a file that ends without a newline',
    text: ['metadata: {name: t}', 'spec:', ...CHAIN, 'apiVersion: flowctl/v1'].join('\n'),
    code: 'kind',
    title: /^Add `kind: Pipeline`$/,
    lines: { 10: 'apiVersion: flowctl/v1', 11: 'kind: Pipeline' },
  },
  {
    name: 'wrong kind is replaced',
    text: pipe(...CHAIN).replace('kind: Pipeline', 'kind: Pipline'),
    code: 'kind',
    title: /^Change to Pipeline$/,
    lines: { 2: 'kind: Pipeline' },
  },
  {
    name: 'missing metadata.name is added among the metadata keys',
    text: ['apiVersion: flowctl/v1', 'kind: Pipeline', 'metadata:', '  namespace: x', 'spec:', ...CHAIN].join('\n') + '\n',
    code: 'name-required',
    title: /^Add `name: my-pipeline`$/,
    lines: { 3: 'metadata:', 4: '  name: my-pipeline', 5: '  namespace: x' },
  },
  {
    name: 'a sink without inputs gets the last processor as input, at the end of the item',
    text: pipe(...CHAIN, '  sinks:', '    - id: out', '      command:', '        - sh', '    - id: other', '      command: [sh]', '      inputs: [enrich]'),
    code: 'no-inputs',
    title: /^Add `inputs: \[enrich\]`$/,
    lines: { 14: '    - id: out', 15: '      command:', 16: '        - sh', 17: '      inputs: [enrich]', 18: '    - id: other' },
    others: ['Add `inputs: [ticker]`'],
  },
  {
    name: 'an invalid id is renamed together with its references',
    text: pipe('  sources:', '    - id: "my source"', '      command: [sh]', '  sinks:', '    - id: out', '      command: [sh]', '      inputs: ["my source"]', '      depends_on: [my source]'),
    code: 'invalid-id',
    title: /^Rename to my-source \(and 2 references\)$/,
    lines: { 7: '    - id: "my-source"', 12: '      inputs: ["my-source"]', 13: '      depends_on: [my-source]' },
  },
  {
    name: 'an invalid pipeline name',
    text: pipe(...CHAIN).replace('  name: t', '  name: My Pipeline!'),
    code: 'invalid-name',
    title: /^Change to My-Pipeline$/,
    lines: { 4: '  name: My-Pipeline' },
  },
  {
    name: 'an unclosed double quote is closed at the end of its line',
    text: pipe(...CHAIN, '      health_check: "/health', '      health_port: 8080'),
    code: 'yaml-unclosed',
    title: /^Close the quote at the end of line 13$/,
    lines: { 13: '      health_check: "/health"' },
  },
  {
    name: 'an unclosed bracket is closed where its list ends',
    text: pipe(...CHAIN, '      args: [a, b,', '        c', '  sinks: []'),
    code: 'yaml-unclosed',
    title: /^Add the closing '\]' at the end of line 14$/,
    lines: { 13: '      args: [a, b,', 14: '        c]' },
  },
  {
    name: 'a quoted number where an integer is expected',
    text: pipe(...CHAIN, '      health_port: "8080"'),
    code: 'type',
    title: /^Remove the quotes: 8080$/,
    lines: { 13: '      health_port: 8080' },
  },
  {
    name: 'a single input written without brackets',
    text: pipe('  sources:', '    - id: ticker', '      command: [sh]', '  sinks:', '    - id: out', '      command: [sh]', '      inputs: ticker'),
    code: 'type',
    title: /^Make it a list: \[ticker\]$/,
    lines: { 12: '      inputs: [ticker]' },
  },
  {
    name: 'an empty file gets a minimal pipeline',
    text: '',
    code: 'empty-file',
    title: /^Insert a minimal pipeline$/,
    lines: { 1: 'apiVersion: flowctl/v1', 2: 'kind: Pipeline' },
  },
];

function find(text: string, code: string): Diagnostic {
  const d = parsePipeline(text, 'flow.yml', noCmd).diagnostics.find((x) => x.code === code);
  assert.ok(d, `a ${code} diagnostic in:\n${text}`);
  return d;
}

for (const c of cases) {
  test(`fix: ${c.name}`, () => {
    const d = find(c.text, c.code);
    const preferred = (d.fixes ?? []).filter((f) => f.preferred);
    if (c.others) {
      assert.deepEqual(
        (d.fixes ?? []).filter((f) => !f.preferred).map((f) => f.title),
        c.others,
      );
    }
    if (c.title.source === '^$') {
      assert.equal(preferred.length, 0, 'no preferred fix');
      return;
    }
    assert.equal(preferred.length, 1, `exactly one preferred fix: ${JSON.stringify(d.fixes)}`);
    assert.match(preferred[0].title, c.title);
    const fixed = applyEdits(c.text, preferred[0].edits);
    const lines = fixed.split('\n');
    for (const [n, want] of Object.entries(c.lines)) assert.equal(lines[Number(n) - 1], want, `line ${n} of:\n${fixed}`);
    const after = parsePipeline(fixed, 'flow.yml', noCmd);
    assert.ok(!after.diagnostics.some((x) => x.code === c.code && x.line === d.line), `fixed:\n${fixed}\n${JSON.stringify(after.diagnostics)}`);
    const before = new Set(parsePipeline(c.text, 'flow.yml', noCmd).diagnostics.filter((x) => x.severity === 'error').map((x) => x.code));
    const newErrors = after.diagnostics.filter((x) => x.severity === 'error' && !before.has(x.code));
    assert.deepEqual(newErrors, [], `the fix adds no new kind of error:\n${fixed}`);
  });
}

test('one YAML error per root cause: each one-space indentation slip in the demo pipeline is one problem, naming the columns', () => {
  const demo = fs.readFileSync(path.join(ROOT, 'examples/demo/flow.yml'), 'utf8').split('\n');
  let slips = 0;
  for (let i = 10; i < demo.length; i++) {
    if (!demo[i].trim() || demo[i].trim().startsWith('#')) continue;
    for (const variant of [' ' + demo[i], demo[i].slice(1)]) {
      const lines = [...demo];
      lines[i] = variant;
      const r = parsePipeline(lines.join('\n'), 'flow.yml', noCmd);
      const syntax = r.diagnostics.filter((d) => d.code.startsWith('yaml-'));
      if (syntax.length === 0) continue; // still valid YAML (e.g. a deeper env value)
      slips++;
      assert.equal(r.diagnostics.length, 1, `line ${i + 1} ${JSON.stringify(variant)}: ${JSON.stringify(r.diagnostics.map((d) => [d.line, d.message]))}`);
      const d = r.diagnostics[0];
      assert.ok(Math.abs(d.line - (i + 1)) <= 1, `reported near line ${i + 1}: line ${d.line}`);
      assert.match(d.fix ?? '', /starts at column \d+, but .* at column \d+/, `line ${i + 1}: ${d.fix}`);
    }
  }
  assert.ok(slips >= 20, `${slips} slips tried`);
});

test('independent YAML errors in different blocks are each reported', () => {
  const text = pipe('  sources:', '    - id: a', '      command: [sh]', '       env: {}', '  sinks:', '    - id: k', '      command: [sh]', '      inputs: [a]', '      inputs: [a]');
  const r = parsePipeline(text, 'flow.yml', noCmd);
  assert.deepEqual(
    r.diagnostics.map((d) => [d.code, d.line]),
    [
      ['yaml-syntax', 9],
      ['yaml-syntax', 14],
    ],
    JSON.stringify(r.diagnostics),
  );
});

test('a second `key:` on one line is named as such, not as an indentation problem', () => {
  const r = parsePipeline(pipe(...CHAIN.slice(0, 6), '      inputs: a: b'), 'flow.yml', noCmd);
  assert.deepEqual(r.diagnostics.map((d) => [d.code, d.line, d.column]), [['yaml-syntax', 12, 15]]);
  assert.match(r.diagnostics[0].fix!, /^a value cannot be `key: value` on the same line: quote it/);
});
