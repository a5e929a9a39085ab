// Loading pipeline files: the model, positions, YAML errors, leniency, isPipelineDocument.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  allComponents,
  isPipelineDocument,
  loadPipelineFile,
  loadPipelineFileSync,
  locAt,
  parsePipeline,
  type Diagnostic,
} from '../../src/core/pipeline/index';

const FIXTURES = path.resolve(__dirname, '../../../test/fixtures/pipelines');
const fixture = (name: string) => path.join(FIXTURES, name);
const lines = (...l: string[]) => l.join('\n') + '\n';
const errors = (d: Diagnostic[]) => d.filter((x) => x.severity === 'error');
const noCmd = { checkCommands: false };

test('TestLoadPipelineFromBytes: v1 pipeline with type-only components parses with the right counts', async () => {
  const r = await loadPipelineFile(fixture('load-from-bytes.yml'), noCmd);
  assert.equal(r.ok, true, JSON.stringify(errors(r.diagnostics)));
  const p = r.pipeline!;
  assert.equal(p.apiVersion, 'v1');
  assert.equal(p.kind, 'Pipeline');
  assert.equal(p.metadata.name, 'test-pipeline');
  assert.equal(p.spec.sources.length, 1);
  assert.equal(p.spec.processors.length, 1);
  assert.equal(p.spec.sinks.length, 1);
  assert.deepEqual(p.spec.processors[0].inputs, ['test-source']);
  assert.deepEqual(p.spec.sinks[0].inputs, ['test-processor']);
  assert.equal(p.spec.sources[0].type, 'test-source-type');
  assert.equal(p.file, fixture('load-from-bytes.yml'));
  assert.equal(p.dir, FIXTURES);
});

test('every reference pipeline file loads without YAML or type errors', () => {
  for (const name of fs.readdirSync(FIXTURES).filter((f) => f.endsWith('.yml'))) {
    const r = loadPipelineFileSync(fixture(name), noCmd);
    assert.ok(r.pipeline, name);
    const bad = r.diagnostics.filter((d) => ['yaml-syntax', 'type', 'unknown-key', 'not-a-mapping'].includes(d.code));
    assert.deepEqual(bad, [], name);
  }
});

test('example A (quickstart): registry types, config kept as typed values, metadata.description', () => {
  const p = loadPipelineFileSync(fixture('quickstart-testnet-duckdb.yml'), noCmd).pipeline!;
  assert.equal(p.metadata.description, 'Process stellar contract events on testnet');
  assert.equal(p.spec.driver, 'process');
  const src = p.spec.sources[0];
  assert.equal(src.type, 'stellar-live-source@v1.0.0');
  assert.deepEqual(src.config, {
    network_passphrase: 'Test SDF Network ; September 2015',
    backend_type: 'RPC',
    rpc_endpoint: 'https://soroban-testnet.stellar.org',
    start_ledger: 2187805,
  });
  assert.deepEqual(p.spec.sinks[0].inputs, ['contract-events']);
  // `    - id: stellar-source` is line 14 of the file; the item starts at the `id` key (column 7).
  assert.deepEqual(src.position, { line: 14, column: 7 });
  assert.equal(src.range.endLine, 20);
  assert.deepEqual(
    allComponents(p).map((c) => `${c.role}:${c.id}`),
    ['source:stellar-source', 'processor:contract-events', 'sink:duckdb-sink'],
  );
});

