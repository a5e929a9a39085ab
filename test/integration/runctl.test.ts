// Run control from the CLI, as a user does it: `flowctl restart|stop|start <id>` and `flowctl stop` from
// another process act on a live `flowctl run` through its runner service; strangers (no owner token) are
// refused; several runs live side by side in the endpoint file; one run per pipeline file; dead entries
// and locks of a kill -9'd runner are ignored and taken over; TLS settings in an entry are used.
// Real CLI processes, real sockets, a private FLOWCTL_HOME per test.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { runCli, startCliServer } from '../helpers/cli';
import { waitFor } from '../helpers/net';
import { generateCerts } from '../helpers/certs';
import { markedProcesses, node, runEnv, startRun, stopRun, writePipeline, type RunEnv } from './run-helpers';
import { RunnerCallError, RunnerClient } from '../../src/core/runctl/client';
import { newRunToken } from '../../src/core/runctl/token';
import { isProcessAlive } from '../../src/core/supervisor/procfs';
import { createRunner } from '../../src/core/runner';
import { PipelineAlreadyRunningError } from '../../src/core/runctl/runLock';

function chain(name: string, extraEnv = ''): string {
  return `apiVersion: flowctl/v1
kind: Pipeline
metadata:
  name: ${name}
spec:
  sources:
    - id: src
      command: ${node('components/count-source.js')}
      env: { RATE: "20"${extraEnv} }
  processors:
    - id: relay
      command: ${node('components/relay-processor.js')}
      inputs: [src]
  sinks:
    - id: sink
      command: ${node('components/record-sink.js')}
      inputs: [relay]
      env: { OUTPUT_FILE: "${name}.jsonl" }
`;
}

function entries(env: RunEnv): any[] {
  const file = path.join(env.home, 'endpoint.json');
  if (!fs.existsSync(file)) return [];
  const data = JSON.parse(fs.readFileSync(file, 'utf8'));
  assert.equal(data.version, 2);
  return data.entries;
}

function clientFor(entry: any, token?: string, ownConnection = false): RunnerClient {
  // grpc-js shares one connection between clients of the same target unless told otherwise.
  return new RunnerClient({ address: `127.0.0.1:${entry.runner?.port ?? entry.port}`, token }, ownConnection ? { 'grpc.use_local_subchannel_pool': 1 } : {});
}

async function code(p: Promise<unknown>): Promise<grpc.status | 'ok'> {
  try {
    await p;
    return 'ok';
  } catch (err) {
    assert.ok(err instanceof RunnerCallError, String(err));
    return err.code;
  }
}

const LONG = 120_000;

