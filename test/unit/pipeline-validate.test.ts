// Validation: a table of malformed pipelines, each checked for the message AND its exact place.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parsePipeline, validatePipeline, type Diagnostic, type Severity } from '../../src/core/pipeline/index';

const HEAD = ['apiVersion: flowctl/v1', 'kind: Pipeline', 'metadata:', '  name: t', 'spec:'];
/** A pipeline whose spec body starts at line 6. */
const pipe = (...spec: string[]) => [...HEAD, ...spec].join('\n') + '\n';
const SRC = ['  sources:', '    - id: s', '      command: [sh]']; // lines 6-8

interface Expect {
  severity: Severity;
  message: string;
  line: number;
  column: number;
  code?: string;
}
interface Case {
  name: string;
  yaml: string;
  /** Every expected diagnostic must be present with exactly this place. */
  expect: Expect[];
  /** When set, the errors must be exactly the expected errors (no more). Default true. */
  exactErrors?: boolean;
}

const E = (message: string, line: number, column: number, code?: string): Expect => ({ severity: 'error', message, line, column, ...(code ? { code } : {}) });
const W = (message: string, line: number, column: number, code?: string): Expect => ({ severity: 'warning', message, line, column, ...(code ? { code } : {}) });
const H = (message: string, line: number, column: number, code?: string): Expect => ({ severity: 'hint', message, line, column, ...(code ? { code } : {}) });

