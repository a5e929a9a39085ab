// Debug a component, the core part (no editor): a live run hosted in this process restarts ONE
// component under the Node.js inspector (the rest keeps its processes and its data), the inspector
// really listens on loopback (its /json/list names the WebSocket the controller found), events flow
// through the debugged process, and finishing the session restarts it without the inspector. Every
// sink gets every event once. Also: the inspector through NODE_OPTIONS for a wrapper command with
// `debug: { runtime: node }`, and the errors (not running, already debugged, not recognised).
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DebugError } from '../../src/core/debug';
import { waitFor } from '../helpers/net';
import { DapClient } from '../helpers/dap';
import { repoRoot } from '../helpers/paths';
import { fixture, markedProcesses, node, runEnv, writePipeline } from './run-helpers';
import { assertComplete, breakpointLine, cmdline, finishedAndComplete, host, pausedAndResumed, seqs, sinkBesideRecorder } from './debug-helpers';

function pipeline(extra = ''): string {
  return `apiVersion: flowctl/v1
kind: Pipeline
metadata: { name: debug-test }
spec:
  sources:
    - id: src
      command: ${node('components/count-source.js')}
      env: { RATE: "100" }
  processors:
    - id: relay
      command: ${node('components/relay-processor.js')}
      inputs: [src]
  sinks:
    - id: through
      command: ${node('components/record-sink.js')}
      inputs: [relay]
      env: { OUTPUT_FILE: through.jsonl }
    - id: direct
      command: ${node('components/record-sink.js')}
      inputs: [src]
      env: { OUTPUT_FILE: direct.jsonl }
${extra}`;
}

test('a processor debugged under the Node.js inspector and back: the rest keeps running, nothing lost or doubled', async (t) => {
  const env = runEnv(t, 'flowctl-debug-');
  const file = writePipeline(env.dir, pipeline());
  const { runner, debug, said, view } = host(t, env, file);
  const out = (n: string) => path.join(env.dir, n);
  await runner.start();
  await waitFor(() => seqs(out('through.jsonl')).length > 30, 30_000, 'events through the relay');
  const before = Object.fromEntries(runner.snapshot().components.map((c) => [c.id, c.pid]));

  const plan = await debug.prepare('relay');
  assert.equal(plan.runtime, 'node');
  assert.deepEqual(plan.override.command, ['node', '--inspect=127.0.0.1:0', fixture('components/relay-processor.js')]);
  const target = await debug.start(plan);
  assert.equal(target.host, '127.0.0.1');
  assert.ok(target.port > 0 && target.websocketUrl?.startsWith(`ws://127.0.0.1:${target.port}/`), `target ${JSON.stringify(target)}`);
  assert.ok(debug.isDebugging('relay'));
  // The inspector answers on loopback and names the same WebSocket.
  const list = (await (await fetch(`http://127.0.0.1:${target.port}/json/list`)).json()) as { webSocketDebuggerUrl: string }[];
  assert.equal(list[0]?.webSocketDebuggerUrl, target.websocketUrl);
  const debugPid = target.pid!;
  assert.notEqual(debugPid, before.relay);
  assert.ok(cmdline(debugPid).includes('--inspect=127.0.0.1:0'), cmdline(debugPid).join(' '));
  // Events flow through the process under the debugger; the others kept their processes.
  await waitFor(() => view('relay').phase === 'running', 30_000, 'relay registered under the debugger');
  const n = seqs(out('through.jsonl')).length;
  await waitFor(() => seqs(out('through.jsonl')).length > n + 50, 30_000, 'events through the debugged relay');
  for (const id of ['src', 'through', 'direct']) assert.equal(view(id).pid, before[id], `${id} kept its process`);
  await assert.rejects(debug.prepare('relay'), (e: DebugError) => e.code === 'busy' && e.message === 'relay is already being debugged');

  // The debug session ends: the relay runs without the inspector again.
  assert.equal(await debug.finish('relay', 'test'), 'restarted');
  assert.equal(debug.isDebugging('relay'), false);
  await waitFor(() => view('relay').phase === 'running' && view('relay').pid !== debugPid, 30_000, 'relay back without the debugger');
  assert.ok(!cmdline(view('relay').pid!).some((a) => a.startsWith('--inspect')), cmdline(view('relay').pid!).join(' '));
  assert.equal(runner.componentStartInfo('relay')?.overridden, false);
  const m = seqs(out('through.jsonl')).length;
  await waitFor(() => seqs(out('through.jsonl')).length > m + 50, 30_000, 'events after the debug session');
  assert.equal(await debug.finish('relay', 'again'), 'not-debugging');

  await runner.stop();
  const snap = runner.snapshot();
  assert.equal(snap.dropped, 0);
  assertComplete(seqs(out('through.jsonl')), 'through (fed by the debugged relay)');
  assertComplete(seqs(out('direct.jsonl')), 'direct');
  assert.equal(seqs(out('direct.jsonl')).length, snap.components.find((c) => c.id === 'src')!.eventsOut);
  assert.match(said.join('\n'), /debug: restarting relay under the Node\.js inspector: node --inspect=127\.0\.0\.1:0 \S+relay-processor\.js/);
  assert.match(said.join('\n'), /debug: the Node\.js inspector listens on 127\.0\.0\.1:\d+ \(pid \d+\); the editor attaches/);
  assert.match(said.join('\n'), /debug: the debug session ended \(test\); restarting relay without the debugger/);
  assert.deepEqual(markedProcesses(env.marker), [], 'no process left');
});

