// `flowctl run` as a user runs it: real CLI process, real components, real sockets. Every test checks
// by PID (through an environment marker) that nothing is left running afterwards.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runCli, spawnCli, startCliServer } from '../helpers/cli';
import { waitFor } from '../helpers/net';
import { markedProcesses, node, runEnv, startRun, stopRun, writePipeline } from './run-helpers';

function chain(rate = 50): string {
  return `apiVersion: flowctl/v1
kind: Pipeline
metadata:
  name: chain-test
spec:
  driver: process
  sources:
    - id: src
      command: ${node('components/count-source.js')}
      env: { RATE: "${rate}" }
  processors:
    - id: relay
      command: ${node('components/relay-processor.js')}
      inputs: [src]
  sinks:
    - id: sink
      command: ${node('components/record-sink.js')}
      inputs: [relay]
      env: { OUTPUT_FILE: "sink.jsonl" }
`;
}

test('a chain runs; status, list and pipelines find it through the endpoint file; pipelines stop ends it with exit 0', async (t) => {
  const env = runEnv(t);
  const file = writePipeline(env.dir, chain());
  const run = startRun(file, ['--show-status=false'], env);
  await run.waitForOutput('Pipeline is running');
  // The summary, from the pipeline the runner read and validated (the CLI does not parse the file itself).
  assert.match(run.stdout(), /^Starting pipeline\n-+\nPipeline: {6}chain-test\nConfig file: {3}(.+)\nOrchestrator: {2}process \(from spec\.driver\)\n/);
  assert.equal(/Config file: {3}(.+)\n/.exec(run.stdout())?.[1], path.resolve(file));

  // No endpoint flags: the CLI finds the control plane through FLOWCTL_HOME/endpoint.json.
  const status = await runCli(['status', '--json'], env.env);
  assert.equal(status.code, 0, status.stderr);
  const st = JSON.parse(status.stdout);
  assert.deepEqual(st.components.map((c: any) => c.component.id).sort(), ['relay', 'sink', 'src']);
  assert.ok(st.components.every((c: any) => c.status === 2), 'all HEALTHY');

  const text = await runCli(['status'], env.env);
  assert.match(text.stdout, /Pipeline: chain-test/);
  assert.match(text.stdout, /Components: 3 total \(3 healthy\)/);
  assert.match(text.stdout, /SOURCES \(1\)\n  src \(HEALTH_STATUS_HEALTHY\)/);

  // --watch refreshes: two screens within ~2.5 s at a 1 s interval, each after a clear-screen.
  const watch = spawnCli(['status', '--watch', '--interval', '1'], env.env);
  await waitFor(() => (watch.stdout().match(/Pipeline: chain-test/g) ?? []).length >= 2, 10_000, 'two status screens');
  watch.child.kill('SIGINT');
  await watch.exited;
  assert.ok(watch.stdout().split('\x1b[H\x1b[2J').length >= 3, 'each screen starts with a clear-screen');

  const list = await runCli(['list'], env.env);
  assert.equal(list.code, 0, list.stderr);
  assert.match(list.stdout, /Registered Services \(3\):/);
  assert.match(list.stdout, /ID: relay\nType: PROCESSOR\nStatus: 🟢 HEALTHY/);

  // Events flow: the run's metrics grow and agree with what the sink wrote.
  await waitFor(async () => {
    const r = await runCli(['pipelines', 'active', '--json'], env.env);
    return JSON.parse(r.stdout)[0]?.eventsProcessed > 20;
  }, 15_000, 'events to flow');

  const active = await runCli(['pipelines', 'active'], env.env);
  const m = /^([0-9a-f]{8})\s+chain-test\s+.*running$/m.exec(active.stdout);
  assert.ok(m, active.stdout);
  const info = await runCli(['pipelines', 'run-info', m[1]], env.env);
  assert.match(info.stdout, /Pipeline:      chain-test/);
  assert.match(info.stdout, /Status:        running/);
  assert.match(info.stdout, /  - src\n  - relay\n  - sink/);

  const pids = markedProcesses(env.marker, [run.child.pid!]);
  assert.ok(pids.length >= 3, `component processes running: ${pids}`);
  const stop = await runCli(['pipelines', 'stop', m[1]], env.env);
  assert.match(stop.stdout, /✓ Pipeline stopped \(status: stopped\)/);
  const started = Date.now();
  const result = await run.exited;
  assert.equal(result.code, 0, run.stdout() + run.stderr());
  assert.ok(Date.now() - started < 15_000, 'run exits within 15 s of pipelines stop');
  assert.deepEqual(markedProcesses(env.marker), [], 'no component process left');

  // The final run record: stopped, and its event count equals the lines the sink wrote.
  const sinkLines = fs.readFileSync(path.join(env.dir, 'sink.jsonl'), 'utf8').trim().split('\n').length;
  assert.match(run.stdout(), new RegExp(`Pipeline stopped — ${sinkLines} events processed`));
  // The endpoint file is gone with the control plane.
  assert.equal(fs.existsSync(path.join(env.home, 'endpoint.json')), false);
  const after = await runCli(['status'], env.env);
  assert.equal(after.code, 1);
  assert.match(after.stderr, /no control plane is reachable at 127\.0\.0\.1:8080/);
});