test('example C (cdp): pipelines section, volumes, restart_policy "no", empty sources and sinks', () => {
  const p = loadPipelineFileSync(fixture('cdp-pipeline-example.yml'), noCmd).pipeline!;
  assert.deepEqual(p.spec.sources, []);
  assert.deepEqual(p.spec.sinks, []);
  assert.equal(p.metadata.namespace, 'stellar');
  assert.deepEqual(p.metadata.labels, { pipeline: 'cdp', network: 'mainnet' });
  const c = p.spec.pipelines[0];
  assert.equal(c.role, 'pipeline');
  assert.equal(c.restart_policy, 'no');
  assert.deepEqual(c.args, []);
  assert.deepEqual(c.command, ['/app/cdp-pipeline-workflow', 'run', '/app/config/base/latest_ledger_gcs.secret.yaml']);
  assert.equal(c.volumes?.length, 2);
  assert.deepEqual(c.volumes![0], {
    name: 'gcp-credentials',
    host_path: '$HOME/.config/gcloud/application_default_credentials.json',
    container_path: '/.config/gcp/credentials.json',
    readonly: true,
  });
  assert.equal(c.volumes![1].readonly, false);
  assert.deepEqual(c.env, { GOOGLE_APPLICATION_CREDENTIALS: '/.config/gcp/credentials.json' });
});

test('TTP live file: env strings, health_endpoint and health_port', () => {
  const p = loadPipelineFileSync(fixture('ttp-contract-events-live.yml'), noCmd).pipeline!;
  const proc = p.spec.processors[0];
  assert.equal(proc.env?.PORT, ':50053');
  assert.equal(proc.env?.HEALTH_PORT, '8089');
  assert.equal(proc.health_port, 8089);
  assert.equal(proc.health_endpoint, 'http://contract-events-processor:8089/health');
  assert.deepEqual(p.spec.sinks[0].args, ['0', '0']);
});

test('env scalars are kept as written (yaml.v3 decodes into map[string]string)', () => {
  const r = parsePipeline(
    lines(
      'apiVersion: flowctl/v1',
      'kind: Pipeline',
      'metadata: {name: t}',
      'spec:',
      '  sources:',
      '    - id: s',
      '      command: [sh]',
      '      env: {PORT: 8080, HEX: 0x10, F: 1.0, B: true, Y: yes, E: , Q: "007"}',
    ),
    'flow.yml',
    noCmd,
  );
  assert.deepEqual(r.pipeline!.spec.sources[0].env, { PORT: '8080', HEX: '0x10', F: '1.0', B: 'true', Y: 'yes', E: '', Q: '007' });
});

test('ids and command words that YAML reads as numbers stay text', () => {
  const r = parsePipeline(lines('apiVersion: v1', 'kind: Pipeline', 'metadata: {name: 42}', 'spec:', '  sources:', '    - id: 123', '      command: [sleep, 5]'), 'f.yml', noCmd);
  assert.equal(r.ok, true);
  assert.equal(r.pipeline!.metadata.name, '42');
  assert.equal(r.pipeline!.spec.sources[0].id, '123');
  assert.deepEqual(r.pipeline!.spec.sources[0].command, ['sleep', '5']);
});

test('locations: every key and list item is located (1-based, end just past the text)', () => {
  const text = lines(
    'apiVersion: flowctl/v1', // 1
    'kind: Pipeline', // 2
    'metadata:', // 3
    '  name: t', // 4
    'spec:', // 5
    '  sources:', // 6
    '    - id: s', // 7
    '      command: [sh]', // 8
    '  sinks:', // 9
    '    - command: [cat]', // 10
    '      id: k', // 11
    '      inputs:', // 12
    '        - s', // 13
    '        - "s"', // 14
  );
  const p = parsePipeline(text, 'flow.yml', noCmd).pipeline!;
  const sink = p.spec.sinks[0];
  assert.deepEqual(sink.position, { line: 10, column: 7 });
  assert.deepEqual(sink.range, { line: 10, column: 7, endLine: 14, endColumn: 14 });
  assert.deepEqual(locAt(sink.loc, 'id')!.key, { line: 11, column: 7, endLine: 11, endColumn: 9 });
  assert.deepEqual(locAt(sink.loc, 'id')!.value, { line: 11, column: 11, endLine: 11, endColumn: 12 });
  assert.deepEqual(locAt(sink.loc, 'inputs', 1)!.value, { line: 14, column: 11, endLine: 14, endColumn: 14 });
  assert.deepEqual(locAt(p.loc, 'metadata', 'name')!.value, { line: 4, column: 9, endLine: 4, endColumn: 10 });
  assert.deepEqual(locAt(p.loc, 'spec', 'sinks')!.key, { line: 9, column: 3, endLine: 9, endColumn: 8 });
});