test('restart, stop and start one component and stop the run from another process; unknown ids and no run are clear errors', async (t) => {
  const env = runEnv(t);
  const file = writePipeline(env.dir, chain('ctl-test'));
  const run = startRun(file, ['--show-status=false', '--shutdown-grace', '3s'], env);
  await run.waitForOutput('Pipeline is running', 60_000);
  const [entry] = entries(env);
  const reader = clientFor(entry);
  t.after(() => reader.close());
  const view = async (id: string) => (await reader.getRun()).components.find((c) => c.id === id)!;

  // restart: a new process, running (registered) again when the command returns.
  const relayBefore = await view('relay');
  assert.ok(relayBefore.pid && isProcessAlive(relayBefore.pid));
  const restart = await runCli(['restart', 'relay'], env.env, LONG);
  assert.equal(restart.code, 0, restart.stderr);
  const m = /^restarted relay \(pid (\d+) → (\d+)\) in \d+(\.\d)? s$/m.exec(restart.stdout);
  assert.ok(m, restart.stdout);
  assert.equal(Number(m[1]), relayBefore.pid);
  assert.notEqual(Number(m[2]), relayBefore.pid);
  const relayAfter = await view('relay');
  assert.equal(relayAfter.pid, Number(m[2]));
  assert.equal(relayAfter.phase, 'running');
  assert.ok(relayAfter.registeredAt! > relayBefore.registeredAt!, 'registered again');
  assert.equal(isProcessAlive(relayBefore.pid!), false, 'the old process is gone');

  // stop: the component is stopped, the run keeps running.
  const sinkPid = (await view('sink')).pid!;
  const stop = await runCli(['stop', 'sink', '--json'], env.env, LONG);
  assert.equal(stop.code, 0, stop.stderr);
  const stopped = JSON.parse(stop.stdout);
  assert.equal(stopped.action, 'stop');
  assert.equal(stopped.component, 'sink');
  assert.equal(stopped.pipeline, 'ctl-test');
  assert.equal(stopped.runnerPid, run.child.pid);
  assert.equal(stopped.before.phase, 'running');
  assert.equal(stopped.before.pid, sinkPid);
  assert.equal(stopped.after.phase, 'stopped');
  assert.equal((await view('sink')).phase, 'stopped');
  assert.equal((await reader.getRun()).state, 'running', 'the run stays running');
  assert.equal(isProcessAlive(sinkPid), false);

  // start: running again with a new pid; a second start says so and changes nothing.
  const start = await runCli(['start', 'sink'], env.env, LONG);
  assert.equal(start.code, 0, start.stderr);
  const s = /^started sink \(pid (\d+)\) in \d+(\.\d)? s$/m.exec(start.stdout);
  assert.ok(s, start.stdout);
  assert.notEqual(Number(s[1]), sinkPid);
  assert.equal((await view('sink')).phase, 'running');
  const again = await runCli(['start', 'sink'], env.env);
  assert.equal(again.code, 0);
  assert.match(again.stdout, new RegExp(`^sink is already running \\(pid ${s[1]}\\)$`, 'm'));

  // Mistakes: exit 1 and a message that helps.
  const unknown = await runCli(['restart', 'nope'], env.env);
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /^Error: no component "nope" in this run of ctl-test; valid ids: src, relay, sink$/m);
  const noId = await runCli(['restart'], env.env);
  assert.equal(noId.code, 1);
  assert.match(noId.stderr, /usage: flowctl restart <component-id>/);
  const help = await runCli(['--help'], env.env);
  assert.match(help.stdout, /^  restart\s+Restart one component of the running pipeline$/m);
  assert.match(help.stdout, /^  stop\s+Stop one component, or the whole running pipeline$/m);
  assert.match(help.stdout, /^  start\s+Start a stopped component of the running pipeline$/m);

  // flowctl stop: the whole run ends, exit 0 of the runner, nothing left.
  const end = await runCli(['stop'], env.env, LONG);
  assert.equal(end.code, 0, end.stderr);
  assert.match(end.stdout, new RegExp(`^stopped run ctl-test \\(pid ${run.child.pid}\\) in \\d+(\\.\\d)? s$`, 'm'));
  const result = await run.exited;
  assert.equal(result.code, 0, run.stdout());
  assert.equal(isProcessAlive(run.child.pid!), false, 'the runner has exited when flowctl stop returns');
  assert.deepEqual(markedProcesses(env.marker), [], 'no component left');
  assert.deepEqual(entries(env), [], 'the run took its entry with it');

  const none = await runCli(['restart', 'relay'], env.env);
  assert.equal(none.code, 1);
  assert.match(none.stderr, /Error: no flowctl run is running \(no live run in .*endpoint\.json\)\nstart one with: flowctl run \[flow\.yml\]/);
  const noneStop = await runCli(['stop'], env.env);
  assert.equal(noneStop.code, 1);
  assert.match(noneStop.stderr, /no flowctl run is running/);
});

