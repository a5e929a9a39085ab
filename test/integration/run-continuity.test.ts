// Data continuity of a live run under the moves of a development loop: restart, stop and start one
// component, apply a changed pipeline file, restart under an override. The runner is hosted in this
// process (as the extension hosts it); the components are real processes on real sockets. Every test
// reads what the sinks really wrote and checks: strictly increasing sequence numbers, no duplicate, and
// any gap equal to the drops the runner counted (none for graceful moves).
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PipelineInvalidError, Runner } from '../../src/core/runner';
import type { RunnerOptions } from '../../src/core/runnerTypes';
import type { ComponentView, RunSnapshot } from '../../src/core/events';
import { waitFor } from '../helpers/net';
import { repoRoot } from '../helpers/paths';
import { markedProcesses, node, runEnv, writePipeline, type RunEnv } from './run-helpers';

interface Hosted {
  runner: Runner;
  notices: string[];
  view(id: string): ComponentView;
}

function host(t: { after(fn: () => void | Promise<void>): void }, env: RunEnv, file: string, extra: Partial<RunnerOptions> = {}): Hosted {
  // The endpoint file and state files go to this test's own FLOWCTL_HOME.
  process.env.FLOWCTL_HOME = env.home;
  const runner = new Runner({
    file,
    port: 0,
    noPersistence: true,
    stateDir: env.home,
    logDir: path.join(env.dir, 'logs'),
    shutdownGraceMs: 5000,
    env: { FLOWCTL_TEST_MARKER: env.marker },
    ...extra,
  });
  const notices: string[] = [];
  runner.onEvent((e) => {
    if (e.type === 'notice') notices.push(`${e.level}: ${e.message}`);
    if (process.env.DEBUG_RUN && e.type === 'component') notices.push(`view ${e.view.id} ${e.view.phase} in=${e.view.eventsIn} q=${e.view.queued}`);
  });
  t.after(() => runner.forceStop('test over'));
  return {
    runner,
    notices,
    view: (id) => {
      const v = runner.snapshot().components.find((c) => c.id === id);
      if (!v) throw new Error(`no component ${id}`);
      return v;
    },
  };
}

/** Sequence numbers a sink wrote (record-sink / marked-sink lines), in file order. */
function seqs(file: string, source?: string): number[] {
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { seq: number; source: string })
    .filter((l) => source === undefined || l.source === source)
    .map((l) => l.seq);
}

/** Strictly increasing (so no duplicate); returns the missing numbers between 1 and the last. */
function gaps(list: number[], label: string): number[] {
  assert.ok(list.length > 0, `${label}: no events`);
  for (let i = 1; i < list.length; i++) assert.ok(list[i] > list[i - 1], `${label}: ${list[i]} after ${list[i - 1]} (position ${i})`);
  const missing: number[] = [];
  let expected = 1;
  for (const s of list) {
    for (; expected < s; expected++) missing.push(expected);
    expected = s + 1;
  }
  return missing;
}

function pids(snap: RunSnapshot): Record<string, number | undefined> {
  return Object.fromEntries(snap.components.map((c) => [c.id, c.pid]));
}

function fanOut(rate = 200): string {
  return `apiVersion: flowctl/v1
kind: Pipeline
metadata: { name: fanout-test }
spec:
  sources:
    - id: src
      command: ${node('components/count-source.js')}
      env: { RATE: "${rate}" }
  processors:
    - id: relay
      command: ${node('components/relay-processor.js')}
      inputs: [src]
  sinks:
    - id: sink-a
      command: ${node('components/record-sink.js')}
      inputs: [relay]
      env: { OUTPUT_FILE: a.jsonl }
    - id: sink-b
      command: ${node('components/record-sink.js')}
      inputs: [relay]
      env: { OUTPUT_FILE: b.jsonl }
    - id: direct
      command: ${node('components/record-sink.js')}
      inputs: [src]
      env: { OUTPUT_FILE: c.jsonl }
`;
}