test('a wrapper command: not recognised without debug:, through NODE_OPTIONS with debug: { runtime: node }; a stopped component stays stopped', async (t) => {
  const env = runEnv(t, 'flowctl-debug-');
  const wrapped = (id: string, debugKey: string) => `    - id: ${id}
      command: [sh, -c, 'exec node "$0"', ${JSON.stringify(fixture('components/record-sink.js'))}]
      inputs: [src]
      env: { OUTPUT_FILE: ${id}.jsonl }
${debugKey}`;
  const file = writePipeline(
    env.dir,
    `apiVersion: flowctl/v1
kind: Pipeline
metadata: { name: debug-wrapper }
spec:
  sources:
    - id: src
      command: ${node('components/count-source.js')}
      env: { RATE: "50" }
  sinks:
${wrapped('plain', '')}${wrapped('wrapped', '      debug: { runtime: node }\n')}`,
  );
  const { runner, debug, view } = host(t, env, file);
  await runner.start();
  await assert.rejects(debug.prepare('plain'), (e: DebugError) => {
    assert.equal(e.code, 'unsupported');
    assert.equal(e.message, 'cannot tell how to debug plain: `sh` is not node, python, a Node.js or Python script, or a Go program');
    assert.match(e.fix ?? '', /debug: \{ runtime: node \}/);
    return true;
  });
  await assert.rejects(debug.prepare('nope'), /no component "nope" in this run of debug-wrapper/);

  const plan = await debug.prepare('wrapped');
  assert.deepEqual(plan.override.env, { NODE_OPTIONS: '--inspect=127.0.0.1:0' });
  const target = await debug.start(plan);
  const list = (await (await fetch(`http://127.0.0.1:${target.port}/json/list`)).json()) as unknown[];
  assert.equal(list.length, 1);
  await waitFor(() => view('wrapped').phase === 'running', 30_000, 'the wrapped sink registered');
  // Stopped by hand while debugged: the end of the session leaves it stopped; its next start is normal.
  await runner.stopComponent('wrapped');
  assert.equal(await debug.finish('wrapped', 'test'), 'stopped-by-hand');
  assert.equal(view('wrapped').phase, 'stopped');
  await assert.rejects(debug.prepare('wrapped'), (e: DebugError) => e.code === 'not-running' && e.message === 'cannot debug wrapped: it was stopped');
  await runner.startComponent('wrapped');
  await waitFor(() => view('wrapped').phase === 'running', 30_000, 'the wrapped sink started again');
  const environ = fs.readFileSync(`/proc/${view('wrapped').pid}/environ`, 'utf8').split('\0');
  assert.ok(!environ.some((v) => v.startsWith('NODE_OPTIONS=') && v.includes('--inspect')), 'its next start has no inspector');
  await runner.stop();
  assert.deepEqual(markedProcesses(env.marker), [], 'no process left');
});

