// The `debug:` key of a component in flow.yml: loaded into the model, checked by the validator (unknown
// runtimes, a debug.command without runtime or port, debugger listeners beyond loopback, bad ports) with
// exact positions and quick fixes, accepted by the JSON schema, and not a reason to restart a component
// when a live run re-reads the file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parsePipeline, type Diagnostic } from '../../src/core/pipeline/index';
import { applyEdits } from '../../src/core/pipeline/edits';
import { diffSpecs } from '../../src/core/runner/apply';

const HEAD = ['apiVersion: flowctl/v1', 'kind: Pipeline', 'metadata:', '  name: t', 'spec:', '  sources:', '    - id: s', '      command: [./run.sh]'];
/** The source's `debug:` lines start at line 9. */
const pipe = (...debug: string[]) => [...HEAD, ...debug].join('\n') + '\n';
const parse = (text: string) => parsePipeline(text, '/p/flow.yml', { checkCommands: false });
const at = (d: Diagnostic) => [d.code, d.severity, d.line, d.column, d.message];
/** The file has only a source: leave out what that says about missing processors and sinks. */
const problems = (text: string) => parse(text).diagnostics.filter((d) => d.code !== 'no-processors' && d.code !== 'no-sinks');
const debugDiagnostics = (text: string) => parse(text).diagnostics.filter((d) => d.code.startsWith('debug') || d.field?.includes('.debug')).map(at);

test('a valid debug key is loaded into the component and gives no diagnostic', () => {
  const text = pipe('      debug:', '        runtime: python', '        command: [python3, -m, debugpy, --listen, "127.0.0.1:${port}", app.py]', '        args: [--log-to-stderr]', '        env: { PYDEVD_DISABLE_FILE_VALIDATION: "1" }', '        attach: { port: 5678 }');
  assert.deepEqual(problems(text).map(at), []);
  const r = parse(text);
  assert.deepEqual(r.pipeline!.spec.sources[0].debug, {
    runtime: 'python',
    command: ['python3', '-m', 'debugpy', '--listen', '127.0.0.1:${port}', 'app.py'],
    args: ['--log-to-stderr'],
    env: { PYDEVD_DISABLE_FILE_VALIDATION: '1' },
    attach: { port: 5678 },
  });
  assert.deepEqual(problems(pipe('      debug: { runtime: node }')).map(at), []);
});

test('an unknown runtime is an error at its value, with the runtimes it probably meant as quick fixes', () => {
  const text = pipe('      debug:', '        runtime: nodejs');
  assert.deepEqual(debugDiagnostics(text), [['debug-runtime', 'error', 10, 18, 'Source "s" debug.runtime "nodejs" is not a runtime flowctl can debug']]);
  const d = problems(text).find((x) => x.code === 'debug-runtime')!;
  assert.equal(d.fix, 'use one of: node, python, go (Node.js inspector, debugpy, Delve)');
  assert.equal(d.field, 'spec.sources[0].debug.runtime');
  assert.equal(d.fixes?.[0].title, 'Change to node');
  assert.ok(applyEdits(text, d.fixes![0].edits).includes('        runtime: node\n'));
  assert.deepEqual(debugDiagnostics(pipe('      debug: { runtime: ruby }')), [['debug-runtime', 'error', 9, 25, 'Source "s" debug.runtime "ruby" is not a runtime flowctl can debug']]);
  assert.equal(problems(pipe('      debug: { runtime: golang }'))[0].fixes?.[0].title, 'Change to go');
});

test('debug.command needs a runtime, and for python/go a port', () => {
  assert.deepEqual(debugDiagnostics(pipe('      debug:', '        command: [./dbg.sh]')), [
    ['debug-command-runtime', 'error', 10, 18, 'Source "s" debug.command needs debug.runtime: it tells VS Code which debugger attaches (node, python or go)'],
  ]);
  assert.deepEqual(debugDiagnostics(pipe('      debug:', '        runtime: go', '        command: [./dbg.sh]')), [
    ['debug-command-port', 'error', 11, 18, 'Source "s" debug.command of a go component must say where its debugger listens'],
  ]);
  assert.deepEqual(debugDiagnostics(pipe('      debug: { runtime: go, command: [./dbg.sh, "--port=${port}"] }')), []);
  assert.deepEqual(debugDiagnostics(pipe('      debug: { runtime: node, command: [node, --inspect, x.js] }')), [], 'node reports its port');
  assert.deepEqual(debugDiagnostics(pipe('      debug: { runtime: node, command: [] }')), [['debug-command-empty', 'error', 9, 40, 'Source "s" debug.command is empty']]);
});

test('a debugger listening beyond loopback is an error at the argument', () => {
  assert.deepEqual(debugDiagnostics(pipe('      debug:', '        runtime: go', '        args: [--log, "--listen=:2345"]')), [
    ['debug-not-loopback', 'error', 11, 23, 'Source "s" the debugger would listen on :2345, beyond this machine'],
  ]);
  assert.deepEqual(debugDiagnostics(pipe('      debug:', '        runtime: python', '        command: [python3, -m, debugpy, --listen, "0.0.0.0:${port}", app.py]')), [
    ['debug-not-loopback', 'error', 11, 51, 'Source "s" the debugger would listen on 0.0.0.0:${port}, beyond this machine'],
  ]);
  assert.deepEqual(debugDiagnostics(pipe('      debug:', '        runtime: node', '        env: { NODE_OPTIONS: "--inspect=0.0.0.0:9229" }')), [
    ['debug-not-loopback', 'error', 11, 30, 'Source "s" debug.env.NODE_OPTIONS: the debugger would listen on 0.0.0.0:9229, beyond this machine'],
  ]);
});

test('wrong types, unknown keys and bad ports under debug are reported where they are', () => {
  assert.deepEqual(debugDiagnostics(pipe('      debug:', '        runtime: node', '        attach: { port: 70000 }')), [
    ['debug-port', 'error', 11, 25, 'Source "s" debug.attach.port 70000 is not a port'],
  ]);
  assert.deepEqual(
    problems(pipe('      debug:', '        runtime: node', '        argz: [x]', '        args: --inspect')).map(at),
    [
      ['unknown-key', 'warning', 11, 9, 'unknown key `argz` in source "s": debug (ignored); did you mean `args`?'],
      ['type', 'error', 12, 15, 'source "s": debug.args must be a list of strings, got the string "--inspect"'],
    ],
  );
  assert.deepEqual(problems(pipe('      debug: node')).map(at), [['type', 'error', 9, 14, 'source "s": debug must be a mapping (debugger start), got the string "node"']]);
});

test('the JSON schema describes the debug key and the validator and schema agree on its keys', () => {
  const schema = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../../../schemas/flow.schema.json'), 'utf8'));
  const debug = schema.definitions.component.properties.debug;
  assert.equal(debug.additionalProperties, false);
  assert.deepEqual(Object.keys(debug.properties).sort(), ['args', 'attach', 'command', 'env', 'runtime']);
  assert.deepEqual(debug.properties.runtime.enum, ['node', 'python', 'go']);
  assert.deepEqual(Object.keys(debug.properties.attach.properties), ['port']);
});

test('changing only the debug key does not restart a component when a live run re-reads the file', () => {
  const before = parse(pipe('      debug: { runtime: node }')).pipeline!.spec.sources;
  const after = parse(pipe('      debug: { runtime: node, args: [--enable-source-maps] }')).pipeline!.spec.sources;
  assert.deepEqual(diffSpecs(before, after).unchanged, ['s']);
});
