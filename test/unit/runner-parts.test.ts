// The runner's parts, each on its own: the component state machine, the start sequencer, the pipeline
// diff of applyPipeline, per-run log folders, the data plane's hold buffer, and the data health.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ComponentState, type LifeState } from '../../src/core/runner/componentState';
import { Sequencer } from '../../src/core/runner/sequencer';
import { diffSpecs } from '../../src/core/runner/apply';
import { prepareRunLogs, runFolderName } from '../../src/core/runner/runLogs';
import { UnsafePathError } from '../../src/core/safePath';
import { Edge } from '../../src/core/dataplane/edge';
import { MetricsPublisher } from '../../src/core/runner/metricsPublisher';
import type { ComponentView } from '../../src/core/events';
import type { NodeCounts } from '../../src/core/dataplane';
import type { ComponentSpec } from '../../src/core/pipeline/model';

test('component state: an exit while we stop it is the stop; by itself it is exited, failed or a restart', () => {
  const seen: LifeState[] = [];
  const s = new ComponentState('a', (state) => seen.push(state));
  s.launching();
  s.spawned();
  s.registeredNow();
  assert.equal(s.phase, 'running');
  s.stopping('user');
  assert.equal(s.exited({ code: null, signal: 'SIGTERM', willRestart: false }), 'expected');
  s.stopFinished();
  assert.equal(s.state, 'stopped');
  assert.ok(s.stoppedByHand && s.down && !s.failed, 'stopped by hand, not failed');
  s.launching();
  s.spawned();
  s.stopping('restart');
  s.stopFinished();
  assert.equal(s.state, 'restarting');
  assert.equal(s.phase, 'restarting');
  s.launching();
  s.spawned();
  s.registeredNow();
  assert.equal(s.exited({ code: 1, signal: null, willRestart: true }), 'restarting');
  assert.equal(s.phase, 'restarting');
  s.spawned();
  assert.equal(s.state, 'starting');
  s.registeredNow();
  assert.equal(s.exited({ code: 0, signal: null, willRestart: false }), 'exited');
  assert.ok(!s.failed);
  s.launching();
  s.spawned();
  assert.equal(s.exited({ code: null, signal: 'SIGKILL', willRestart: false }), 'failed');
  assert.equal(s.phase, 'exited');
  assert.ok(s.failed && !s.stoppedByHand);
  assert.deepEqual(seen.slice(0, 4), ['starting', 'running', 'stopping', 'stopped']);
});

test('sequencer: every component whose depends_on are ready starts at once; the others when theirs register', () => {
  const deps: Record<string, string[]> = { a: [], b: [], c: ['a'], d: ['a', 'c'] };
  const ready = new Set<string>();
  const launched: string[][] = [];
  let batch: string[] = [];
  const waiting: Record<string, string[]> = {};
  const seq = new Sequencer({
    dependsOn: (id) => deps[id],
    isReady: (id) => ready.has(id),
    launch: (id) => batch.push(id),
    waiting: (id, on) => (waiting[id] = on),
  });
  const step = (f: () => void) => {
    batch = [];
    f();
    launched.push(batch);
  };
  step(() => seq.request(['a', 'b', 'c', 'd']));
  assert.deepEqual(waiting, { c: ['a'], d: ['a', 'c'], a: [], b: [] });
  step(() => {
    ready.add('b');
    seq.update();
  });
  step(() => {
    ready.add('a');
    seq.update();
  });
  assert.deepEqual(waiting.d, ['c']);
  step(() => {
    ready.add('c');
    seq.update();
  });
  assert.deepEqual(launched, [['a', 'b'], [], ['c'], ['d']]);
  assert.deepEqual(seq.pending(), []);
  deps.x = ['nobody'];
  seq.request(['x']);
  assert.deepEqual(seq.pending(), ['x']);
  seq.cancel('x');
  assert.deepEqual(seq.pending(), []);
});

function spec(id: string, role: ComponentSpec['role'], extra: Partial<ComponentSpec> = {}): ComponentSpec {
  return { id, role, command: ['node', `${id}.js`], position: { line: 1, column: 1 }, range: { line: 1, column: 1, endLine: 1, endColumn: 1 }, index: 0, loc: { value: { line: 1, column: 1, endLine: 1, endColumn: 1 } }, ...extra } as ComponentSpec;
}