const cases: Case[] = [
  // ---- flowctl's loader checks (§4.3), same wording ----
  {
    name: 'missing apiVersion',
    yaml: ['kind: Pipeline', 'metadata: {name: t}', 'spec:', ...SRC].join('\n'),
    expect: [E('apiVersion is required', 1, 1, 'api-version-required')],
  },
  {
    name: 'wrong kind',
    yaml: ['apiVersion: v1', 'kind: WrongKind', 'metadata: {name: t}', 'spec:', ...SRC].join('\n'),
    expect: [E("kind must be 'Pipeline', got: WrongKind", 2, 7, 'kind')],
  },
  {
    name: 'missing metadata.name (points at metadata)',
    yaml: ['apiVersion: v1', 'kind: Pipeline', 'metadata:', '  namespace: x', 'spec:', ...SRC].join('\n'),
    expect: [E('metadata.name is required', 3, 1, 'name-required')],
  },
  {
    name: 'no sources and no pipelines',
    yaml: pipe('  sinks: []'),
    expect: [E('at least one source or pipeline component is required', 5, 1, 'no-components')],
  },
  {
    name: 'empty sources list points at the sources key',
    yaml: pipe('  driver: process', '  sources: []'),
    expect: [E('at least one source or pipeline component is required', 7, 3)],
  },
  {
    name: 'source without id',
    yaml: pipe('  sources:', '    - command: [sh]'),
    expect: [E('source id is required', 7, 7, 'id-required')],
  },
  {
    name: 'source with nothing to run',
    yaml: pipe('  sources:', '    - id: s', '      env: {A: b}'),
    expect: [E('source s must have either command, image, or type specified', 7, 7, 'no-runnable')],
  },
  {
    name: 'duplicate id across sections (at the second id value)',
    yaml: pipe(...SRC, '  sinks:', '    - id: s', '      command: [sh]', '      inputs: [s]'),
    expect: [E('duplicate component id: s', 10, 11, 'duplicate-id')],
  },
  {
    name: 'unknown input (at the list item)',
    yaml: pipe(...SRC, '  sinks:', '    - id: out', '      command: [sh]', '      inputs: [s, nope]'),
    expect: [E('sink out references unknown input nope', 12, 19, 'unknown-input')],
  },
  {
    name: 'unknown input in a block list',
    yaml: pipe(...SRC, '  processors:', '    - id: p', '      command: [sh]', '      inputs:', '        - ghost'),
    expect: [E('processor p references unknown input ghost', 13, 11, 'unknown-input')],
  },
  {
    name: 'pipeline component without image or command',
    yaml: pipe('  pipelines:', '    - id: inner', '      type: pipeline'),
    expect: [E('pipeline inner must have an image specified', 7, 7, 'pipeline-image')],
  },
  // ---- flowctl validate's checks (§4.4) ----
  {
    name: 'invalid driver',
    yaml: pipe('  driver: fast', ...SRC),
    expect: [E('Invalid driver "fast"', 6, 11, 'driver')],
  },
  {
    name: 'health_check without health_port (at the health_check key)',
    yaml: pipe(...SRC, '      health_check: /health'),
    expect: [E('Source "s" has health_check but no health_port specified', 9, 7, 'health-check-port')],
  },
  {
    name: 'negative replicas',
    yaml: pipe(...SRC, '  processors:', '    - id: p', '      command: [sh]', '      inputs: [s]', '      replicas: -1'),
    expect: [E('Processor "p" replicas cannot be negative', 13, 17, 'replicas-negative')],
  },
  {
    name: 'env.PORT conflict (":50051" and 50051 are the same port)',
    yaml: pipe(
      '  sources:',
      '    - id: s',
      '      command: [sh]',
      '      env: {PORT: ":50051"}',
      '  sinks:',
      '    - id: k',
      '      command: [sh]',
      '      inputs: [s]',
      '      env:',
      '        PORT: 50051',
    ),
    expect: [E('Port conflict: 50051 used by multiple components: s, k', 15, 15, 'port-conflict')],
  },
  {
    name: 'health port conflict: health_port vs env.HEALTH_PORT',
    yaml: pipe(
      '  sources:',
      '    - id: s',
      '      command: [sh]',
      '      health_port: 8081',
      '  sinks:',
      '    - id: k',
      '      command: [sh]',
      '      inputs: [s]',
      '      env: {HEALTH_PORT: "8081"}',
    ),
    expect: [E('Health port conflict: 8081 used by multiple components: s, k', 14, 26, 'health-port-conflict')],
  },
  {
    name: 'ports[].hostPort conflict',
    yaml: pipe(
      '  sources:',
      '    - id: s',
      '      command: [sh]',
      '      ports: [{hostPort: 9000}]',
      '  sinks:',
      '    - id: k',
      '      command: [sh]',
      '      inputs: [s]',
      '      ports:',
      '        - name: web',
      '          hostPort: 9000',
    ),
    expect: [E('Port conflict: 9000 used by multiple components: s, k', 16, 21, 'port-conflict')],
  },
  {
    name: 'same port twice within one component is not a conflict',
    yaml: pipe('  sources:', '    - id: s', '      command: [sh]', '      health_port: 8081', '      env: {HEALTH_PORT: "8081"}'),
    expect: [],
  },
  {
    name: 'no processors is a hint, no sinks a warning',
    yaml: pipe(...SRC),
    expect: [H('No processors defined', 5, 1, 'no-processors'), W('No sinks (consumers) defined', 5, 1, 'no-sinks')],
  },
  // ---- ours: graph ----
  {
    name: 'cycle through inputs (a → b → a), at the entry that closes it',
    yaml: pipe(...SRC, '  processors:', '    - id: a', '      command: [sh]', '      inputs: [s, b]', '    - id: b', '      command: [sh]', '      inputs: [a]'),
    expect: [E('dependency cycle: a → b → a', 12, 19, 'cycle'), W('processor "a" takes input b, which is defined later in the file', 12, 19, 'forward-input')],
  },
  {
    name: 'component taking itself as input',
    yaml: pipe(...SRC, '  processors:', '    - id: p', '      command: [sh]', '      inputs: [p]'),
    expect: [E('dependency cycle: p → p', 12, 16, 'cycle')],
  },
  {
    name: 'cycle through depends_on among pipelines',
    yaml: pipe('  pipelines:', '    - id: x', '      command: [sh]', '      depends_on: [y]', '    - id: y', '      command: [sh]', '      depends_on: [x]'),
    expect: [E('dependency cycle: x → y → x', 9, 20, 'cycle')],
  },
  {
    name: 'three-step cycle mixing inputs and depends_on',
    yaml: pipe(
      ...SRC,
      '  processors:', // 9
      '    - id: a', // 10
      '      command: [sh]',
      '      inputs: [s]', // 12
      '      depends_on: [c]', // 13
      '    - id: b',
      '      command: [sh]',
      '      inputs: [a]',
      '  sinks:',
      '    - id: c', // 18
      '      command: [sh]',
      '      inputs: [b]',
    ),
    expect: [E('dependency cycle: a → b → c → a', 13, 20, 'cycle')],
  },
  {
    name: 'unknown depends_on target',
    yaml: pipe(...SRC, '      depends_on: [zz]'),
    expect: [E('source s depends on unknown component zz', 9, 20, 'unknown-depends-on')],
  },
  {
    name: 'input defined later is fine here (warning about flowctl Go)',
    yaml: pipe(...SRC, '  sinks:', '    - id: k', '      command: [sh]', '      inputs: [p]', '  processors:', '    - id: p', '      command: [sh]', '      inputs: [s]'),
    expect: [],
  },
  // ---- ours: types and keys ----
  {
    name: 'inputs written as a string',
    yaml: pipe(...SRC, '  sinks:', '    - id: k', '      command: [sh]', '      inputs: s'),
    expect: [E('sink "k": inputs must be a list of strings, got the string "s"', 12, 15, 'type')],
  },
  {
    name: 'env value that is a mapping',
    yaml: pipe(...SRC, '      env:', '        A: "1"', '        B: {nested: true}'),
    expect: [E('source "s": env.B must be a string, got a mapping', 11, 12, 'type')],
  },
  {
    name: 'health_port quoted (yaml.v3 refuses a string for an int)',
    yaml: pipe(...SRC, '      health_port: "8081"'),
    expect: [E('source "s": health_port must be an integer, got the string "8081"', 9, 20, 'type')],
  },
  {
    name: 'spec.sources as a mapping',
    yaml: pipe('  sources:', '    id: s', '    command: [sh]'),
    expect: [
      E('spec.sources must be a list of components, got a mapping', 7, 5, 'type'),
      E('at least one source or pipeline component is required', 6, 3, 'no-components'),
    ],
  },
  {
    name: 'a source item that is a plain string',
    yaml: pipe('  sources:', '    - s', '  pipelines:', '    - id: p', '      command: [sh]'),
    expect: [E('each source must be a mapping with an id, got the string "s"', 7, 7, 'type')],
  },
  {
    name: 'volumes[].readonly must be a bool',
    yaml: pipe(...SRC, '      volumes:', '        - name: v', '          readonly: maybe'),
    expect: [E('source "s": volumes[0].readonly must be true or false, got the string "maybe"', 11, 21, 'type')],
  },
  {
    name: 'unknown keys: warning at the key, with a suggestion',
    yaml: pipe(...SRC, '  sinks:', '    - id: k', '      command: [sh]', '      inptus: [s]', '  consumers: []'),
    expect: [
      W('unknown key `inptus` in sink "k" (ignored); did you mean `inputs`?', 12, 7, 'unknown-key'),
      W('unknown key `consumers` in spec (ignored); did you mean `sinks`?', 13, 3, 'unknown-key'),
      E('Sink "k" must have at least one input', 10, 7, 'no-inputs'),
    ],
  },
  {
    name: 'invalid restart_policy',
    yaml: pipe(...SRC, '      restart_policy: sometimes'),
    expect: [E('Source "s" has invalid restart_policy "sometimes"', 9, 23, 'restart-policy')],
  },
  {
    name: 'restart_policy: no (unquoted) is accepted',
    yaml: pipe(...SRC, '      restart_policy: no'),
    expect: [],
  },
  {
    name: 'port out of range',
    yaml: pipe(...SRC, '      health_port: 70000'),
    expect: [E('source "s": port 70000 is out of range', 9, 20, 'port-range')],
  },
  // ---- ours: how components start ----
  {
    // It runs as a container (drivers/select.ts); whether an engine answers is the run's preflight, not validation's.
    name: 'image-only component under the process orchestrator: fine, it runs as a container',
    yaml: pipe('  sources:', '    - id: s', '      image: docker.io/x/y:latest'),
    expect: [],
  },
  {
    name: 'a bad image reference of a container component is an error at the image',
    yaml: pipe('  sources:', '    - id: s', '      image: Docker.io/X/y:latest'),
    expect: [E('s: image "Docker.io/X/y:latest": repository names must be lowercase', 8, 14, 'image-reference')],
  },
  {
    name: 'registry type reference',
    yaml: pipe('  sources:', '    - id: s', '      type: stellar-live-source@v1.0.0'),
    expect: [W('source "s" uses registry component stellar-live-source@v1.0.0: registry components are not supported offline', 8, 13, 'registry')],
  },
  {
    name: 'apiVersion other than flowctl/v1 or v1',
    yaml: ['apiVersion: flowctl/v9', 'kind: Pipeline', 'metadata: {name: t}', 'spec:', ...SRC].join('\n'),
    expect: [W('apiVersion "flowctl/v9" is not one flowctl knows; expected flowctl/v1', 1, 13, 'api-version-unknown')],
  },
  {
    name: 'source with inputs',
    yaml: pipe('  sources:', '    - id: s', '      command: [sh]', '    - id: t', '      command: [sh]', '      inputs: [s]'),
    expect: [W('source "t" has inputs; sources do not receive events', 11, 7, 'source-inputs')],
  },
];