test('anchors and aliases resolve', () => {
  const r = parsePipeline(
    lines(
      'apiVersion: v1',
      'kind: Pipeline',
      'metadata: {name: t}',
      'spec:',
      '  sources:',
      '    - id: s',
      '      command: [sh]',
      '      env: &common {A: "1"}',
      '  sinks:',
      '    - id: k',
      '      command: [cat]',
      '      inputs: [s]',
      '      env: *common',
    ),
    'f.yml',
    noCmd,
  );
  assert.equal(r.ok, true, JSON.stringify(r.diagnostics));
  assert.deepEqual(r.pipeline!.spec.sinks[0].env, { A: '1' });
});

test('YAML syntax errors: each root cause once, at its position; no semantic noise after them', () => {
  const text = lines(
    'apiVersion: flowctl/v1', // 1
    'kind: Pipeline', // 2
    'metadata:', // 3
    '  name: t', // 4
    '  name: u', // 5 duplicate key
    'spec:', // 6
    '  sources:', // 7
    '    - id: "s', // 8 unterminated string...
  );
  const r = parsePipeline(text, 'flow.yml');
  assert.equal(r.ok, false);
  assert.deepEqual(
    r.diagnostics.map((d) => [d.code, d.line, d.column]),
    [
      ['yaml-syntax', 5, 3],
      ['yaml-unclosed', 8, 11],
    ],
    JSON.stringify(r.diagnostics),
  );
  assert.match(r.diagnostics[0].message, /^YAML syntax error: Map keys must be unique/);
  // The quote is reported where it opens (the parser says "Missing closing quote" at the end of the file).
  assert.match(r.diagnostics[1].message, /^YAML syntax error: unclosed double quote/);
});

test('a bad indent is one error at the offending line', () => {
  const r = parsePipeline(lines('apiVersion: v1', 'kind: Pipeline', 'metadata:', '  name: t', ' spec:', '  sources: []'), 'f.yml');
  assert.equal(r.ok, false);
  const first = r.diagnostics[0];
  assert.equal(first.code, 'yaml-syntax');
  assert.equal(first.line, 5);
});

test('a document that is not a mapping is a clear error', () => {
  const list = parsePipeline('- id: a\n- id: b\n', 'f.yml');
  assert.equal(list.ok, false);
  assert.equal(list.pipeline, undefined);
  assert.equal(list.diagnostics.length, 1);
  assert.equal(list.diagnostics[0].code, 'not-a-mapping');
  assert.match(list.diagnostics[0].message, /must be a YAML mapping .* got a list/);
  assert.deepEqual([list.diagnostics[0].line, list.diagnostics[0].column], [1, 1]);

  const scalar = parsePipeline('\n\njust text\n', 'f.yml');
  assert.equal(scalar.diagnostics[0].code, 'not-a-mapping');
  assert.deepEqual([scalar.diagnostics[0].line, scalar.diagnostics[0].column], [3, 1]);
});

test('an empty file (or only comments) is an error', () => {
  for (const text of ['', '# nothing here\n', '---\n']) {
    const r = parsePipeline(text, 'f.yml');
    assert.equal(r.ok, false, JSON.stringify(text));
    assert.equal(r.diagnostics[0].code, 'empty-file');
    assert.equal(r.diagnostics[0].message, 'the pipeline file is empty');
  }
});

test('more than one YAML document: the first is used, the rest is a warning', () => {
  const r = parsePipeline(
    lines('apiVersion: v1', 'kind: Pipeline', 'metadata: {name: t}', 'spec:', '  sources: [{id: s, command: [sh]}]', '---', 'other: doc'),
    'f.yml',
    noCmd,
  );
  assert.equal(r.ok, true);
  const w = r.diagnostics.find((d) => d.code === 'multiple-documents')!;
  assert.equal(w.severity, 'warning');
  assert.equal(w.line, 7);
  assert.equal(r.pipeline!.spec.sources[0].id, 's');
});

