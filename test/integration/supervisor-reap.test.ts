// Supervisor + run state file: stopAll, and reaping what a runner killed with -9 left behind
// (verified by pid and /proc start time, never hitting a reused pid).
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Supervisor, type SupervisorEvent } from '../../src/core/supervisor/supervisor';
import { RunStateFile, processStartTime, reapLeftovers } from '../../src/core/supervisor/stateFile';
import { readJournal } from '../../src/core/supervisor/journal';
import { isProcessAlive } from '../../src/core/supervisor/procfs';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'proc');
const fixture = (name: string, ...args: string[]) => [process.execPath, path.join(FIXTURES, `${name}.js`), ...args];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'flowctl-reap-'));
const newDir = () => fs.mkdtempSync(path.join(tmpRoot, 'state-'));

const tracked = new Set<number>();
const cleanups: Array<() => Promise<void> | void> = [];

/** Gone = no such process, or a zombie (an orphan whose reaper, PID 1 here, does not reap). */
function gone(pid: number): boolean {
  return !isProcessAlive(pid);
}

afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
  for (const pid of tracked) {
    if (!gone(pid)) {
      try {
        process.kill(pid, 'SIGKILL'); // never leave one behind, even when the test failed
      } catch {
        /* gone meanwhile */
      }
      assert.fail(`process ${pid} was still alive after the test`);
    }
  }
  tracked.clear();
});

function waitExit(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** A detached sleeper we start ourselves (its own process group), ready when it printed its pid. */
async function startSleeper(): Promise<ChildProcess & { pid: number }> {
  const child = spawn(process.execPath, [path.join(FIXTURES, 'sleeper.js')], { detached: true, stdio: ['ignore', 'pipe', 'inherit'] });
  tracked.add(child.pid!);
  cleanups.push(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await waitExit(child);
    }
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.once('data', () => resolve());
    child.once('error', reject);
  });
  return child as ChildProcess & { pid: number };
}

/** A pid that surely belongs to no process any more (a child we started and saw exit). */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
  await waitExit(child);
  return child.pid!;
}

test('Supervisor re-emits events with the id, records live children in the state file, stopAll ends all in parallel', async () => {
  const stateDir = newDir();
  const sup = new Supervisor({ stateDir, runnerFile: '/x/flow.yml' });
  const events: SupervisorEvent[] = [];
  sup.events.on((e) => events.push(e));
  cleanups.push(() => sup.stopAll(500));
  const env = { PATH: process.env.PATH ?? '' };
  sup.add({ id: 'source', command: fixture('sleeper'), cwd: tmpRoot, env }).start();
  sup.add({ id: 'sink', command: fixture('ignore-term'), cwd: tmpRoot, env }).start();
  assert.throws(() => sup.add({ id: 'sink', command: ['x'], cwd: tmpRoot, env }), /already supervised/);
  assert.deepEqual(
    sup.all().map((p) => p.id),
    ['source', 'sink'],
  );
  const deadline = Date.now() + 10_000;
  while (events.filter((e) => e.event.type === 'line').length < 2 && Date.now() < deadline) await sleep(20);
  const pids = sup.all().map((p) => p.pid!);
  for (const pid of pids) tracked.add(pid);
  assert.deepEqual(
    events.filter((e) => e.event.type === 'spawned').map((e) => e.id).sort(),
    ['sink', 'source'],
  );

  const state = readJournal(sup.journal!.file)!;
  assert.equal(state.header.runnerPid, process.pid);
  assert.equal(state.header.file, '/x/flow.yml');
  assert.equal(state.header.marker, sup.runMarker);
  assert.equal(state.header.runnerStartTimeTicks, processStartTime(process.pid));
  assert.deepEqual(
    state.children.map((c) => [c.id, c.pid, c.pgid, c.startTimeTicks]).sort(),
    [
      ['sink', sup.get('sink')!.pid, sup.get('sink')!.pid, processStartTime(sup.get('sink')!.pid!)],
      ['source', sup.get('source')!.pid, sup.get('source')!.pid, processStartTime(sup.get('source')!.pid!)],
    ].sort(),
  );

  const t0 = Date.now();
  await sup.stopAll(600);
  const took = Date.now() - t0;
  // In parallel: one grace period (the sink ignores SIGTERM), not one per process.
  assert.ok(took < 600 + 2500, `stopAll took ${took} ms`);
  for (const pid of pids) assert.ok(gone(pid), `pid ${pid} gone`);
  assert.equal(sup.get('sink')!.exitSignal, 'SIGKILL');
  assert.equal(sup.get('source')!.exitCode, 0);
  assert.equal(fs.existsSync(sup.journal!.file), false, 'journal removed after a clean stop');
  assert.ok(events.some((e) => e.id === 'sink' && e.event.type === 'stopped'));
});