function check(c: Case, diags: Diagnostic[]): void {
  const show = () => diags.map((d) => `${d.severity} ${d.line}:${d.column} ${d.message}`).join('\n');
  for (const e of c.expect) {
    const found = diags.find((d) => d.severity === e.severity && d.message === e.message);
    assert.ok(found, `${c.name}: missing ${e.severity} "${e.message}"\ngot:\n${show()}`);
    assert.deepEqual([found.line, found.column], [e.line, e.column], `${c.name}: place of "${e.message}"\ngot:\n${show()}`);
    assert.ok(found.endLine > found.line || (found.endLine === found.line && found.endColumn > found.column), `${c.name}: empty range`);
    if (e.code) assert.equal(found.code, e.code, c.name);
    assert.equal(found.file, 'flow.yml');
  }
  if (c.exactErrors !== false) {
    const gotErrors = diags.filter((d) => d.severity === 'error').map((d) => d.message).sort();
    const wantErrors = c.expect.filter((e) => e.severity === 'error').map((e) => e.message).sort();
    assert.deepEqual(gotErrors, wantErrors, `${c.name}: errors\ngot:\n${show()}`);
  }
}

for (const c of cases) {
  test(`validate: ${c.name}`, () => {
    const r = parsePipeline(c.yaml, 'flow.yml', { checkCommands: false });
    check(c, r.diagnostics);
    assert.equal(r.ok, !c.expect.some((e) => e.severity === 'error'));
  });
}

