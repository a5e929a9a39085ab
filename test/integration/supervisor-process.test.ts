// ManagedProcess against real child processes (the fixtures in test/fixtures/proc, run with node).
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ManagedProcess, type ManagedProcessSpec, type ProcessEvent } from '../../src/core/supervisor/process';
import { isProcessAlive } from '../../src/core/supervisor/procfs';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'proc');
const fixture = (name: string, ...args: string[]) => [process.execPath, path.join(FIXTURES, `${name}.js`), ...args];
const baseEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin' };

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'flowctl-sup-'));
const started: ManagedProcess[] = [];
const seenPids = new Set<number>();

function make(spec: Partial<ManagedProcessSpec> & { command: string[] }): { proc: ManagedProcess; events: ProcessEvent[] } {
  const proc = new ManagedProcess({ id: 'c', cwd: tmp, env: baseEnv, restartPolicy: 'no', ...spec });
  const events: ProcessEvent[] = [];
  proc.events.on((e) => {
    events.push(e);
    if (e.type === 'spawned') seenPids.add(e.pid);
  });
  started.push(proc);
  return { proc, events };
}

function next<T extends ProcessEvent['type']>(
  proc: ManagedProcess,
  type: T,
  pred: (e: Extract<ProcessEvent, { type: T }>) => boolean = () => true,
  timeoutMs = 10_000,
): Promise<Extract<ProcessEvent, { type: T }>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      sub.dispose();
      reject(new Error(`no ${type} event within ${timeoutMs} ms`));
    }, timeoutMs);
    const sub = proc.events.on((e) => {
      if (e.type === type && pred(e as Extract<ProcessEvent, { type: T }>)) {
        clearTimeout(timer);
        sub.dispose();
        resolve(e as Extract<ProcessEvent, { type: T }>);
      }
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Gone = no such process, or a zombie (an orphan whose reaper, PID 1 here, does not reap). */
function gone(pid: number): boolean {
  return !isProcessAlive(pid);
}

async function waitGone(pid: number, ms = 5000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (gone(pid)) return true;
    await sleep(20);
  }
  return gone(pid);
}

afterEach(async () => {
  await Promise.all(started.splice(0).map((p) => p.stop(1000)));
  for (const pid of seenPids) assert.ok(gone(pid), `process ${pid} is still alive after the test`);
  seenPids.clear();
});

test('an exit is seen at once, with code, and no restart under policy "no"', async () => {
  const { proc } = make({ command: fixture('exit-after', '50', '0') });
  const spawned = next(proc, 'spawned');
  const exited = next(proc, 'exited');
  proc.start();
  const s = await spawned;
  assert.equal(proc.state, 'running');
  assert.equal(proc.pid, s.pid);
  assert.ok(proc.startedAt && proc.startedAt <= Date.now());
  const t0 = Date.now();
  const e = await exited;
  // The child lives ~50 ms plus node start-up; the exit event must not lag behind a polling interval.
  assert.ok(Date.now() - t0 < 3000, `exit seen after ${Date.now() - t0} ms`);
  assert.equal(e.code, 0);
  assert.equal(e.signal, null);
  assert.equal(e.willRestart, false);
  assert.equal(proc.state, 'exited');
  assert.equal(proc.exitCode, 0);
  assert.equal(proc.pid, undefined);
  assert.equal(proc.restarts, 0);
  assert.ok(gone(s.pid));
});

test('lines: ANSI kept in events and tail, stderr tagged, CRLF and a final partial line handled; log file stripped with a header', async () => {
  const logFile = path.join(tmp, 'nested', 'logs', 'ansi.log');
  const { proc, events } = make({ command: fixture('ansi-lines', '3'), logFile });
  const exited = next(proc, 'exited');
  proc.start();
  await exited;
  const lines = events.filter((e) => e.type === 'line');
  const stdout = lines.filter((l) => l.stream === 'stdout').map((l) => l.line);
  const stderr = lines.filter((l) => l.stream === 'stderr').map((l) => l.line);
  assert.deepEqual(stdout, [
    '\u001b[32mline 1\u001b[0m \u001b]0;title\u0007ok',
    '\u001b[32mline 2\u001b[0m \u001b]0;title\u0007ok',
    '\u001b[32mline 3\u001b[0m \u001b]0;title\u0007ok',
    'split across writes',
    'partial at end',
  ]);
  assert.deepEqual(stderr, ['\u001b[1;31merror line\u001b[0m']);
  assert.ok(lines.every((l) => l.type === 'line' && typeof l.time === 'number'));
  assert.deepEqual(proc.tail(2), ['split across writes', 'partial at end']);
  assert.equal(proc.tail().length, 6);

  await proc.stop(1000); // closes (flushes) the log file
  const text = fs.readFileSync(logFile, 'utf8');
  assert.ok(!text.includes('\u001b'), 'no escape sequences in the log file');
  const spawned = events.find((e) => e.type === 'spawned');
  assert.ok(spawned && spawned.type === 'spawned');
  const pid = spawned.pid;
  assert.match(text, new RegExp(`^--- \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z started pid ${pid} \\(attempt 1\\) ---$`, 'm'));
  for (const l of ['line 1 ok', 'line 3 ok', 'error line', 'split across writes', 'partial at end']) {
    assert.match(text, new RegExp(`^\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z ${l}$`, 'm'));
  }
});

test('the log file is appended across restarts, one header per start', async () => {
  const logFile = path.join(tmp, 'restarts.log');
  const { proc } = make({
    command: fixture('exit-after', '10', '1'),
    logFile,
    restartPolicy: 'on-failure',
    maxRestarts: 2,
    backoff: { initialMs: 20 },
  });
  const last = next(proc, 'exited', (e) => !e.willRestart);
  proc.start();
  await last;
  await proc.stop(1000);
  const headers = fs.readFileSync(logFile, 'utf8').match(/^--- .* started pid \d+ \(attempt \d\) ---$/gm) ?? [];
  assert.deepEqual(
    headers.map((h) => h.match(/attempt (\d)/)![1]),
    ['1', '2', '3'],
  );
});

test('on-failure: restarts with exponential backoff up to the cap, counts restarts, honours maxRestarts', async () => {
  const { proc, events } = make({
    command: fixture('exit-after', '10', '3'),
    restartPolicy: 'on-failure',
    backoff: { initialMs: 40, factor: 2, maxMs: 150 },
    maxRestarts: 4,
  });
  const final = next(proc, 'exited', (e) => !e.willRestart, 20_000);
  proc.start();
  const last = await final;
  const exits = events.filter((e) => e.type === 'exited');
  assert.deepEqual(
    exits.map((e) => (e.type === 'exited' ? [e.code, e.willRestart, e.restartInMs ?? null, e.restarts] : [])),
    [
      [3, true, 40, 0],
      [3, true, 80, 1],
      [3, true, 150, 2],
      [3, true, 150, 3],
      [3, false, null, 4],
    ],
  );
  assert.equal(last.restarts, 4);
  assert.equal(proc.restarts, 4);
  assert.equal(proc.state, 'exited');
  assert.deepEqual(
    events.filter((e) => e.type === 'spawned').map((e) => (e.type === 'spawned' ? e.attempt : 0)),
    [1, 2, 3, 4, 5],
  );
  // The backoff was really waited: each spawn comes at least restartInMs after the previous exit.
  assert.equal(new Set(events.filter((e) => e.type === 'spawned').map((e) => (e as { pid: number }).pid)).size, 5);
});

test('on-failure does not restart after a clean exit; "no" does not restart after a failure', async () => {
  const a = make({ command: fixture('exit-after', '10', '0'), restartPolicy: 'on-failure', backoff: { initialMs: 10 } });
  const b = make({ command: fixture('exit-after', '10', '2'), restartPolicy: 'no', backoff: { initialMs: 10 } });
  const ea = next(a.proc, 'exited');
  const eb = next(b.proc, 'exited');
  a.proc.start();
  b.proc.start();
  assert.equal((await ea).willRestart, false);
  const xb = await eb;
  assert.equal(xb.willRestart, false);
  assert.equal(xb.code, 2);
  await sleep(200);
  assert.equal(a.events.filter((e) => e.type === 'spawned').length, 1);
  assert.equal(b.events.filter((e) => e.type === 'spawned').length, 1);
  assert.equal(b.proc.state, 'exited');
});

test('always restarts after a clean exit; unless-stopped after a signal', async () => {
  const a = make({ command: fixture('exit-after', '10', '0'), restartPolicy: 'always', maxRestarts: 2, backoff: { initialMs: 10 } });
  const done = next(a.proc, 'exited', (e) => !e.willRestart);
  a.proc.start();
  await done;
  assert.equal(a.proc.restarts, 2);
  assert.equal(a.events.filter((e) => e.type === 'spawned').length, 3);

  const b = make({ command: fixture('sleeper'), restartPolicy: 'unless-stopped', backoff: { initialMs: 10 } });
  const first = next(b.proc, 'spawned');
  b.proc.start();
  const { pid } = await first;
  const again = next(b.proc, 'spawned', (e) => e.pid !== pid);
  const killed = next(b.proc, 'exited');
  process.kill(pid, 'SIGKILL');
  const k = await killed;
  assert.equal(k.signal, 'SIGKILL');
  assert.equal(k.willRestart, true);
  const s2 = await again;
  assert.equal(s2.attempt, 2);
  assert.equal(b.proc.restarts, 1);
});

test('backoff starts over after the process stayed up long enough', async () => {
  const { proc, events } = make({
    command: fixture('exit-after', '300', '1'),
    restartPolicy: 'on-failure',
    backoff: { initialMs: 30, factor: 4, resetAfterMs: 100 },
    maxRestarts: 2,
  });
  const done = next(proc, 'exited', (e) => !e.willRestart, 20_000);
  proc.start();
  await done;
  const delays = events.filter((e) => e.type === 'exited' && e.willRestart).map((e) => (e as { restartInMs?: number }).restartInMs);
  assert.deepEqual(delays, [30, 30]);
});

test('no restart after stop(): the process is gone, state stopped, a stopped event is sent', async () => {
  const { proc, events } = make({ command: fixture('sleeper'), restartPolicy: 'always', backoff: { initialMs: 10 } });
  const spawned = next(proc, 'spawned');
  proc.start();
  const { pid } = await spawned;
  await next(proc, 'line', (l) => l.line.startsWith('ready'));
  await proc.stop(5000);
  assert.ok(gone(pid));
  assert.equal(proc.state, 'stopped');
  const exited = events.find((e) => e.type === 'exited');
  assert.ok(exited && exited.type === 'exited' && exited.willRestart === false && exited.code === 0);
  assert.equal(events.at(-1)?.type, 'stopped');
  await sleep(200);
  assert.equal(events.filter((e) => e.type === 'spawned').length, 1, 'not restarted');
  assert.equal(proc.pid, undefined);
  await proc.stop(); // idempotent: resolves at once, no second stopped event
  assert.equal(events.filter((e) => e.type === 'stopped').length, 1);
});

test('stop() escalates to SIGKILL for a child that ignores SIGTERM, within grace + margin', async () => {
  const { proc } = make({ command: fixture('ignore-term') });
  const spawned = next(proc, 'spawned');
  const ready = next(proc, 'line', (l) => l.line.startsWith('ready'));
  proc.start();
  const { pid } = await spawned;
  await ready;
  const sawTerm = next(proc, 'line', (l) => l.line.includes('got SIGTERM'));
  const t0 = Date.now();
  await proc.stop(400);
  const took = Date.now() - t0;
  assert.ok(took >= 350, `stop waited the grace period (${took} ms)`);
  assert.ok(took < 400 + 3000, `stop took ${took} ms`);
  await sawTerm; // it really got SIGTERM first
  assert.equal(proc.exitSignal, 'SIGKILL');
  assert.ok(gone(pid));
});

test('stop() kills the whole process group, grandchild included', async () => {
  const { proc } = make({ command: fixture('grandchild') });
  const spawned = next(proc, 'spawned');
  const line = next(proc, 'line', (l) => l.line.startsWith('grandchild '));
  proc.start();
  const { pid } = await spawned;
  const gc = Number((await line).line.split(' ')[1]);
  assert.ok(gc > 0 && !gone(gc), 'grandchild runs');
  seenPids.add(gc);
  await proc.stop(300); // the grandchild ignores SIGTERM: SIGKILL must reach it through the group
  assert.ok(gone(pid), 'leader gone');
  assert.ok(gone(gc), 'grandchild gone');
});

test('when the leader dies on its own, what it left in its group is ended too', async () => {
  const { proc } = make({ command: fixture('grandchild'), restartPolicy: 'no' });
  const spawned = next(proc, 'spawned');
  const line = next(proc, 'line', (l) => l.line.startsWith('grandchild '));
  proc.start();
  const { pid } = await spawned;
  const gc = Number((await line).line.split(' ')[1]);
  seenPids.add(gc);
  const exited = next(proc, 'exited');
  process.kill(pid, 'SIGKILL');
  await exited;
  assert.ok(await waitGone(gc, 5000), 'grandchild ended after the leader died');
});

test('a missing command gives a clear spawnError; so does a missing working directory', async () => {
  const { proc, events } = make({ command: ['flowctl-no-such-command-xyz', '--flag'] });
  const err = next(proc, 'spawnError');
  proc.start();
  const e = await err;
  assert.equal(e.message, `command not found: flowctl-no-such-command-xyz (looked in PATH and ${tmp})`);
  assert.equal(proc.state, 'exited');
  assert.equal(events.filter((x) => x.type === 'spawned').length, 0);

  const rel = make({ command: ['./not-here.sh'] });
  const err2 = next(rel.proc, 'spawnError');
  rel.proc.start();
  assert.match((await err2).message, /^command not found: \.\/not-here\.sh \(looked in PATH and /);

  const missing = path.join(tmp, 'does-not-exist');
  const cwdCase = make({ command: fixture('sleeper'), cwd: missing });
  const err3 = next(cwdCase.proc, 'spawnError');
  cwdCase.proc.start();
  assert.equal((await err3).message, `working directory not found: ${missing}`);
});

test('stop() during backoff cancels the pending restart', async () => {
  const { proc, events } = make({ command: fixture('exit-after', '10', '1'), restartPolicy: 'always', backoff: { initialMs: 300 } });
  const exited = next(proc, 'exited');
  proc.start();
  const e = await exited;
  assert.equal(e.willRestart, true);
  assert.equal(proc.state, 'backoff');
  await proc.stop(1000);
  assert.equal(proc.state, 'stopped');
  await sleep(600);
  assert.equal(events.filter((x) => x.type === 'spawned').length, 1, 'no restart after stop');
});

test('restart(): concurrent calls share one restart, the old process is gone, the count grows', async () => {
  const { proc, events } = make({ command: fixture('sleeper') });
  const spawned = next(proc, 'spawned');
  proc.start();
  const { pid } = await spawned;
  const a = proc.restart(2000);
  const b = proc.restart(2000);
  assert.equal(a, b, 'same promise');
  await Promise.all([a, b]);
  const spawns = events.filter((e) => e.type === 'spawned');
  assert.equal(spawns.length, 2);
  assert.ok(gone(pid), 'old process gone');
  assert.equal(proc.state, 'running');
  assert.notEqual(proc.pid, pid);
  assert.equal(proc.restarts, 1);
  const exit = events.find((e) => e.type === 'exited');
  assert.ok(exit && exit.type === 'exited' && exit.willRestart, 'the exit of a user restart says it will restart');
});

test('restart() from backoff starts at once and resets the backoff', async () => {
  const { proc, events } = make({ command: fixture('exit-after', '10', '1'), restartPolicy: 'on-failure', backoff: { initialMs: 100, factor: 10, maxMs: 60_000 } });
  const two = next(proc, 'exited', (e) => e.restartInMs === 1000);
  proc.start();
  await two; // second failure: next restart in 1 s
  const t0 = Date.now();
  const spawned = next(proc, 'spawned');
  const exitAfter = next(proc, 'exited');
  await proc.restart();
  await spawned;
  assert.ok(Date.now() - t0 < 900, 'restarted without waiting the backoff');
  const e = await exitAfter;
  assert.equal(e.restartInMs, 100, 'backoff starts over after a user restart');
  await proc.stop(1000);
  assert.ok(events.filter((x) => x.type === 'spawned').length >= 3);
});

test('output is drained with no listener: a child writing ~2 MB is never stalled', async () => {
  const proc = new ManagedProcess({ id: 'flood', cwd: tmp, env: baseEnv, command: fixture('flood', '20000') });
  started.push(proc);
  proc.start();
  const pid = proc.pid!;
  seenPids.add(pid);
  const end = Date.now() + 15_000;
  while (proc.state === 'running' && Date.now() < end) await sleep(20);
  assert.equal(proc.state, 'exited');
  assert.equal(proc.exitCode, 0);
  await sleep(50);
  assert.deepEqual(proc.tail(2), ['20000 ' + 'x'.repeat(96), 'done']);
  assert.equal(proc.tail(500).length, 200, 'tail keeps 200 lines by default');
});

test('the environment is passed exactly as given (nothing inherited)', async () => {
  const env = { PATH: baseEnv.PATH, FLOWCTL_COMPONENT_ID: 'c1', EMPTY: '' };
  const { proc } = make({ command: fixture('print-env'), env });
  const line = next(proc, 'line', (l) => l.line.startsWith('{'));
  proc.start();
  const printed = JSON.parse((await line).line) as Record<string, string>;
  assert.equal(printed.FLOWCTL_COMPONENT_ID, 'c1');
  assert.equal(printed.EMPTY, '');
  assert.equal(printed.HOME, undefined);
  for (const k of Object.keys(printed)) assert.ok(k in env, `unexpected variable ${k}`);
});

test('bad specs are rejected with clear errors', () => {
  assert.throws(() => new ManagedProcess({ id: 'x', command: [], cwd: tmp, env: {} }), /command must be a non-empty array/);
  assert.throws(
    () => new ManagedProcess({ id: 'x', command: ['a'], cwd: tmp, env: {}, restartPolicy: 'sometimes' as never }),
    /unknown restart policy "sometimes"/,
  );
  assert.throws(() => new ManagedProcess({ id: '', command: ['a'], cwd: tmp, env: {} }), /id is required/);
});

process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));