test('without the owner token every action is PERMISSION_DENIED; reads work and carry no secrets', async (t) => {
  const env = runEnv(t);
  const secret = `s3cr3t-${env.marker}`;
  const file = writePipeline(env.dir, chain('guard-test', `, API_KEY: "${secret}"`));
  const run = startRun(file, ['--show-status=false', '--shutdown-grace', '3s'], env);
  await run.waitForOutput('Pipeline is running', 60_000);
  const [entry] = entries(env);
  assert.match(entry.token, /^[0-9a-f]{64}$/);
  assert.equal(fs.statSync(path.join(env.home, 'endpoint.json')).mode & 0o777, 0o600);

  const stranger = clientFor(entry);
  const wrong = clientFor(entry, newRunToken());
  const nearly = clientFor(entry, entry.token.slice(0, 63) + (entry.token[63] === '0' ? '1' : '0'));
  t.after(() => [stranger, wrong, nearly].forEach((c) => c.close()));
  const relayPid = (await stranger.getRun()).components.find((c) => c.id === 'relay')!.pid;
  for (const c of [stranger, wrong, nearly]) {
    assert.equal(await code(c.restartComponent('relay')), grpc.status.PERMISSION_DENIED);
    assert.equal(await code(c.stopComponent('relay')), grpc.status.PERMISSION_DENIED);
    assert.equal(await code(c.startComponent('relay')), grpc.status.PERMISSION_DENIED);
    assert.equal(await code(c.stopRun('no')), grpc.status.PERMISSION_DENIED);
    // An unknown id is not revealed before the token is checked.
    assert.equal(await code(c.restartComponent('nope')), grpc.status.PERMISSION_DENIED);
  }

  // Reads: open on loopback, in pipeline order, without the token or the component's environment.
  const snap = await stranger.getRun();
  assert.equal(snap.state, 'running');
  assert.deepEqual(snap.components.map((c) => c.id), ['src', 'relay', 'sink']);
  assert.equal(snap.components[1].pid, relayPid, 'nothing was restarted');
  assert.equal(snap.runnerPid, run.child.pid);
  assert.equal(snap.file, file);
  const wire = JSON.stringify(snap);
  assert.ok(!wire.includes(entry.token), 'no token in a snapshot');
  assert.ok(!wire.includes(secret), 'no environment value in a snapshot');
  const seen: number[] = [];
  const watch = stranger.watchRun((r) => seen.push(r.components.length), { minIntervalMs: 100 });
  await waitFor(() => seen.length >= 2, 10_000, 'two WatchRun snapshots');
  watch.cancel();
  await watch.done;

  // The CLI from another FLOWCTL_HOME, pointed at the port: refused, and says why.
  const other = { ...env.env, FLOWCTL_HOME: path.join(env.dir, 'other-home') };
  for (const args of [['restart', 'relay'], ['stop', 'relay'], ['start', 'relay'], ['stop']]) {
    const r = await runCli([...args, '--control-plane-port', String(entry.port)], other);
    assert.equal(r.code, 1, `${args.join(' ')}: ${r.stdout}`);
    assert.match(r.stderr, /^Error: this run belongs to another user\/home: only the flowctl that started it \(same user, same FLOWCTL_HOME\) may control it$/m);
  }
  assert.equal((await stranger.getRun()).state, 'running');

  // Unknown ids, for the owner: NOT_FOUND naming the valid ids; bounded input.
  const owner = clientFor(entry, entry.token);
  t.after(() => owner.close());
  await assert.rejects(owner.restartComponent('nope'), (err: any) => err.code === grpc.status.NOT_FOUND && /valid ids: src, relay, sink/.test(err.details));
  await assert.rejects(owner.restartComponent('a\x1b[2Jb'), (err: any) => err.code === grpc.status.NOT_FOUND && err.details.includes('"a\\e[2Jb"') && !err.details.includes('\x1b'));
  await assert.rejects(owner.restartComponent(''), (err: any) => err.code === grpc.status.INVALID_ARGUMENT);
  await assert.rejects(owner.restartComponent('x'.repeat(300)), (err: any) => err.code === grpc.status.INVALID_ARGUMENT && /253/.test(err.details));
  // One action per component at a time: a second one while the first runs is ABORTED.
  const twice = await Promise.allSettled([owner.restartComponent('relay'), owner.restartComponent('relay')]);
  assert.deepEqual(twice.map((r) => r.status).sort(), ['fulfilled', 'rejected']);
  const second = twice.find((r) => r.status === 'rejected') as PromiseRejectedResult;
  assert.equal(second.reason.code, grpc.status.ABORTED, String(second.reason));
  assert.match(second.reason.details, /relay is being restarted; try again when that has finished/);
  // WatchRun streams are capped per connection; another connection still gets its own.
  const limited = clientFor(entry, undefined, true);
  t.after(() => limited.close());
  const counts = [0, 0, 0, 0];
  const watches = counts.map((_, i) => limited.watchRun(() => counts[i]++));
  await waitFor(() => counts.every((n) => n > 0), 10_000, 'four watches answered');
  const fifth = limited.watchRun(() => undefined);
  await assert.rejects(fifth.done, (err: any) => err.code === grpc.status.RESOURCE_EXHAUSTED && /at most 4 WatchRun streams per connection/.test(err.details));
  const fresh = clientFor(entry, undefined, true);
  t.after(() => fresh.close());
  let got = 0;
  const ok = fresh.watchRun(() => got++);
  await waitFor(() => got > 0, 10_000, 'a snapshot on another connection');
  for (const w of [...watches, ok]) w.cancel();
  await Promise.all([...watches, ok].map((w) => w.done));

  // The owner may stop the run.
  const res = await owner.stopRun('test');
  assert.equal(res.state, 'stopping');
  assert.equal((await run.exited).code, 0, run.stdout());
  assert.match(run.stdout(), /stopping the pipeline \(test\)/);
  assert.deepEqual(markedProcesses(env.marker), []);
});