test('a restart of each kind of component (processor, sink, source) in a fan-out pipeline: every sink gets every event once, in order', async (t) => {
  const env = runEnv(t);
  const file = writePipeline(env.dir, fanOut());
  const { runner, notices, view } = host(t, env, file);
  const out = (n: string) => path.join(env.dir, n);
  await runner.start();
  await waitFor(() => seqs(out('a.jsonl')).length > 40 && seqs(out('c.jsonl')).length > 40, 20_000, 'events at the sinks');
  const edges = runner.snapshot().edges;
  await waitFor(() => runner.snapshot().edges?.length === 4, 5_000, 'the edges in the snapshot');
  assert.ok(edges === undefined || edges.length === 4);

  for (const id of ['relay', 'sink-a', 'src']) {
    const before = pids(runner.snapshot());
    const counts = ['a.jsonl', 'b.jsonl', 'c.jsonl'].map((f) => seqs(out(f)).length);
    await runner.restartComponent(id);
    await waitFor(() => view(id).phase === 'running' && view(id).pid !== before[id], 20_000, `${id} back`);
    // Events flow again everywhere, well past the restart.
    await waitFor(() => ['a.jsonl', 'b.jsonl', 'c.jsonl'].every((f, i) => seqs(out(f)).length > counts[i] + 60), 20_000, `events after restarting ${id}`);
    const after = pids(runner.snapshot());
    for (const other of Object.keys(before)) {
      if (other !== id) assert.equal(after[other], before[other], `${other} kept its process while ${id} restarted`);
    }
    assert.equal(view(id).restarts, 1);
  }
  assert.ok(notices.some((n) => /src: stream re-opened, resuming after event "src-\d+"/.test(n)), notices.join('\n'));
  assert.equal(runner.snapshot().state, 'running');

  await runner.stop();
  const snap = runner.snapshot();
  assert.equal(snap.state, 'stopped');
  assert.equal(snap.dropped, 0, `nothing dropped: ${notices.filter((n) => /dropped/.test(n)).join('\n')}`);
  const lasts = ['a.jsonl', 'b.jsonl', 'c.jsonl'].map((f) => {
    const list = seqs(out(f));
    assert.deepEqual(gaps(list, f), [], `${f} has every event`);
    return list[list.length - 1];
  });
  assert.equal(new Set(lasts).size, 1, `every sink got the same events up to the end: ${lasts}`);
  assert.equal(snap.components.find((c) => c.id === 'src')?.eventsOut, lasts[0], 'what the source produced is what every sink wrote');
  assert.ok(!notices.some((n) => /^error:/.test(n)), notices.filter((n) => /^error:/.test(n)).join('\n'));
  assert.deepEqual(markedProcesses(env.marker), [], 'no process left');
});

test('a sink stopped by hand: the run stays RUNNING, events wait in a bounded buffer, the oldest over the bound are dropped and counted, start resumes delivery', async (t) => {
  const env = runEnv(t);
  const file = writePipeline(
    env.dir,
    `apiVersion: flowctl/v1
kind: Pipeline
metadata: { name: handstop-test }
spec:
  sources:
    - id: src
      command: ${node('components/count-source.js')}
      env: { RATE: "200" }
  sinks:
    - id: sink
      command: ${node('components/record-sink.js')}
      inputs: [src]
      env: { OUTPUT_FILE: s.jsonl }
`,
  );
  const { runner, notices, view } = host(t, env, file, { holdBufferEvents: 100 });
  const out = path.join(env.dir, 's.jsonl');
  await runner.start();
  await waitFor(() => seqs(out).length > 40, 20_000, 'events at the sink');
  await runner.stopComponent('sink');
  assert.equal(view('sink').phase, 'stopped');
  assert.equal(runner.snapshot().state, 'running', 'a hand stop does not end the run');
  // 200 events/s for the held buffer of 100: within a few seconds it is full and the oldest are dropped.
  await waitFor(() => view('sink').queued === 100 && (view('sink').dropped ?? 0) > 100, 15_000, 'the buffer to fill and drop');
  const edge = runner.snapshot().edges?.find((e) => e.to === 'sink');
  assert.equal(edge?.state, 'held');
  assert.equal(view('src').flow, 'flowing', 'the source keeps streaming');
  await runner.startComponent('sink');
  await waitFor(() => view('sink').phase === 'running', 20_000, 'the sink back');
  const resumedAt = seqs(out).length;
  await waitFor(() => seqs(out).length > resumedAt + 150, 20_000, 'delivery to resume');
  await runner.stop();
  const snap = runner.snapshot();
  assert.equal(snap.state, 'stopped', 'Ctrl+C after a hand stop ends the run STOPPED, not FAILED');
  const sink = snap.components.find((c) => c.id === 'sink')!;
  const missing = gaps(seqs(out), 'sink');
  assert.ok(missing.length > 100, `a gap while the sink was down (${missing.length})`);
  assert.equal(sink.dropped, missing.length, 'the counted drops are exactly the gap');
  assert.equal(sink.droppedBy?.['buffer full while sink was down'], missing.length);
  assert.equal(snap.dropped, missing.length);
  assert.ok(notices.some((n) => new RegExp(`sink: ${missing.length} event\\(s\\) dropped: ${missing.length} \\(buffer full while sink was down\\)`).test(n)), notices.join('\n'));
  assert.deepEqual(markedProcesses(env.marker), [], 'no process left');
});