const PYTHON = '/usr/bin/python3'; // Debian's, where python3-grpcio and python3-debugpy are installed
const hasDebugpy = (() => {
  try {
    return spawnSync(PYTHON, ['-c', 'import grpc, debugpy'], { timeout: 20_000 }).status === 0;
  } catch {
    return false;
  }
})();

test('a Python sink debugged under debugpy: a DAP client attaches, the breakpoint hits while the other sink keeps receiving, and back', { skip: hasDebugpy ? false : `${PYTHON} lacks grpc or debugpy (apt install python3-grpcio python3-debugpy)` }, async (t) => {
  const env = runEnv(t, 'flowctl-debug-py-');
  const script = path.join(repoRoot(), 'test', 'fixtures', 'interop', 'py_sink.py');
  const line = breakpointLine(script);
  const file = writePipeline(
    env.dir,
    sinkBesideRecorder('debug-python', { id: 'pysink', command: `[${PYTHON}, ${JSON.stringify(script)}]`, out: 'py.jsonl' }, node('components/count-source.js'), node('components/record-sink.js')),
  );
  const h = host(t, env, file);
  const { runner, debug, said, view } = h;
  const out = (n: string) => path.join(env.dir, n);
  await runner.start();
  await waitFor(() => seqs(out('py.jsonl')).length > 20, 30_000, 'events at the Python sink');
  const before = view('pysink').pid!;

  const plan = await debug.prepare('pysink');
  assert.equal(plan.runtime, 'python');
  assert.deepEqual(plan.override.command?.slice(0, 4), [PYTHON, '-m', 'debugpy', '--listen']);
  assert.match(plan.override.command?.[4] ?? '', /^127\.0\.0\.1:\d+$/);
  assert.deepEqual(plan.override.command?.slice(5), ['--wait-for-client', script]);
  const target = await debug.start(plan);
  assert.equal(target.host, '127.0.0.1');
  assert.notEqual(target.pid, before);

  // What the editor's debugpy adapter does: initialize, attach, breakpoints, configurationDone.
  const dap = await DapClient.connect(target.port, target.host);
  t.after(() => dap.close());
  await dap.request('initialize', { clientID: 'flowctl-test', adapterID: 'debugpy', linesStartAt1: true, columnsStartAt1: true, pathFormat: 'path' });
  const attached = dap.send('attach', { justMyCode: false, redirectOutput: false });
  await dap.waitEvent('initialized', 30_000);
  const bp = await dap.request('setBreakpoints', { source: { path: script }, breakpoints: [{ line }] });
  assert.equal((bp.body?.breakpoints as { verified: boolean }[])[0]?.verified, true, `breakpoint: ${JSON.stringify(bp.body)}`);
  await dap.request('configurationDone');
  assert.equal((await attached).success, true, 'attach answered');

  // The sink registers under the debugger, the runner resumes its edge, the first event stops it.
  const stopped = await dap.waitEvent('stopped', 60_000, (e) => e.body?.reason === 'breakpoint');
  assert.equal(view('pysink').phase, 'running', 'registered under the debugger');
  await pausedAndResumed(dap, { threadId: stopped.body?.threadId as number, source: script, line, sinkOut: out('py.jsonl'), directOut: out('direct.jsonl'), sink: 'pysink' });

  // The debug session ends: the sink runs without debugpy again; nothing lost or doubled.
  t.diagnostic(
    await finishedAndComplete(h, { sink: 'pysink', debuggedPid: target.pid, sinkOut: out('py.jsonl'), directOut: out('direct.jsonl'), plain: (args) => !args.includes('debugpy') }),
  );
  assert.match(said.join('\n'), /debug: restarting pysink under debugpy/);
  assert.deepEqual(markedProcesses(env.marker), [], 'no process left');
});