test('two runs of different files: both in the endpoint file, commands ask which, stopping one leaves the other', async (t) => {
  const env = runEnv(t);
  const a = writePipeline(env.dir, chain('run-a'), 'a.yml');
  const b = writePipeline(env.dir, chain('run-b'), 'b.yml');
  const ra = startRun(a, ['--show-status=false', '--shutdown-grace', '3s'], env);
  const rb = startRun(b, ['--show-status=false', '--shutdown-grace', '3s'], env);
  await Promise.all([ra.waitForOutput('Pipeline is running', 60_000), rb.waitForOutput('Pipeline is running', 60_000)]);
  const both = entries(env);
  assert.deepEqual(both.map((e) => e.file).sort(), [a, b]);
  assert.deepEqual(both.map((e) => e.pid).sort(), [ra.child.pid, rb.child.pid].sort());
  assert.notEqual(both[0].token, both[1].token);
  const bEntry = both.find((e) => e.file === b);

  // Which one? Commands do not guess.
  for (const args of [['status'], ['restart', 'relay'], ['stop']]) {
    const r = await runCli(args, env.env);
    assert.equal(r.code, 1, args.join(' '));
    assert.match(r.stderr, /2 flowctl runs are live; say which with -f\/--file <pipeline file>/);
    assert.ok(r.stderr.includes(a) && r.stderr.includes(b), r.stderr);
    assert.ok(r.stderr.includes(String(ra.child.pid)) && r.stderr.includes(String(rb.child.pid)), r.stderr);
  }
  const st = await runCli(['status', '-f', a], env.env);
  assert.equal(st.code, 0, st.stderr);
  assert.match(st.stdout, /Pipeline: run-a/);
  const st2 = await runCli(['status', b], env.env);
  assert.match(st2.stdout, /Pipeline: run-b/);

  const stopA = await runCli(['stop', '-f', a], env.env, LONG);
  assert.equal(stopA.code, 0, stopA.stderr);
  assert.equal((await ra.exited).code, 0);
  assert.deepEqual(entries(env), [bEntry], "b's entry is untouched");
  assert.equal(rb.child.exitCode, null, 'b still runs');
  // Now there is one: no -f needed.
  const st3 = await runCli(['status'], env.env);
  assert.match(st3.stdout, /Pipeline: run-b/);
  const stopB = await runCli(['stop'], env.env, LONG);
  assert.equal(stopB.code, 0, stopB.stderr);
  assert.equal((await rb.exited).code, 0);
  assert.deepEqual(entries(env), []);
  assert.deepEqual(markedProcesses(env.marker), []);
});