test('pipeline diff: a changed run spec restarts, changed inputs only re-wire, a moved component is removed and added', () => {
  const before = [
    spec('src', 'source', { env: { A: '1', B: '2' } }),
    spec('p', 'processor', { inputs: ['src'] }),
    spec('s', 'sink', { inputs: ['p'], env: { X: '1' } }),
    spec('gone', 'sink', { inputs: ['p'] }),
    spec('moved', 'sink', { inputs: ['src'] }),
  ];
  const after = [
    spec('src', 'source', { env: { B: '2', A: '1' } }), // same env, other key order
    spec('p', 'processor', { inputs: ['src', 'extra'] }),
    spec('s', 'sink', { inputs: ['p'], env: { X: '2' } }),
    spec('moved', 'processor', { inputs: ['src'] }),
    spec('extra', 'source'),
  ];
  const d = diffSpecs(before, after);
  assert.deepEqual(d.changed, ['s']);
  assert.deepEqual(d.rewired, ['p']);
  assert.deepEqual(d.unchanged, ['src']);
  assert.deepEqual(d.removed.sort(), ['gone', 'moved']);
  assert.deepEqual(d.added.map((c) => c.id).sort(), ['extra', 'moved']);
});

test('run logs: one private folder per run, a latest link, old runs pruned past the bound; file names stay inside', () => {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'flowctl-runlogs-'));
  try {
    assert.equal(runFolderName(Date.UTC(2025, 0, 31, 12, 0, 5, 7), '1A2B3C4D-0000-4000-8000-000000000000'), '20250131T120005.007Z-1a2b3c4d');
    fs.writeFileSync(path.join(base, 'notes.txt'), 'mine');
    const made: string[] = [];
    for (let i = 0; i < 4; i++) {
      const logs = prepareRunLogs(base, Date.UTC(2025, 0, 1, 0, 0, i), `0000000${i}-x`, 3);
      made.push(logs.dir);
      assert.deepEqual(logs.warnings, []);
      logs.release(); // this run has ended
      assert.equal(fs.realpathSync(path.join(base, 'latest')), logs.dir);
      assert.equal(fs.statSync(logs.dir).mode & 0o777, 0o700);
    }
    assert.ok(!fs.existsSync(made[0]), 'the oldest run folder was removed');
    assert.ok(made.slice(1).every((d) => fs.existsSync(d)));
    assert.equal(fs.readFileSync(path.join(base, 'notes.txt'), 'utf8'), 'mine', 'other files are left alone');
    const logs = prepareRunLogs(base, Date.now(), 'abcdef01-x', 3);
    assert.equal(logs.fileOf('ok.id-1_x'), path.join(logs.dir, 'ok.id-1_x.log'));
    assert.throws(() => logs.fileOf('../../escaped'), UnsafePathError);
    assert.throws(() => logs.fileOf('/abs/path'), UnsafePathError);
  } finally {
    fs.rmSync(base, { recursive: true, force: true });
  }
});

test('run logs: runs started in the same second are pruned oldest first whatever their ids; second-only names of older versions count too', () => {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'flowctl-runlogs-'));
  try {
    fs.mkdirSync(path.join(base, '20250101T000000Z-00000000')); // an older version's name, to the second
    // Ids chosen so that sorting by name alone would put the newest first within the second.
    const ended = (startedAt: number, id: string, keep: number) => {
      const logs = prepareRunLogs(base, startedAt, id, keep);
      logs.release();
      return logs;
    };
    const runFolders = () => fs.readdirSync(base).filter((n) => n !== 'latest').sort();
    const a = ended(Date.UTC(2025, 0, 1, 0, 0, 1, 900), 'ffffffff-x', 3);
    const b = ended(Date.UTC(2025, 0, 1, 0, 0, 1, 950), 'eeeeeeee-x', 3);
    const c = ended(Date.UTC(2025, 0, 1, 0, 0, 1, 990), '00000001-x', 3);
    assert.ok(!fs.existsSync(path.join(base, '20250101T000000Z-00000000')), 'the second-only folder was the oldest');
    assert.ok([a, b, c].every((l) => fs.existsSync(l.dir)));
    const d = ended(Date.UTC(2025, 0, 1, 0, 0, 1, 999), '00000000-x', 2);
    assert.deepEqual(runFolders(), [path.basename(c.dir), path.basename(d.dir)].sort());
    // A clock that went back: the current run is never removed, and still counts as one of the kept.
    const e = ended(Date.UTC(2024, 0, 1), 'abababab-x', 2);
    assert.deepEqual(runFolders(), [path.basename(d.dir), path.basename(e.dir)].sort());
    assert.equal(fs.realpathSync(path.join(base, 'latest')), e.dir);
  } finally {
    fs.rmSync(base, { recursive: true, force: true });
  }
});