test('data health: downstream of a stopped processor is waiting on it; the direct sink keeps flowing; nothing is lost once it is back', async (t) => {
  const env = runEnv(t);
  const file = writePipeline(env.dir, fanOut(100));
  const { runner, view } = host(t, env, file);
  const out = (n: string) => path.join(env.dir, n);
  await runner.start();
  await waitFor(() => view('sink-a').flow === 'flowing' && view('direct').flow === 'flowing', 20_000, 'flowing');
  assert.ok((view('sink-a').eventsInPerSecond ?? 0) > 0, 'per-second rate from the runner');
  await runner.stopComponent('relay');
  await waitFor(() => view('sink-a').flow === 'waiting' && view('sink-b').flow === 'waiting', 20_000, 'sinks behind the relay to wait');
  assert.deepEqual(view('sink-a').waitingOn, ['relay']);
  assert.equal(view('direct').flow, 'flowing');
  assert.equal(view('relay').flow, undefined, 'a stopped component has no data health');
  const held = runner.snapshot().edges?.find((e) => e.from === 'src' && e.to === 'relay');
  assert.equal(held?.state, 'held');
  assert.ok((held?.queued ?? 0) > 0, 'events for the relay are held');
  assert.equal(runner.snapshot().state, 'running');
  await runner.startComponent('relay');
  await waitFor(() => view('sink-a').flow === 'flowing', 20_000, 'flowing again');
  await runner.stop();
  assert.equal(runner.snapshot().dropped, 0);
  for (const f of ['a.jsonl', 'b.jsonl', 'c.jsonl']) assert.deepEqual(gaps(seqs(out(f)), f), [], `${f} has every event`);
});