test('a component that never registers fails the start with a clear message and nothing left running', async (t) => {
  const env = runEnv(t);
  const file = writePipeline(
    env.dir,
    `apiVersion: flowctl/v1
kind: Pipeline
metadata: { name: silent-test }
spec:
  sources:
    - id: src
      command: ${node('components/count-source.js')}
  sinks:
    - id: mute
      command: ${node('run/silent.js')}
      inputs: [src]
`,
  );
  const run = startRun(file, ['--registration-timeout', '10s', '--shutdown-grace', '2s'], env);
  const result = await run.exited;
  const out = run.stdout();
  assert.equal(result.code, 1, out);
  assert.match(out, /Pipeline failed to start: component mute did not register with the control plane within 10s \(its process \d+ is still running\)/);
  assert.match(out, /last lines of its log:\n(.*\n)*.*still not registering/);
  assert.deepEqual(markedProcesses(env.marker), [], 'no process left after a failed start');
});

test('Ctrl+C during start-up stops everything that was started', async (t) => {
  const env = runEnv(t);
  const file = writePipeline(
    env.dir,
    `apiVersion: flowctl/v1
kind: Pipeline
metadata: { name: ctrlc-test }
spec:
  sources:
    - id: src
      command: ${node('components/count-source.js')}
    - id: slow
      command: ${node('run/silent.js')}
  sinks:
    - id: sink
      command: ${node('components/record-sink.js')}
      inputs: [src, slow]
`,
  );
  const run = startRun(file, [], env);
  await run.waitForOutput('src registered');
  await run.waitForOutput('still not registering');
  assert.ok(markedProcesses(env.marker, [run.child.pid!]).length >= 2);
  const result = await stopRun(run, 'SIGINT');
  assert.notEqual(result.code, 0, 'an interrupted start is not a success');
  assert.match(run.stdout(), /stopped during start-up/);
  assert.deepEqual(markedProcesses(env.marker), [], 'no process left');
});

