// Input that can't hurt: hostile ids and names, oversized files, deep nesting, alias bombs, sinks
// without inputs, secrets/volumes and event types — each with its message and exact place.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadPipelineFile, loadPipelineFileSync, parsePipeline, type Diagnostic } from '../../src/core/pipeline/index';
import { MAX_DIAGNOSTICS, MAX_PIPELINE_FILE_BYTES } from '../../src/core/pipeline/limits';

const HEAD = ['apiVersion: flowctl/v1', 'kind: Pipeline', 'metadata:', '  name: t', 'spec:'];
/** A pipeline whose spec body starts at line 6. */
const pipe = (...spec: string[]) => [...HEAD, ...spec].join('\n') + '\n';
const noCmd = { checkCommands: false };
const at = (d: Diagnostic) => [d.code, d.severity, d.line, d.column, d.message];
const only = (r: { diagnostics: Diagnostic[] }, code: string) => r.diagnostics.filter((d) => d.code === code).map(at);

interface Case {
  name: string;
  yaml: string;
  /** [code, severity, line, column, message] of every diagnostic with these codes. */
  expect: [string, string, number, number, string][];
  opts?: { orchestrator?: 'process' | 'container' };
}

const SRC = ['  sources:', '    - id: s', '      command: [sh]']; // lines 6-8

const cases: Case[] = [
  {
    name: 'an id that climbs out of the log folder',
    yaml: pipe('  sources:', '    - id: ../../escaped', '      command: [sh]'),
    expect: [['invalid-id', 'error', 7, 11, 'source id "../../escaped" is not allowed: it contains a path separator']],
  },
  {
    name: 'an absolute id',
    yaml: pipe('  sources:', '    - id: /etc/cron.d/x', '      command: [sh]'),
    expect: [['invalid-id', 'error', 7, 11, 'source id "/etc/cron.d/x" is not allowed: it contains a path separator']],
  },
  {
    name: 'an id with a newline (quoted) is shown escaped, never raw',
    yaml: pipe('  sources:', '    - id: "a\\nb"', '      command: [sh]'),
    expect: [['invalid-id', 'error', 7, 11, 'source id "a\\nb" is not allowed: it contains a control character (a newline, tab, escape…)']],
  },
  {
    name: 'an id with an escape sequence',
    yaml: pipe('  sources:', '    - id: "x\\e[2Jy"', '      command: [sh]'),
    expect: [['invalid-id', 'error', 7, 11, 'source id "x\\u001b[2Jy" is not allowed: it contains a control character (a newline, tab, escape…)']],
  },
  {
    name: 'an id starting with a dot or dash',
    yaml: pipe('  sources:', '    - id: .hidden', '      command: [sh]', '    - id: "-x"', '      command: [sh]'),
    expect: [
      ['invalid-id', 'error', 7, 11, 'source id ".hidden" is not allowed: it starts with "."'],
      ['invalid-id', 'error', 9, 11, 'source id "-x" is not allowed: it starts with "-"'],
    ],
  },
  {
    name: 'an id with spaces and other characters',
    yaml: pipe('  sources:', '    - id: "my source!"', '      command: [sh]'),
    expect: [['invalid-id', 'error', 7, 11, 'source id "my source!" is not allowed: it contains " ", "!"']],
  },
  {
    name: 'an id of 254 characters (253 is fine)',
    yaml: pipe('  sources:', `    - id: ${'a'.repeat(254)}`, '      command: [sh]', `    - id: ${'b'.repeat(253)}`, '      command: [sh]'),
    expect: [['invalid-id', 'error', 7, 11, `source id "${'a'.repeat(59)}…" is not allowed: it is 254 characters long`]],
  },
  {
    name: 'an empty id is the id-required error (flowctl wording)',
    yaml: pipe('  sources:', '    - id: ""', '      command: [sh]'),
    expect: [['id-required', 'error', 7, 7, 'source id is required']],
  },
  {
    name: 'metadata.name with a path',
    yaml: ['apiVersion: flowctl/v1', 'kind: Pipeline', 'metadata:', '  name: ../../x', 'spec:', ...SRC].join('\n'),
    expect: [['invalid-name', 'error', 4, 9, 'metadata.name "../../x" is not allowed: it contains a path separator']],
  },
  {
    name: 'a processor and a sink without inputs (flowctl validate: error)',
    yaml: pipe(...SRC, '  processors:', '    - id: p', '      command: [sh]', '  sinks:', '    - id: k', '      command: [sh]', '      inputs: []'),
    expect: [
      ['no-inputs', 'error', 10, 7, 'Processor "p" must have at least one input'],
      ['no-inputs', 'error', 15, 7, 'Sink "k" must have at least one input'],
    ],
  },
  {
    name: 'volumes do nothing for local processes: a warning at the volumes key',
    yaml: pipe(...SRC, '      volumes:', '        - {name: data, host_path: /srv/data, container_path: /data}'),
    expect: [['volumes-ignored', 'warning', 9, 7, 'Source "s" has volumes, which have no effect: it runs as a local process']],
  },
  {
    name: 'volumes of a component that runs in a container (image, docker mode) are not flagged here',
    opts: { orchestrator: 'container' },
    yaml: pipe('  sources:', '    - id: s', '      image: x:1', '      command: [run]', '      volumes:', '        - {name: data, host_path: /srv/data, container_path: /data}'),
    expect: [],
  },
  {
    name: 'an image-only component runs in a container whatever the mode: its file secret is used',
    yaml: pipe('  sources:', '    - id: s', '      image: x:1', '      secrets:', '        - {name: key, type: file, host_path: /k}'),
    expect: [['secret-incomplete', 'warning', 10, 11, 'Source "s" secret "key" has no container_path: it is not mounted']],
  },
  {
    name: 'secrets: file (not mounted for processes), env (unsupported), no type (ignored)',
    yaml: pipe(
      ...SRC,
      '      secrets:', // 9
      '        - name: key', // 10
      '          type: file',
      '          host_path: /run/key',
      '        - name: token', // 13
      '          type: env',
      '          env: API_TOKEN',
      '        - name: other', // 16
    ),
    expect: [
      ['secret-ignored', 'warning', 10, 11, 'Source "s" secret "key" (type file) is not mounted: it runs as a local process'],
      ['secret-unsupported', 'warning', 13, 11, 'Source "s" secret "token" of type env is not supported: API_TOKEN will not be set'],
      ['secret-ignored', 'warning', 16, 11, 'Source "s" secret "other" has no type: only secrets of type file or dir are used (mounted into containers)'],
    ],
  },
  {
    name: 'declared event types that cannot meet: a warning at the input',
    yaml: pipe(
      '  sources:',
      '    - id: s',
      '      command: [sh]',
      '      output_event_types: [trade.v1]',
      '    - id: q',
      '      command: [sh]',
      '      output_event_types: [quote.v1, trade.v1]',
      '  sinks:',
      '    - id: k', // 14
      '      command: [sh]',
      '      inputs: [s, q]', // 16
      '      input_event_types: [quote.v1]',
    ),
    expect: [
      [
        'event-types-mismatch',
        'warning',
        16,
        16,
        'sink "k" accepts event types [quote.v1], but its input "s" produces only [trade.v1]: none of s\'s events will reach k',
      ],
    ],
  },
  {
    name: 'event types: undeclared on either side is not a mismatch',
    yaml: pipe(...SRC, '  sinks:', '    - id: k', '      command: [sh]', '      inputs: [s]', '      input_event_types: [x.v1]'),
    expect: [],
  },
];