test('unknown keys are warnings (the pipeline stays valid), and the model ignores them', () => {
  const r = parsePipeline(
    lines('apiVersion: v1', 'kind: Pipeline', 'metadata: {name: t, owner: me}', 'spec:', '  sources:', '    - id: s', '      command: [sh]', '      dependsOn: [x]'),
    'f.yml',
    noCmd,
  );
  assert.equal(r.ok, true);
  const unknown = r.diagnostics.filter((d) => d.code === 'unknown-key');
  assert.deepEqual(
    unknown.map((d) => [d.message, d.line, d.column]),
    [
      ['unknown key `owner` in metadata (ignored)', 3, 21],
      ['unknown key `dependsOn` in source "s" (ignored); did you mean `depends_on`?', 8, 7],
    ],
  );
  assert.equal((r.pipeline!.spec.sources[0] as unknown as Record<string, unknown>).dependsOn, undefined);
  assert.equal(r.pipeline!.spec.sources[0].depends_on, undefined);
});

test('diagnostics use the file name as given and come back in file order', () => {
  const r = parsePipeline(lines('kind: Nope', 'spec:', '  sources:', '    - command: [sh]'), 'some/dir/flow.yml', { ...noCmd, cwd: '/base' });
  assert.ok(r.diagnostics.every((d) => d.file === 'some/dir/flow.yml'));
  assert.equal(r.pipeline!.file, '/base/some/dir/flow.yml');
  assert.equal(r.pipeline!.dir, '/base/some/dir');
  const order = r.diagnostics.map((d) => d.line * 1000 + d.column);
  assert.deepEqual(order, [...order].sort((a, b) => a - b));
});

test('loadPipelineFile: missing file → `pipeline file not found: <path>`', async () => {
  const r = await loadPipelineFile('does/not/exist.yml');
  assert.equal(r.ok, false);
  assert.equal(r.pipeline, undefined);
  assert.deepEqual(
    r.diagnostics.map((d) => [d.code, d.message, d.file]),
    [['file-not-found', 'pipeline file not found: does/not/exist.yml', 'does/not/exist.yml']],
  );
});

test('loadPipelineFile reads a real file relative to cwd', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flow-load-'));
  try {
    fs.writeFileSync(path.join(dir, 'flow.yml'), lines('apiVersion: v1', 'kind: Pipeline', 'metadata: {name: t}', 'spec:', '  sources: [{id: s, command: [sh]}]'));
    const r = await loadPipelineFile('flow.yml', { cwd: dir });
    assert.equal(r.ok, true, JSON.stringify(r.diagnostics));
    assert.equal(r.pipeline!.dir, dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('isPipelineDocument: by name, or by apiVersion flowctl/… and kind Pipeline', () => {
  assert.equal(isPipelineDocument('', '/x/flow.yml'), true);
  assert.equal(isPipelineDocument('', 'C:\\x\\flow.yaml'.replace(/\\/g, '/')), true);
  const flowctl = 'apiVersion: flowctl/v1\nkind: Pipeline\nmetadata: {name: x}\n';
  assert.equal(isPipelineDocument(flowctl, '/x/my-pipeline.yaml'), true);
  assert.equal(isPipelineDocument('apiVersion: "flowctl/v1"  # c\nkind: "Pipeline"\n', 'p.yml'), true);
  assert.equal(isPipelineDocument(flowctl, 'Untitled-1'), true);
  assert.equal(isPipelineDocument(flowctl, '/x/notes.md'), false);
  assert.equal(isPipelineDocument('apiVersion: tekton.dev/v1\nkind: Pipeline\n', 'p.yml'), false);
  assert.equal(isPipelineDocument('apiVersion: flowctl/v1\nkind: Deployment\n', 'p.yml'), false);
  assert.equal(isPipelineDocument('apiVersion: apps/v1\nkind: Deployment\n', 'deploy.yaml'), false);
  // Nested keys do not count.
  assert.equal(isPipelineDocument('x:\n  apiVersion: flowctl/v1\n  kind: Pipeline\n', 'p.yml'), false);
});