test('Ctrl+C while running stops every component and exits 0', async (t) => {
  const env = runEnv(t);
  const run = startRun(writePipeline(env.dir, chain()), [], env);
  await run.waitForOutput('Pipeline is running');
  const result = await stopRun(run, 'SIGINT');
  assert.equal(result.code, 0, run.stdout());
  assert.match(run.stdout(), /stopping the pipeline/);
  assert.deepEqual(markedProcesses(env.marker), [], 'no process left');
  // Per-component log files, without ANSI escapes.
  const log = fs.readFileSync(path.join(env.dir, 'logs', 'latest', 'src.log'), 'utf8');
  assert.match(log, /src/);
  assert.doesNotMatch(log, /\x1b\[/);
});

test('a crash is reported at once; without a restart policy the component stays down, with on-failure it comes back', async (t) => {
  const env = runEnv(t);
  const starts = path.join(env.dir, 'starts.txt');
  const file = writePipeline(
    env.dir,
    `apiVersion: flowctl/v1
kind: Pipeline
metadata: { name: crash-test }
spec:
  sources:
    - id: src
      command: ${node('components/count-source.js')}
  sinks:
    - id: once
      command: ${node('run/crasher.js')}
      inputs: [src]
      env: { EXIT_CODE: "3", CRASH_AFTER_MS: "1500" }
    - id: again
      command: ${node('run/crasher.js')}
      inputs: [src]
      restart_policy: on-failure
      env: { EXIT_CODE: "4", CRASH_AFTER_MS: "1500", STARTS_FILE: "${starts}" }
`,
  );
  const run = startRun(file, ['--show-status=false'], env);
  await run.waitForOutput('Pipeline is running');
  await run.waitForOutput(/once exited with code 3/);
  await run.waitForOutput(/again exited with code 4; restarting in/);
  await run.waitForOutput(/again restarted \(pid \d+, restart 1\)/);
  await waitFor(() => fs.existsSync(starts) && fs.readFileSync(starts, 'utf8').trim().split('\n').length >= 2, 15_000, 'a second start');
  // The status shows the crashed component as not healthy.
  const status = await runCli(['status', '--json'], env.env);
  const once = JSON.parse(status.stdout).components.find((c: any) => c.component.id === 'once');
  assert.equal(once?.status, 4, 'the crashed component is reported UNHEALTHY at once, not after the heartbeat TTL');
  const result = await stopRun(run, 'SIGTERM');
  assert.equal(result.code, 0, run.stdout());
  assert.deepEqual(markedProcesses(env.marker), [], 'no process left');
});

test('after the runner is killed with -9, the next run stops the processes it left behind', async (t) => {
  const env = runEnv(t);
  // Components that never write output: a component that logs dies of EPIPE once its runner is gone.
  const file = writePipeline(
    env.dir,
    `apiVersion: flowctl/v1
kind: Pipeline
metadata: { name: quiet-test }
spec:
  sources:
    - id: q1
      command: ${node('run/quiet.js')}
    - id: q2
      command: ${node('run/quiet.js')}
`,
  );
  const first = startRun(file, ['--show-status=false'], env);
  await first.waitForOutput('Pipeline is running');
  const leftovers = markedProcesses(env.marker, [first.child.pid!]);
  assert.equal(leftovers.length, 2);
  first.child.kill('SIGKILL');
  await first.exited;
  await new Promise((r) => setTimeout(r, 300));
  // The components survive their runner (own process groups)…
  assert.deepEqual(markedProcesses(env.marker).sort(), [...leftovers].sort(), 'components outlive a killed runner');
  // …until the next run reaps them (verified by pid and start time).
  const second = startRun(file, ['--show-status=false'], env);
  await second.waitForOutput('Pipeline is running');
  assert.match(second.stdout(), /stopped leftover process \d+ \(q1\)/);
  assert.match(second.stdout(), /stopped leftover process \d+ \(q2\)/);
  const alive = markedProcesses(env.marker);
  for (const pid of leftovers) assert.ok(!alive.includes(pid), `leftover ${pid} was stopped`);
  const result = await stopRun(second);
  assert.equal(result.code, 0);
  assert.deepEqual(markedProcesses(env.marker), []);
});

test('--use-external-control-plane registers the components with a running flowctl server, and pipelines stop reaches the run', async (t) => {
  const env = runEnv(t);
  const server = await startCliServer(['--address', '127.0.0.1', '--port', '0', '--no-persistence'], env.env);
  t.after(async () => {
    server.child.kill('SIGTERM');
    await server.exited;
  });
  const file = writePipeline(env.dir, chain(20));
  const run = startRun(file, ['--use-external-control-plane', '--control-plane-port', String(server.port), '--show-status=false'], env);
  await run.waitForOutput('Pipeline is running');
  // The server's registry holds the run's components, healthy.
  const status = await runCli(['status', '--json', '--control-plane-port', String(server.port)], env.env);
  const comps = JSON.parse(status.stdout).components;
  assert.deepEqual(comps.map((c: any) => c.component.id).sort(), ['relay', 'sink', 'src']);
  // flowctl could not stop an external-mode run; ours watches the run record.
  const active = await runCli(['pipelines', 'active', '--json', '--control-plane-port', String(server.port)], env.env);
  const runId = JSON.parse(active.stdout)[0].runId;
  await runCli(['pipelines', 'stop', runId, '--control-plane-port', String(server.port)], env.env);
  const result = await run.exited;
  assert.equal(result.code, 0, run.stdout());
  assert.deepEqual(markedProcesses(env.marker, [server.child.pid!]), [], 'no component left');
  // The server keeps running after the run ended.
  const after = await runCli(['pipelines', 'runs', 'chain-test', '--json', '--control-plane-port', String(server.port)], env.env);
  assert.equal(JSON.parse(after.stdout)[0].status, 'stopped');
});

test('with persistence, run history survives and a run left "running" by a killed runner is marked failed', async (t) => {
  const env = runEnv(t);
  const db = path.join(env.dir, 'registry.lmdb');
  const file = writePipeline(env.dir, chain(10));
  const first = startRun(file, ['--show-status=false', '--db-path', db], env);
  await first.waitForOutput('Pipeline is running');
  first.child.kill('SIGKILL');
  await first.exited;
  const second = startRun(file, ['--show-status=false', '--db-path', db], env);
  await second.waitForOutput('Pipeline is running');
  assert.match(second.stdout(), /marked 1 earlier run\(s\) that never ended as failed/);
  const runs = JSON.parse((await runCli(['pipelines', 'runs', 'chain-test', '--json'], env.env)).stdout);
  assert.deepEqual(runs.map((r: any) => r.status), ['running', 'failed'], 'newest first: this run, then the interrupted one');
  assert.match(runs[1].error, /interrupted/);
  assert.equal((await stopRun(second)).code, 0);
  // A third run sees both earlier runs in its history, the second one stopped cleanly.
  const third = startRun(file, ['--show-status=false', '--db-path', db], env);
  await third.waitForOutput('Pipeline is running');
  const history = JSON.parse((await runCli(['pipelines', 'runs', 'chain-test', '--json'], env.env)).stdout);
  assert.deepEqual(history.map((r: any) => r.status), ['running', 'stopped', 'failed']);
  assert.ok(history[1].eventsProcessed > 0, 'the stopped run kept its final event count');
  assert.equal((await stopRun(third)).code, 0);
  assert.deepEqual(markedProcesses(env.marker), []);
});

test('a second Ctrl+C stops at once: a component that ignores SIGTERM is killed without waiting for the grace period', async (t) => {
  const env = runEnv(t);
  const file = writePipeline(
    env.dir,
    `apiVersion: flowctl/v1
kind: Pipeline
metadata: { name: stubborn-test }
spec:
  sources:
    - id: src
      command: ${node('components/count-source.js')}
  pipelines:
    - id: stubborn
      command: ${node('proc/ignore-term.js')}
`,
  );
  const run = startRun(file, ['--show-status=false', '--shutdown-grace', '60s'], env);
  await run.waitForOutput('Pipeline is running');
  await run.waitForOutput(/stubborn: +ready \d+/);
  run.child.kill('SIGINT');
  await run.waitForOutput('got SIGTERM, ignoring');
  await new Promise((r) => setTimeout(r, 500));
  assert.ok(markedProcesses(env.marker, [run.child.pid!]).length > 0, 'the stubborn component is still there after the first Ctrl+C');
  const started = Date.now();
  run.child.kill('SIGINT');
  const result = await run.exited;
  assert.ok(Date.now() - started < 10_000, `stopped at once (${Date.now() - started} ms), not after the 60 s grace`);
  assert.equal(result.code, 0);
  assert.match(run.stdout(), /stopping at once \(SIGKILL, no grace period\)/);
  assert.deepEqual(markedProcesses(env.marker), []);
});