for (const c of cases) {
  test(`safety: ${c.name}`, () => {
    const r = parsePipeline(c.yaml, 'flow.yml', { ...noCmd, ...(c.opts ?? {}) });
    const codes = new Set(c.expect.map((e) => e[0]));
    const watched = c.expect.length === 0 ? new Set(['event-types-mismatch', 'volumes-ignored', 'secret-ignored', 'secret-incomplete']) : codes;
    const got = r.diagnostics.filter((d) => watched.has(d.code)).map(at);
    assert.deepEqual(got, c.expect, JSON.stringify(r.diagnostics, null, 1));
    if (c.expect.some((e) => e[1] === 'error')) assert.equal(r.ok, false);
  });
}

test('messages never carry raw control characters, wherever the text came from', () => {
  const r = parsePipeline(pipe(...SRC, '  sinks:', '    - id: k', '      command: [sh]', '      inputs: ["\\e]52;c;aGk=\\a", s]', '      "bogus\\a": 1'), 'f.yml', noCmd);
  assert.ok(r.diagnostics.length >= 2, JSON.stringify(r.diagnostics));
  for (const d of r.diagnostics) {
    for (const text of [d.message, d.fix ?? '', d.hint ?? '']) assert.doesNotMatch(text, /[\u0000-\u001f\u007f-\u009f]/, JSON.stringify(text));
  }
  assert.ok(r.diagnostics.some((d) => d.code === 'unknown-input' && d.message.includes('\\u001b]52;c;aGk=\\u0007')));
});

test('a file over the size limit is refused at once, from stat, without reading it', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flow-big-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'flow.yml');
  // A sparse file: 50 MB by size, nothing written (reading it would take the time and memory).
  fs.writeFileSync(file, pipe(...SRC));
  fs.truncateSync(file, 50 * 1024 * 1024);
  const started = performance.now();
  const sync = loadPipelineFileSync(file);
  const async = await loadPipelineFile(file);
  const elapsed = performance.now() - started;
  for (const r of [sync, async]) {
    assert.deepEqual(r.diagnostics.map(at), [['file-too-large', 'error', 1, 1, `pipeline file is too large: 50.0 MB (the limit is 10.0 MB): ${file}`]]);
    assert.equal(r.pipeline, undefined);
  }
  assert.ok(elapsed < 5_000, `refused from stat, not by parsing (${elapsed.toFixed(0)} ms)`);
  // Just under the limit is read (and then judged on its content).
  fs.truncateSync(file, MAX_PIPELINE_FILE_BYTES);
  assert.notEqual(loadPipelineFileSync(file, noCmd).diagnostics[0]?.code, 'file-too-large');
});