test('TestValidatePipeline: source-only valid; missing apiVersion, WrongKind and zero sources fail', () => {
  const valid = pipe(...SRC);
  assert.equal(parsePipeline(valid, 'f.yml', { checkCommands: false }).ok, true);
  assert.equal(parsePipeline(valid.replace('apiVersion: flowctl/v1\n', ''), 'f.yml', { checkCommands: false }).ok, false);
  assert.equal(parsePipeline(valid.replace('kind: Pipeline', 'kind: WrongKind'), 'f.yml', { checkCommands: false }).ok, false);
  assert.equal(parsePipeline(pipe('  sources: []'), 'f.yml', { checkCommands: false }).ok, false);
});

test('flowctl validator_test.go:10 — invalid driver, health_check without port, empty sink inputs, replicas -1', () => {
  const r = parsePipeline(
    pipe(
      '  driver: invalid-driver',
      '  sources:',
      '    - id: s',
      '      command: [sh]',
      '      health_check: /health',
      '  processors:',
      '    - id: p',
      '      command: [sh]',
      '      inputs: [s]',
      '      replicas: -1',
      '  sinks:',
      '    - id: k',
      '      command: [sh]',
      '      inputs: []',
    ),
    'f.yml',
    { checkCommands: false },
  );
  const msgs = r.diagnostics.map((d) => d.message);
  assert.ok(msgs.includes('Invalid driver "invalid-driver"'));
  assert.ok(msgs.includes('Source "s" has health_check but no health_port specified'));
  assert.ok(msgs.includes('Sink "k" must have at least one input'));
  assert.ok(msgs.includes('Processor "p" replicas cannot be negative'));
});

