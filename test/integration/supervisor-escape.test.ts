// Nothing escapes, at the supervisor level: the run marker reaches every component, daemons that left
// their group (setsid) are ended by stopAll, every spawn is in the journal before the next one, a runner
// killed -9 in the middle of spawning leaves nothing after reapLeftovers, a reused pid is never hit,
// ownsProcess answers for children, daemons and strangers, and the files are private.
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Supervisor } from '../../src/core/supervisor/supervisor';
import { RunJournal, readJournal } from '../../src/core/supervisor/journal';
import { reapLeftovers } from '../../src/core/supervisor/stateFile';
import { RUN_MARKER_ENV, findMarkedProcesses, newRunMarker } from '../../src/core/supervisor/marker';
import { isProcessAlive, processStartTime, scanStats, waitGroupGone } from '../../src/core/supervisor/procfs';
import { markedProcesses } from './run-helpers';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'proc');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'flowctl-escape-'));
const newDir = () => fs.mkdtempSync(path.join(tmpRoot, 'state-'));
const mode = (p: string) => fs.statSync(p).mode & 0o777;

/** Every test marks what it starts with FLOWCTL_TEST_MARKER and kills what is left afterwards. */
const testMarker = crypto.randomUUID();
const baseEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin', FLOWCTL_TEST_MARKER: testMarker };
const cleanups: Array<() => Promise<void> | void> = [];

afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
  const left = markedProcesses(testMarker);
  for (const pid of left) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  assert.deepEqual(left, [], 'no process of the test left running');
});