test('applyPipeline restarts only the changed component, starts and wires an added one, stops a removed one; an invalid file leaves the run untouched', async (t) => {
  const env = runEnv(t);
  const starts = path.join(env.dir, 'starts.txt');
  const v1 = (bEnv: string, extra: string) => `apiVersion: flowctl/v1
kind: Pipeline
metadata: { name: apply-test }
spec:
  sources:
    - id: src
      command: ${node('components/count-source.js')}
      env: { RATE: "100" }
  sinks:
    - id: sink-a
      command: ${node('components/record-sink.js')}
      inputs: [src]
      env: { OUTPUT_FILE: a.jsonl }
    - id: sink-b
      command: ${node('run/marked-sink.js')}
      inputs: [src]
      env: { OUTPUT_FILE: b.jsonl, STARTS_FILE: "${starts}", MARK: "${bEnv}" }
${extra}`;
  const file = writePipeline(
    env.dir,
    v1(
      'v1',
      `    - id: sink-x
      command: ${node('components/record-sink.js')}
      inputs: [src]
      env: { OUTPUT_FILE: x.jsonl }
`,
    ),
  );
  const { runner, notices, view } = host(t, env, file);
  const out = (n: string) => path.join(env.dir, n);
  await runner.start();
  await waitFor(() => seqs(out('a.jsonl')).length > 20 && seqs(out('x.jsonl')).length > 20, 20_000, 'events');
  const before = pids(runner.snapshot());
  const xPid = before['sink-x']!;

  fs.writeFileSync(file, 'spec: [unclosed\n');
  await assert.rejects(runner.applyPipeline(), PipelineInvalidError);
  assert.deepEqual(pids(runner.snapshot()), before, 'an invalid file changes nothing');

  fs.writeFileSync(
    file,
    v1(
      'v2',
      `    - id: sink-d
      command: ${node('components/record-sink.js')}
      inputs: [src]
      env: { OUTPUT_FILE: d.jsonl }
`,
    ),
  );
  const result = await runner.applyPipeline();
  assert.deepEqual(result.restarted, ['sink-b']);
  assert.deepEqual(result.added, ['sink-d']);
  assert.deepEqual(result.removed, ['sink-x']);
  assert.deepEqual(result.unchanged.sort(), ['sink-a', 'src']);
  await waitFor(() => view('sink-b').phase === 'running' && view('sink-d').phase === 'running', 20_000, 'sink-b and sink-d running');
  const after = pids(runner.snapshot());
  assert.equal(after.src, before.src, 'src kept its pid');
  assert.equal(after['sink-a'], before['sink-a'], 'sink-a kept its pid');
  assert.notEqual(after['sink-b'], before['sink-b'], 'sink-b restarted');
  assert.ok(!runner.snapshot().components.some((c) => c.id === 'sink-x'), 'sink-x left the run');
  assert.ok(!markedProcesses(env.marker).includes(xPid), 'sink-x process stopped');
  await waitFor(() => seqs(out('d.jsonl')).length > 30, 20_000, 'the added sink to receive events');
  assert.deepEqual(fs.readFileSync(starts, 'utf8').trim().split('\n'), ['v1', 'v2']);
  await runner.stop();
  assert.equal(runner.snapshot().dropped, 0, JSON.stringify(runner.snapshot().components.map((c) => [c.id, c.droppedBy])) + notices.join('\n'));
  assert.deepEqual(gaps(seqs(out('a.jsonl')), 'a'), [], 'the unchanged sink missed nothing');
  assert.deepEqual(gaps(seqs(out('b.jsonl')), 'b'), [], 'the restarted sink missed nothing');
  assert.deepEqual(markedProcesses(env.marker), [], 'no process left');
});

test('restart with an override runs the override once; the next restart uses the pipeline file again', async (t) => {
  const env = runEnv(t);
  const starts = path.join(env.dir, 'starts.txt');
  const file = writePipeline(
    env.dir,
    `apiVersion: flowctl/v1
kind: Pipeline
metadata: { name: override-test }
spec:
  sources:
    - id: src
      command: ${node('components/count-source.js')}
      env: { RATE: "100" }
  sinks:
    - id: sink
      command: ${node('run/marked-sink.js')}
      inputs: [src]
      env: { OUTPUT_FILE: s.jsonl, STARTS_FILE: "${starts}", MARK: spec }
`,
  );
  const { runner, notices, view } = host(t, env, file);
  const out = path.join(env.dir, 's.jsonl');
  await runner.start();
  await waitFor(() => seqs(out).length > 20, 20_000, 'events');
  const startsSoFar = () => fs.readFileSync(starts, 'utf8').trim().split('\n');
  await runner.restartComponent('sink', { override: { command: JSON.parse(node('run/marked-sink.js')), args: ['--inspect-me'], env: { MARK: 'override' } } });
  await waitFor(() => view('sink').phase === 'running' && startsSoFar().length === 2, 20_000, 'the override start');
  assert.ok(notices.some((n) => /sink: this start uses an override: .*marked-sink\.js --inspect-me \(\+ env MARK\)/.test(n)), notices.join('\n'));
  let n = seqs(out).length;
  await waitFor(() => seqs(out).length > n + 30, 20_000, 'events into the overridden sink');
  await runner.restartComponent('sink');
  await waitFor(() => view('sink').phase === 'running' && startsSoFar().length === 3, 20_000, 'the next start');
  n = seqs(out).length;
  await waitFor(() => seqs(out).length > n + 30, 20_000, 'events after the plain restart');
  assert.deepEqual(startsSoFar(), ['spec', 'override --inspect-me', 'spec']);
  await runner.stop();
  assert.deepEqual(gaps(seqs(out), 'sink'), [], 'three starts, every event once');
});