test('all problems are collected at once (not just the first)', () => {
  const r = parsePipeline(
    ['kind: Nope', 'metadata: {}', 'spec:', '  driver: bad', '  sources:', '    - command: [sh]', '    - id: x'].join('\n'),
    'f.yml',
    { checkCommands: false },
  );
  const codes = r.diagnostics.filter((d) => d.severity === 'error').map((d) => d.code);
  assert.deepEqual([...codes].sort(), ['api-version-required', 'driver', 'id-required', 'kind', 'name-required', 'no-runnable']);
});

test('validatePipeline on a model returns the same semantic diagnostics', () => {
  const r = parsePipeline(pipe(...SRC, '  sinks:', '    - id: k', '      command: [sh]', '      inputs: [nope]'), 'flow.yml', { checkCommands: false });
  const again = validatePipeline(r.pipeline!, { checkCommands: false, file: 'flow.yml' });
  assert.deepEqual(
    again.filter((d) => d.severity === 'error').map((d) => [d.message, d.line, d.column]),
    [['sink k references unknown input nope', 12, 16]],
  );
});

test('commands: looked up on PATH, or relative to the pipeline folder', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flow-cmd-'));
  try {
    fs.mkdirSync(path.join(dir, 'bin'));
    fs.writeFileSync(path.join(dir, 'bin', 'gen'), '#!/bin/sh\necho hi\n', { mode: 0o755 });
    fs.writeFileSync(path.join(dir, 'bin', 'noexec'), '#!/bin/sh\n', { mode: 0o644 });
    fs.writeFileSync(path.join(dir, 'local-tool'), '#!/bin/sh\n', { mode: 0o755 });
    const yaml = pipe(
      '  sources:',
      '    - id: a', // 7
      '      command: [./bin/gen]',
      '    - id: b', // 9
      '      command: [./bin/missing, x]', // 10
      '    - id: c',
      '      command: [bin/noexec]', // 12
      '    - id: d',
      '      command: [definitely-not-a-command-xyz]', // 14
      '    - id: e',
      '      command: [local-tool]', // 16
      '    - id: f',
      '      command: ["sh -c true"]', // 18
      '    - id: g',
      '      command: [sh, -c, "true"]',
    );
    const file = path.join(dir, 'flow.yml');
    const r = parsePipeline(yaml, file);
    const cmd = r.diagnostics.filter((d) => d.code.startsWith('command-')).map((d) => [d.code, d.message, d.line, d.column, d.hint]);
    assert.deepEqual(cmd, [
      ['command-not-found', 'Command file not found: ./bin/missing', 10, 17, `looked for ${path.join(dir, 'bin/missing')}`],
      ['command-not-executable', `Command is not executable: ${path.join(dir, 'bin/noexec')}`, 12, 17, `run \`chmod +x ${path.join(dir, 'bin/noexec')}\``],
      ['command-not-found', 'Command file not found: definitely-not-a-command-xyz', 14, 17, `looked on PATH and in ${dir}`],
      ['command-not-found', 'Command file not found: local-tool', 16, 17, `not on PATH, but ${path.join(dir, 'local-tool')} exists: write ./local-tool`],
      ['command-not-found', 'Command file not found: sh -c true', 18, 17, 'command is a list: write the program and its arguments separately, e.g. command: ["sh", "-c", "true"]'],
    ]);
    // Command problems are warnings: the file is still valid.
    assert.equal(r.ok, true);
    // A PATH given in opts.env is the one searched.
    const withPath = parsePipeline(yaml, file, { env: { PATH: path.join(dir, 'bin') } });
    assert.ok(!withPath.diagnostics.some((d) => d.line === 7 || d.message.includes('./bin/gen')));
    assert.ok(withPath.diagnostics.some((d) => d.message === 'Command file not found: sh -c true' && d.line === 18));
    // checkCommands: false skips the lookup entirely.
    assert.equal(parsePipeline(yaml, file, { checkCommands: false }).diagnostics.filter((d) => d.code.startsWith('command-')).length, 0);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