async function waitUntil(pred: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

function waitExit(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

test('every component carries the run marker; a setsid daemon is ended by stopAll; ownsProcess knows children, daemons and strangers', async () => {
  const marker = newRunMarker();
  assert.throws(() => new Supervisor({ runMarker: 'not-hex' }), /32 lower-case hex digits/);
  const sup = new Supervisor({ stateDir: newDir(), runMarker: marker });
  assert.equal(sup.runMarker, marker);
  assert.notEqual(new Supervisor().runMarker, marker, 'a fresh marker per supervisor');
  cleanups.push(() => sup.stopAll(500));
  const lines: string[] = [];
  sup.events.on((e) => e.event.type === 'line' && lines.push(e.event.line));
  const proc = sup.add({
    id: 'd',
    command: ['sh', '-c', `setsid sleep 600 & echo "daemon $!"; echo "env $${RUN_MARKER_ENV}"; exec sleep 600`],
    cwd: tmpRoot,
    env: { ...baseEnv, [RUN_MARKER_ENV]: 'overridden-by-the-supervisor' },
  });
  proc.start();
  await waitUntil(() => lines.some((l) => l.startsWith('daemon ')) && lines.some((l) => l.startsWith('env ')), 10_000, 'the component to report');
  assert.ok(lines.includes(`env ${marker}`), `the component sees the run's marker: ${lines}`);
  const daemon = Number(lines.find((l) => l.startsWith('daemon '))!.split(' ')[1]);
  await waitUntil(() => isProcessAlive(daemon) && fs.readFileSync(`/proc/${daemon}/stat`, 'utf8').includes('sleep'), 5000, 'the daemon');
  const dstat = fs.readFileSync(`/proc/${daemon}/stat`, 'utf8').split(') ')[1].split(' ');
  assert.equal(Number(dstat[3]), daemon, 'the daemon leads its own session (left the component group)');

  assert.equal(sup.ownsProcess(proc.pid!), true, 'the spawned child');
  assert.equal(sup.ownsProcess(daemon), true, 'the escaped daemon (by marker)');
  assert.equal(sup.ownsProcess(process.pid), false, 'the runner itself');
  const stranger = spawn('sleep', ['600'], { env: baseEnv, stdio: 'ignore' });
  cleanups.push(async () => {
    stranger.kill('SIGKILL');
    await waitExit(stranger); // its /proc entry still names the test's marker until it has exited
  });
  await waitUntil(() => processStartTime(stranger.pid!) !== undefined, 5000, 'the stranger');
  assert.equal(sup.ownsProcess(stranger.pid!), false, 'an unrelated process');
  assert.equal(sup.ownsProcess(stranger.pid!), false, 'cached answer stays the same');
  assert.equal(sup.ownsProcess(-1), false);

  const found = await findMarkedProcesses(new Set([marker]));
  assert.deepEqual(found.map((p) => p.pid).sort(), [proc.pid!, daemon].sort());

  await sup.stopAll(2000);
  assert.ok(!isProcessAlive(daemon), 'the daemon is gone after stopAll');
  assert.deepEqual(sup.lastSweep?.ended.map((p) => p.pid), [daemon], 'found by its marker');
  assert.deepEqual(await findMarkedProcesses(new Set([marker])), []);
  assert.equal(fs.existsSync(sup.journal!.file), false, 'journal removed after a clean stop');
});

test('each spawn is in the journal before the next spawn; journal, runs folder, log folder and log files are private', async () => {
  const stateDir = newDir();
  const sup = new Supervisor({ stateDir, runnerFile: '/x/flow.yml' });
  cleanups.push(() => sup.stopAll(500));
  const logDir = path.join(tmpRoot, `logs-${process.pid}`, 'nested');
  for (let i = 0; i < 30; i++) {
    sup.add({ id: `c${i}`, command: ['sleep', '600'], cwd: tmpRoot, env: baseEnv, logFile: path.join(logDir, `c${i}.log`) }).start();
    // start() has returned: the record must already be on disk (nothing asynchronous in between).
    const journal = readJournal(sup.journal!.file)!;
    assert.equal(journal.children.length, i + 1, `spawn ${i} recorded at once`);
    const last = journal.children.at(-1)!;
    assert.equal(last.id, `c${i}`);
    assert.equal(last.pid, sup.get(`c${i}`)!.pid);
    assert.equal(last.startTimeTicks, processStartTime(last.pid));
  }
  assert.equal(readJournal(sup.journal!.file)!.header.marker, sup.runMarker);
  assert.equal(mode(path.join(stateDir, 'runs')), 0o700, 'runs folder 0700');
  assert.equal(mode(sup.journal!.file), 0o600, 'journal 0600');
  assert.equal(mode(logDir), 0o700, 'log folder 0700');
  assert.equal(mode(path.dirname(logDir)), 0o700, 'parent folder it created 0700');
  assert.equal(mode(path.join(logDir, 'c0.log')), 0o600, 'log file 0600');
  // An existing log file with a wider mode is made private when it is opened again.
  await sup.get('c1')!.stop(500); // closes its log file
  fs.chmodSync(path.join(logDir, 'c1.log'), 0o644);
  sup.get('c1')!.start(); // writes its "started" line: the file is opened again
  assert.equal(mode(path.join(logDir, 'c1.log')), 0o600);
  // A runs folder found with a wider mode is tightened.
  fs.chmodSync(path.join(stateDir, 'runs'), 0o755);
  new RunJournal(stateDir, { runnerPid: process.pid, marker: newRunMarker(), file: '', startedAt: Date.now() }).remove();
  const j = new RunJournal(stateDir, { runnerPid: process.pid, marker: newRunMarker(), file: '', startedAt: Date.now() });
  j.open();
  assert.equal(mode(path.join(stateDir, 'runs')), 0o700);
  j.remove();
});

test('a runner killed -9 in the middle of spawning 200 components (daemons among them) leaves nothing after reapLeftovers', async () => {
  const stateDir = newDir();
  const runner = spawn(process.execPath, [path.join(FIXTURES, 'marker-runner.js'), stateDir, '200', '10'], {
    env: { ...process.env, ...baseEnv },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  cleanups.push(async () => {
    runner.kill('SIGKILL');
    await waitExit(runner);
  });
  // Kill it once 40 spawns are recorded: it is still spawning (the journal is read while it writes).
  const runs = path.join(stateDir, 'runs');
  const recorded = () => {
    const files = fs.existsSync(runs) ? fs.readdirSync(runs).filter((n) => n.endsWith('.jsonl')) : [];
    return files.length ? (readJournal(path.join(runs, files[0]))?.children.length ?? 0) : 0;
  };
  await waitUntil(() => recorded() >= 40, 60_000, '40 spawns');
  runner.kill('SIGKILL');
  await waitExit(runner);
  const atKill = recorded();
  await sleep(300);
  const left = markedProcesses(testMarker);
  assert.ok(left.length >= atKill, `the components outlive their runner (${left.length} processes, ${atKill} recorded)`);
  assert.ok(atKill < 200, `killed while spawning (${atKill} of 200 recorded)`);

  const result = await reapLeftovers(stateDir, { graceMs: 1000 });
  assert.deepEqual(markedProcesses(testMarker), [], 'nothing of the killed run is left');
  assert.ok(result.reaped.filter((r) => r.via === 'record').length >= atKill, 'every recorded component was ended');
  assert.ok(result.reaped.some((r) => r.via === 'marker'), 'daemons were found by marker');
  assert.equal(fs.readdirSync(runs).length, 0, 'the journal is gone');
});

test('a recorded pid now used by an unrelated process is never signalled (start time differs, no marker)', async () => {
  const stateDir = newDir();
  const victim = spawn('sleep', ['600'], { env: baseEnv, stdio: 'ignore' });
  cleanups.push(async () => {
    victim.kill('SIGKILL');
    await waitExit(victim);
  });
  await waitUntil(() => processStartTime(victim.pid!) !== undefined, 5000, 'the victim');
  // A journal of a dead runner that recorded this pid with another start time (its own child, long gone).
  const dead = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
  await waitExit(dead);
  const journal = new RunJournal(stateDir, { runnerPid: dead.pid!, runnerStartTimeTicks: 1, marker: newRunMarker(), file: '/y/flow.yml', startedAt: Date.now() });
  journal.recordSpawn({ id: 'old', pid: victim.pid!, pgid: victim.pid!, startTimeTicks: processStartTime(victim.pid!)! - 7 });
  journal.close();
  const result = await reapLeftovers(stateDir, { graceMs: 200 });
  assert.deepEqual(result.reaped, []);
  assert.equal(result.skipped.length, 1);
  assert.match(result.skipped[0].reason, /start time differs/);
  await sleep(200);
  assert.ok(isProcessAlive(victim.pid!), 'the unrelated process still runs');
  assert.equal(victim.exitCode, null);
  assert.equal(victim.signalCode, null);
  assert.equal(fs.existsSync(journal.file), false, 'the dead run\'s journal is removed');
});

test('many groups waiting to be gone share one /proc scan per tick', async () => {
  // Each leader exits at once and leaves a member behind for ~1 s: the group answers kill(-pgid, 0)
  // but its leader is gone, the case that needs a scan.
  const sup = new Supervisor({});
  cleanups.push(() => sup.stopAll(500));
  const procs = Array.from({ length: 20 }, (_, i) => sup.add({ id: `g${i}`, command: ['sh', '-c', 'sleep 1 & exit 0'], cwd: tmpRoot, env: baseEnv }));
  const exits = procs.map((p) => new Promise<void>((resolve) => p.events.on((e) => e.type === 'exited' && resolve())));
  const pgids: number[] = [];
  for (const p of procs) {
    p.start();
    pgids.push(p.pgid!);
  }
  await Promise.all(exits);
  const before = scanStats.scans;
  const t0 = Date.now();
  const gone = await Promise.all(pgids.map((g) => waitGroupGone(g, 10_000)));
  const elapsed = Date.now() - t0;
  const scans = scanStats.scans - before;
  assert.ok(gone.every(Boolean), 'every group is gone');
  assert.ok(scans >= 1, 'the members left behind needed a scan');
  // One shared scan per 100 ms tick at most (plus slack), not one per group per 25 ms poll (~20 × 40).
  assert.ok(scans <= Math.ceil(elapsed / 100) + 3, `${scans} scans in ${elapsed} ms for 20 groups`);
});

process.on('exit', () => fs.rmSync(tmpRoot, { recursive: true, force: true }));