test('a second run of the same file is refused naming the first; after a kill -9 its entry and lock are ignored and taken over', async (t) => {
  const env = runEnv(t);
  const file = writePipeline(env.dir, chain('once-test'));
  const first = startRun(file, ['--show-status=false'], env);
  await first.waitForOutput('Pipeline is running', 60_000);
  const before = entries(env);

  const second = startRun(file, ['--show-status=false'], env);
  const refused = await second.exited;
  assert.equal(refused.code, 1, second.stdout());
  assert.match(second.stdout(), new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is already running \\(pid ${first.child.pid}, started [^)]*\\): only one run per pipeline file at a time\\.`));
  assert.match(second.stdout(), /Stop it first with: flowctl stop -f .*flow\.yml {3}\(or Ctrl\+C in its terminal\)/);
  assert.doesNotMatch(second.stdout(), /Control plane ready/, 'nothing was started');
  assert.deepEqual(entries(env), before, "the first run's entry is untouched");
  assert.equal((await runCli(['status'], env.env)).code, 0, 'the first run still answers');

  // kill -9: the entry and the lock stay on disk, but readers see a dead process.
  first.child.kill('SIGKILL');
  await first.exited;
  assert.equal(entries(env).length, 1, 'the dead entry is still in the file');
  const gone = await runCli(['stop'], env.env);
  assert.equal(gone.code, 1);
  assert.match(gone.stderr, /no flowctl run is running/);
  const third = startRun(file, ['--show-status=false'], env);
  await third.waitForOutput('Pipeline is running', 60_000);
  const now = entries(env);
  assert.equal(now.length, 1, 'the dead entry was dropped');
  assert.equal(now[0].pid, third.child.pid);
  assert.notEqual(now[0].token, before[0].token, 'a new token per run');
  assert.equal((await stopRun(third)).code, 0);
  assert.deepEqual(entries(env), []);
});

test('the editor (the core in one process) gets the same refusal, in both directions', async (t) => {
  const env = runEnv(t);
  const file = writePipeline(env.dir, chain('core-test'));
  const previous = process.env.FLOWCTL_HOME;
  process.env.FLOWCTL_HOME = env.home;
  t.after(() => {
    if (previous === undefined) delete process.env.FLOWCTL_HOME;
    else process.env.FLOWCTL_HOME = previous;
  });
  const cli = startRun(file, ['--show-status=false'], env);
  await cli.waitForOutput('Pipeline is running', 60_000);
  const inProcess = createRunner({ file, port: 0, noPersistence: true, env: { FLOWCTL_TEST_MARKER: env.marker } });
  await assert.rejects(inProcess.start(), (err: unknown) => err instanceof PipelineAlreadyRunningError && err.pid === cli.child.pid);
  assert.equal((await stopRun(cli)).code, 0);

  const mine = createRunner({ file, port: 0, noPersistence: true, logDir: path.join(env.dir, 'logs'), env: { FLOWCTL_TEST_MARKER: env.marker } });
  t.after(() => mine.stop());
  await mine.start();
  const again = createRunner({ file, port: 0, noPersistence: true });
  await assert.rejects(again.start(), (err: unknown) => err instanceof PipelineAlreadyRunningError && err.pid === process.pid && /already running in this process/.test(err.message));
  const cli2 = startRun(file, ['--show-status=false'], env);
  assert.equal((await cli2.exited).code, 1);
  assert.match(cli2.stdout(), new RegExp(`already running \\(pid ${process.pid},`));
  // The CLI controls the in-process run too (its token is in the same endpoint file).
  const r = await runCli(['restart', 'relay', '-f', file], env.env, LONG);
  assert.equal(r.code, 0, r.stderr);
  // flowctl stop of a run hosted by a process that lives on (the editor): done when the run is, not when the process is.
  const stopped = await runCli(['stop', '-f', file, '--timeout', '40s'], env.env, LONG);
  assert.equal(stopped.code, 0, stopped.stderr);
  assert.match(stopped.stdout, new RegExp(`^stopped run core-test \\(pid ${process.pid}\\) in \\d+(\\.\\d)? s$`, 'm'));
  assert.equal((await mine.done).state, 'stopped');
  assert.deepEqual(entries(env), []);
});

test('a run on an external control plane serves the runner service on its own port; the CLI finds it either way', async (t) => {
  const env = runEnv(t);
  const server = await startCliServer(['--address', '127.0.0.1', '--port', '0', '--no-persistence'], env.env);
  t.after(async () => {
    server.child.kill('SIGTERM');
    await server.exited;
  });
  const file = writePipeline(env.dir, chain('ext-test'));
  const run = startRun(file, ['--use-external-control-plane', '--control-plane-port', String(server.port), '--show-status=false', '--shutdown-grace', '3s'], env);
  await run.waitForOutput('Pipeline is running', 60_000);
  const all = entries(env);
  const serverEntry = all.find((e) => e.kind === 'server');
  const runEntry = all.find((e) => e.kind === 'run');
  assert.equal(serverEntry.pid, server.child.pid);
  assert.equal(runEntry.port, server.port, 'the run entry names the control plane it uses');
  assert.equal(runEntry.runner.address, '127.0.0.1');
  assert.notEqual(runEntry.runner.port, server.port);
  const r1 = await runCli(['restart', 'src'], env.env, LONG);
  assert.equal(r1.code, 0, r1.stderr);
  assert.match(r1.stdout, /^restarted src \(pid \d+ → \d+\)/m);
  const r2 = await runCli(['stop', 'sink', '--control-plane-port', String(server.port)], env.env, LONG);
  assert.equal(r2.code, 0, r2.stderr);
  const end = await runCli(['stop'], env.env, LONG);
  assert.equal(end.code, 0, end.stderr);
  assert.equal((await run.exited).code, 0, run.stdout());
  assert.deepEqual(entries(env).map((e) => e.kind), ['server'], "the server's entry stays");
});

test('TLS settings of an endpoint entry are used by flowctl status and list', async (t) => {
  const env = runEnv(t);
  const certs = generateCerts(path.join(env.dir, 'certs'));
  const server = await startCliServer(
    ['--address', '127.0.0.1', '--port', '0', '--no-persistence', '--tls-cert', certs.serverCert, '--tls-key', certs.serverKey, '--tls-ca-cert', certs.caCert],
    env.env,
  );
  t.after(async () => {
    server.child.kill('SIGTERM');
    await server.exited;
  });
  const [entry] = entries(env);
  assert.equal(entry.kind, 'server');
  assert.deepEqual(entry.tls, { caFile: certs.caCert }, 'the CA that signed the server certificate; 127.0.0.1 is in it, so no name override');

  // The CA comes from the entry; the client certificate from flags (mutual TLS).
  const client = ['--tls-cert', certs.clientCert, '--tls-key', certs.clientKey];
  const ok = await runCli(['status', ...client], env.env);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /No components registered/);
  // Without the entry (another FLOWCTL_HOME), the same flags cannot verify the server.
  const other = { ...env.env, FLOWCTL_HOME: path.join(env.dir, 'other') };
  const blind = await runCli(['status', '--control-plane-port', String(server.port), ...client], other);
  assert.equal(blind.code, 1);
  assert.match(blind.stderr, /no control plane is reachable/);

  // An entry that carries the client certificate too: no flags at all.
  const file = path.join(env.home, 'endpoint.json');
  const rewrite = (tls: object) => {
    const data = JSON.parse(fs.readFileSync(file, 'utf8'));
    data.entries[0].tls = tls;
    fs.writeFileSync(file, JSON.stringify(data));
  };
  rewrite({ caFile: certs.caCert, certFile: certs.clientCert, keyFile: certs.clientKey, serverName: 'localhost' });
  const plain = await runCli(['status'], env.env);
  assert.equal(plain.code, 0, plain.stderr);
  assert.match(plain.stdout, /No components registered/);
  const list = await runCli(['list'], env.env);
  assert.equal(list.code, 0, list.stderr);
  // A wrong CA in the entry fails: the entry really is what is used.
  rewrite({ caFile: certs.otherCaCert, certFile: certs.clientCert, keyFile: certs.clientKey });
  assert.equal((await runCli(['status'], env.env)).code, 1);
});

test('while the run is still starting, reads work and actions are FAILED_PRECONDITION', async (t) => {
  const env = runEnv(t);
  const file = writePipeline(
    env.dir,
    `apiVersion: flowctl/v1
kind: Pipeline
metadata: { name: early-test }
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
  const run = startRun(file, ['--registration-timeout', '60s', '--shutdown-grace', '2s'], env);
  await run.waitForOutput('src registered', 60_000);
  const [entry] = entries(env);
  const owner = clientFor(entry, entry.token);
  t.after(() => owner.close());
  const snap = await owner.getRun();
  assert.equal(snap.state, 'starting');
  assert.equal(snap.components.find((c) => c.id === 'mute')?.phase, 'starting');
  await assert.rejects(owner.restartComponent('src'), (err: any) => err.code === grpc.status.FAILED_PRECONDITION && /the run is starting, not running/.test(err.details));
  // StopRun works in any state: the start is abandoned and everything it started is stopped.
  assert.equal((await owner.stopRun('not now')).state, 'stopping');
  const result = await run.exited;
  assert.notEqual(result.code, 0, 'an interrupted start is not a success');
  assert.deepEqual(markedProcesses(env.marker), [], 'nothing left');
  assert.deepEqual(entries(env), []);
});