test('run logs: a run still going keeps its folder whatever --keep-run-logs another run uses; once it ends (or its process is gone) it may go', () => {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'flowctl-runlogs-'));
  try {
    const runFolders = () => fs.readdirSync(base).filter((n) => n !== 'latest').sort();
    const live = prepareRunLogs(base, Date.UTC(2025, 0, 1, 0, 0, 0), '11111111-x', 1); // not released: still going
    assert.equal((fs.statSync(path.join(live.dir, '.owner')).mode & 0o777).toString(8), '600');
    const next = prepareRunLogs(base, Date.UTC(2025, 0, 1, 0, 0, 1), '22222222-x', 1);
    assert.deepEqual(runFolders(), [path.basename(live.dir), path.basename(next.dir)], 'the live run kept its folder');
    next.release();
    live.release(); // the first run ends
    live.release(); // twice is fine
    const third = prepareRunLogs(base, Date.UTC(2025, 0, 1, 0, 0, 2), '33333333-x', 1);
    assert.deepEqual(runFolders(), [path.basename(third.dir)], 'ended runs are pruned');
    // A mark left by a process that is gone (a runner killed -9) does not keep the folder.
    fs.writeFileSync(path.join(third.dir, '.owner'), JSON.stringify({ pid: 999999999, startTime: 1 }));
    const fourth = prepareRunLogs(base, Date.UTC(2025, 0, 1, 0, 0, 3), '44444444-x', 1);
    assert.deepEqual(runFolders(), [path.basename(fourth.dir)]);
    // Nor does a mark naming a live pid with another start time (the pid was reused).
    fs.writeFileSync(path.join(fourth.dir, '.owner'), JSON.stringify({ pid: process.pid, startTime: 1 }));
    const fifth = prepareRunLogs(base, Date.UTC(2025, 0, 1, 0, 0, 4), '55555555-x', 1);
    assert.deepEqual(runFolders(), [path.basename(fifth.dir)]);
    fifth.release();
  } finally {
    fs.rmSync(base, { recursive: true, force: true });
  }
});

function frame(n: number, bytes = 10): Buffer {
  const b = Buffer.alloc(5 + bytes, n);
  b[0] = 0;
  b.writeUInt32BE(bytes, 1);
  return b;
}

test('hold buffer: "drop" keeps the newest and counts what it dropped; "pause" keeps everything and says it is full', () => {
  const e = new Edge('a', 'b', { events: 3, bytes: 1000 });
  e.policy = 'drop';
  for (let i = 1; i <= 5; i++) {
    const f = frame(i);
    e.hold(f, 0, f.length, 'buffer full while b was down');
  }
  assert.equal(e.queued, 3);
  assert.equal(e.dropped, 2);
  assert.deepEqual(e.droppedBy, { 'buffer full while b was down': 2 });
  assert.deepEqual(
    e.take(10, 1 << 20).map((f) => f[5]),
    [3, 4, 5],
    'the oldest were dropped, the rest kept in order',
  );
  const p = new Edge('a', 'c', { events: 2, bytes: 1000 });
  for (let i = 1; i <= 3; i++) {
    const f = frame(i);
    p.hold(f, 0, f.length, 'x');
  }
  assert.equal(p.queued, 3);
  assert.ok(p.full);
  assert.equal(p.dropped, 0);
  const bytes = new Edge('a', 'd', { events: 100, bytes: 40 });
  bytes.policy = 'drop';
  for (let i = 1; i <= 4; i++) {
    const f = frame(i); // 15 bytes each
    bytes.hold(f, 0, f.length, 'x');
  }
  assert.equal(bytes.queued, 2, 'bounded by bytes too');
  assert.equal(bytes.queuedBytes, 30);
  assert.equal(bytes.dropAll('run stopped'), 2);
  assert.deepEqual(bytes.droppedBy, { x: 2, 'run stopped': 2 });
});