test('a runner killed with -9 leaves its children running; reapLeftovers ends them (grandchild included) by recorded pid', async () => {
  const stateDir = newDir();
  const runner = spawn(process.execPath, [path.join(FIXTURES, 'runner.js'), stateDir, FIXTURES], { stdio: ['ignore', 'pipe', 'inherit'] });
  tracked.add(runner.pid!);
  cleanups.push(async () => {
    if (runner.exitCode === null && runner.signalCode === null) runner.kill('SIGKILL');
    await waitExit(runner);
  });
  const info = await new Promise<{ pids: Record<string, number>; grandchild: number }>((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error('runner fixture did not report its children')), 15_000);
    runner.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      const nl = buf.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(timer);
        resolve(JSON.parse(buf.slice(0, nl)));
      }
    });
  });
  const childPids = [info.pids.src, info.pids.sink, info.grandchild];
  for (const pid of childPids) tracked.add(pid);
  // Safety net for a failing test: SIGKILL the groups we know of.
  cleanups.push(() => {
    for (const pid of [info.pids.src, info.pids.sink]) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
  });

  const journals = fs.readdirSync(path.join(stateDir, 'runs'));
  assert.equal(journals.length, 1, `one journal: ${journals}`);
  assert.match(journals[0], new RegExp(`^${runner.pid}-[0-9a-f]{12}\\.jsonl$`));
  const stateFile = path.join(stateDir, 'runs', journals[0]);
  const state = readJournal(stateFile)!;
  assert.equal(state.header.runnerPid, runner.pid);
  assert.deepEqual(state.children.map((c) => c.id).sort(), ['sink', 'src']);

  // While the runner lives, its children are not touched.
  const early = await reapLeftovers(stateDir, { graceMs: 300 });
  assert.deepEqual(early.reaped, []);
  assert.ok(fs.existsSync(stateFile));

  runner.kill('SIGKILL');
  await waitExit(runner);
  await sleep(100);
  for (const pid of childPids) assert.ok(!gone(pid), `child ${pid} survived the runner (own process group)`);

  const result = await reapLeftovers(stateDir, { graceMs: 300 });
  assert.deepEqual(
    result.reaped.map((r) => [r.id, r.pid, r.file]).sort(),
    [
      ['sink', info.pids.sink, '/tmp/fake-flow.yml'],
      ['src', info.pids.src, '/tmp/fake-flow.yml'],
    ],
  );
  for (const pid of childPids) assert.ok(gone(pid), `pid ${pid} reaped`);
  assert.equal(fs.existsSync(stateFile), false, 'state file deleted');

  const again = await reapLeftovers(stateDir, { graceMs: 300 });
  assert.deepEqual(again, { reaped: [], skipped: [], removedFiles: [] });
});

test('reapLeftovers never kills a process whose pid matches but whose start time does not', async () => {
  const stateDir = newDir();
  const victim = await startSleeper();
  const realStart = processStartTime(victim.pid);
  assert.ok(realStart !== undefined && realStart > 0);
  const runnerPid = await deadPid();
  new RunStateFile(stateDir, runnerPid).write({
    runnerPid,
    file: '/y/flow.yml',
    startedAt: Date.now(),
    children: [{ id: 'reused', pid: victim.pid, pgid: victim.pid, startTimeTicks: realStart! - 1 }],
  });
  const result = await reapLeftovers(stateDir, { graceMs: 200 });
  assert.deepEqual(result.reaped, []);
  assert.equal(result.skipped.length, 1);
  assert.equal(result.skipped[0].pid, victim.pid);
  assert.match(result.skipped[0].reason, /start time differs/);
  await sleep(300);
  assert.ok(!gone(victim.pid), 'the unrelated process still runs');
  assert.equal(fs.existsSync(path.join(stateDir, 'runs', `${runnerPid}.json`)), false, 'stale state file removed');
});

test('a state file whose runner is alive is left alone; unreadable files are reported', async () => {
  const stateDir = newDir();
  const liveRunner = await startSleeper();
  const child = await startSleeper();
  const file = new RunStateFile(stateDir, liveRunner.pid);
  file.write({
    runnerPid: liveRunner.pid,
    file: '/z/flow.yml',
    startedAt: Date.now(),
    children: [{ id: 'c', pid: child.pid, pgid: child.pid, startTimeTicks: processStartTime(child.pid) }],
  });
  assert.equal(file.read()?.runnerStartTimeTicks, processStartTime(liveRunner.pid));
  fs.writeFileSync(path.join(stateDir, 'runs', '999999.json'), '{not json');
  const result = await reapLeftovers(stateDir, { graceMs: 200 });
  assert.deepEqual(result.reaped, []);
  assert.deepEqual(
    result.skipped.map((s) => s.reason),
    ['unreadable state file'],
  );
  assert.ok(!gone(child.pid));
  assert.ok(fs.existsSync(file.file));
  assert.deepEqual(
    fs.readdirSync(path.join(stateDir, 'runs')).filter((n) => n.endsWith('.tmp')),
    [],
    'atomic write leaves no temp file',
  );
  file.remove();
  assert.equal(fs.existsSync(file.file), false);
});

process.on('exit', () => fs.rmSync(tmpRoot, { recursive: true, force: true }));