test('an editor buffer over the size limit is refused before parsing', () => {
  const text = pipe(...SRC) + '#'.repeat(MAX_PIPELINE_FILE_BYTES);
  const r = parsePipeline(text, 'flow.yml', noCmd);
  assert.deepEqual(only(r, 'file-too-large'), [['file-too-large', 'error', 1, 1, 'pipeline file is too large: 10.0 MB (the limit is 10.0 MB): flow.yml']]);
  assert.equal(r.diagnostics.length, 1);
});

test('a directory or a FIFO given as the pipeline file is a clear error, and a FIFO does not hang', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flow-odd-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const r = loadPipelineFileSync(dir);
  assert.equal(r.diagnostics[0].code, 'file-read');
  assert.match(r.diagnostics[0].message, /is a directory/);
  if (process.platform !== 'win32') {
    const fifo = path.join(dir, 'fifo.yml');
    const { execFileSync } = await import('node:child_process');
    execFileSync('mkfifo', [fifo]);
    const f = await loadPipelineFile(fifo);
    assert.match(f.diagnostics[0].message, /is not a regular file/);
  }
});

test('flow nesting past the limit is refused before parsing (1 MB of `[`)', () => {
  const r = parsePipeline(pipe(...SRC, '      config: {a: ' + '['.repeat(1_000_000) + '}'), 'flow.yml', noCmd);
  // `{` (column 15) is level 1; the first `[` is at column 19, so level 65 is the `[` at column 19 + 63.
  assert.deepEqual(r.diagnostics.map(at), [['yaml-too-deep', 'error', 9, 82, 'YAML nesting is too deep: more than 64 levels of lists and mappings']]);
});

test('block nesting past the limit is one error at the first level too deep', () => {
  let text = pipe(...SRC, '      config:');
  for (let i = 0; i < 2000; i++) text += ' '.repeat(8 + i) + 'a:\n';
  const r = parsePipeline(text, 'flow.yml', noCmd);
  assert.equal(r.diagnostics.length, 1, JSON.stringify(r.diagnostics.slice(0, 3)));
  const d = r.diagnostics[0];
  assert.equal(d.code, 'yaml-too-deep');
  // spec (1) → sources (2) → item (3) → config (4) → a… : level 65 is the 61st nested `a:` mapping.
  assert.ok(d.line > 60 && d.line < 75, `near the top, not where a stack ran out: line ${d.line}`);
});

test('billion laughs: aliases of aliases are cut at the expansion bound with one error', () => {
  const laughs = ['x0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
  for (let i = 1; i < 10; i++) laughs.push(`x${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(', ')}]`);
  const started = performance.now();
  const r = parsePipeline(pipe(...SRC, '      config:', ...laughs.map((l) => `        ${l}`)), 'flow.yml', noCmd);
  assert.ok(performance.now() - started < 10_000);
  assert.deepEqual(
    r.diagnostics.filter((d) => d.severity === 'error').map((d) => d.code),
    ['yaml-aliases'],
  );
  assert.match(r.diagnostics.find((d) => d.code === 'yaml-aliases')!.message, /too many aliases/);
});

test('aliases used the ordinary way (a shared env) are fine', () => {
  const comps: string[] = [];
  for (let i = 0; i < 30; i++) comps.push(`    - id: s${i}`, '      command: [sh]', '      env: *common');
  const r = parsePipeline(pipe('  sources:', '    - id: base', '      command: [sh]', '      env: &common {A: "1", B: "2"}', ...comps), 'flow.yml', noCmd);
  assert.equal(r.ok, true, JSON.stringify(r.diagnostics));
  assert.deepEqual(r.pipeline!.spec.sources[30].env, { A: '1', B: '2' });
});

test(`at most ${MAX_DIAGNOSTICS} diagnostics, then one line that counts the rest`, () => {
  const comps: string[] = [];
  for (let i = 0; i < 1500; i++) comps.push(`    - id: s${i}`, '      command: [sh]', '      bogus: 1');
  const r = parsePipeline(pipe('  sources:', ...comps), 'flow.yml', noCmd);
  assert.equal(r.diagnostics.length, MAX_DIAGNOSTICS + 1);
  const last = r.diagnostics[r.diagnostics.length - 1];
  assert.equal(last.code, 'too-many-problems');
  assert.match(last.message, /^\d+ more problem\(s\) not shown \(\d+ warning\(s\)(, \d+ hint\(s\))?\): only the first 1000 are reported$/);
});