test('data health: downstream of a stopped processor waits on it (and what hangs below waits on that), a fed sink flows, a quiet one idles', () => {
  const views = new Map<string, ComponentView>();
  const view = (id: string, role: ComponentView['role'], phase: ComponentView['phase']): ComponentView => ({
    id,
    role,
    phase,
    health: 2,
    restarts: 0,
    metrics: {},
    waitingFor: [],
    eventsIn: 0,
    eventsOut: 0,
    eventsPerSecond: 0,
  });
  for (const v of [
    view('src', 'source', 'running'),
    view('proc', 'processor', 'stopped'),
    view('proc2', 'processor', 'running'),
    view('sink', 'sink', 'running'),
    view('direct', 'sink', 'running'),
    view('quiet-src', 'source', 'running'),
    view('quiet', 'sink', 'running'),
  ])
    views.set(v.id, v);
  const ups: Record<string, string[]> = { src: [], proc: ['src'], proc2: ['proc'], sink: ['proc2'], direct: ['src'], 'quiet-src': [], quiet: ['quiet-src'] };
  let counts: Record<string, NodeCounts> = {};
  const c = (i: number, o: number): NodeCounts => ({ eventsIn: i, eventsOut: o, bytesIn: i, bytesOut: o });
  const pub = new MetricsPublisher(
    {
      ids: () => [...views.keys()],
      view: (id) => views.get(id),
      update: (id, patch) => views.set(id, { ...views.get(id)!, ...patch }),
      upstreamOf: (id) => ups[id],
      counts: () => counts,
      drops: () => ({ dropped: 0, droppedBy: {}, queued: 0 }),
      edges: () => [],
    },
    (id) => views.get(id)!.role === 'sink',
  );
  counts = { src: c(0, 100), direct: c(50, 0) };
  pub.tick(1000);
  counts = { src: c(0, 300), direct: c(250, 0) };
  const m = pub.tick(2000);
  assert.equal(views.get('src')!.flow, 'flowing');
  assert.equal(views.get('src')!.eventsOutPerSecond, 200);
  assert.equal(views.get('direct')!.flow, 'flowing');
  assert.equal(views.get('direct')!.eventsInPerSecond, 200);
  assert.equal(views.get('proc')!.flow, undefined, 'no data health while stopped');
  assert.equal(views.get('proc2')!.flow, 'waiting');
  assert.deepEqual(views.get('proc2')!.waitingOn, ['proc']);
  assert.equal(views.get('sink')!.flow, 'waiting');
  assert.deepEqual(views.get('sink')!.waitingOn, ['proc2'], 'stalled upstream');
  assert.equal(views.get('quiet')!.flow, 'idle');
  assert.equal(views.get('quiet')!.waitingOn, undefined);
  assert.equal(m.events_processed, 250);
});

test('run.hurry: each wait takes its abort listener away when it settles (many restarts leave none behind); forceStop still cuts a wait short', async () => {
  const { Run } = await import('../../src/core/runner/run');
  const { EventEmitter } = await import('node:events');
  const getEventListeners = (t: EventTarget, name: string) => EventEmitter.getEventListeners(t, name);
  const run = new Run({ file: path.join(os.tmpdir(), 'flow.yml') });
  const signal = run.noGrace.signal;
  for (let i = 0; i < 25; i++) assert.equal(await run.hurry(Promise.resolve(i)), i);
  await assert.rejects(run.hurry(Promise.reject(new Error('boom'))), /boom/);
  assert.equal(getEventListeners(signal, 'abort').length, 0, 'no listener left after settled waits');
  const pending = run.hurry(new Promise<string>(() => undefined));
  assert.equal(getEventListeners(signal, 'abort').length, 1);
  run.noGrace.abort();
  assert.equal(await pending, undefined, 'the wait ends when the grace is cut');
  assert.equal(getEventListeners(signal, 'abort').length, 0);
  assert.equal(await run.hurry(new Promise<string>(() => undefined)), undefined, 'after forceStop no wait at all');
});