test('a sink whose registered event types do not match its input: the drops are counted and named once', async (t) => {
  const env = runEnv(t);
  const file = writePipeline(
    env.dir,
    `apiVersion: flowctl/v1
kind: Pipeline
metadata: { name: mismatch-test }
spec:
  sources:
    - id: src
      command: ${node('components/count-source.js')}
      env: { RATE: "100", EVENT_TYPES: "test.a.v1,test.b.v1" }
  sinks:
    - id: picky
      command: ${node('components/record-sink.js')}
      inputs: [src]
      env: { OUTPUT_FILE: p.jsonl, INPUT_TYPES: test.a.v1 }
`,
  );
  const { runner, notices, view } = host(t, env, file);
  await runner.start();
  await waitFor(() => (view('picky').dropped ?? 0) > 20, 20_000, 'drops counted');
  await runner.stop();
  const snap = runner.snapshot();
  const picky = snap.components.find((c) => c.id === 'picky')!;
  const src = snap.components.find((c) => c.id === 'src')!;
  assert.equal(picky.eventsIn + (picky.dropped ?? 0), src.eventsOut, 'every event was delivered or counted');
  assert.equal(picky.droppedBy?.['type mismatch: test.b.v1'], picky.dropped);
  const named = notices.filter((n) => n.includes('sink picky accepts only [test.a.v1]; events of type "test.b.v1" from src are dropped'));
  assert.equal(named.length, 1, 'named once');
  assert.ok(notices.some((n) => new RegExp(`picky: ${picky.dropped} event\\(s\\) dropped: .*type mismatch: test\\.b\\.v1.*it accepts only \\[test\\.a\\.v1\\]`).test(n)), notices.join('\n'));
  assert.equal(seqs(path.join(env.dir, 'p.jsonl')).length, picky.eventsIn);
});

test("the demo: a restarted ticker goes on with the trade after the last one delivered (no trade twice at the sinks)", async (t) => {
  const env = runEnv(t);
  // The demo pipeline as shipped, with its commands made absolute and its output in the temp folder.
  const built = path.join(repoRoot(), 'dist', 'examples', 'demo', 'components');
  const out = path.join(env.dir, 'events.jsonl');
  const yaml = fs
    .readFileSync(path.join(repoRoot(), 'examples', 'demo', 'flow.yml'), 'utf8')
    .replace(/"\.\.\/\.\.\/dist\/examples\/demo\/components\/([\w-]+\.js)"/g, (_m, f: string) => JSON.stringify(path.join(built, f)))
    .replace('RATE: "20"', 'RATE: "100"')
    .replace('output/events.jsonl', out);
  const file = writePipeline(env.dir, yaml);
  const { runner, notices, view } = host(t, env, file);
  const trades = () =>
    fs.existsSync(out)
      ? fs
          .readFileSync(out, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((l) => Number(/^trade-(\d+)$/.exec((JSON.parse(l) as { id: string }).id)![1]))
      : [];
  await runner.start();
  await waitFor(() => trades().length > 20, 20_000, 'trades in events.jsonl');
  const before = view('ticker').pid;
  await runner.restartComponent('ticker');
  await waitFor(() => view('ticker').phase === 'running' && view('ticker').pid !== before, 20_000, 'the ticker back');
  const n = trades().length;
  await waitFor(() => trades().length > n + 20, 20_000, 'trades after the restart');
  await runner.stop();
  const ids = trades();
  for (let i = 1; i < ids.length; i++) assert.ok(ids[i] > ids[i - 1], `trade-${ids[i]} after trade-${ids[i - 1]}: the ticker went on, it did not start over`);
  assert.ok(notices.some((m) => /ticker: stream re-opened, resuming after event "trade-\d+"/.test(m)), notices.join('\n'));
  const counter = runner.snapshot().components.find((c) => c.id === 'counter-sink')!;
  assert.equal(counter.eventsIn, ids.length, 'both sinks got the same events');
  assert.equal(runner.snapshot().dropped, 0);
});
