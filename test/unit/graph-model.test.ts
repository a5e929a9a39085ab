// The pipeline graph's data: structure from the pipeline model (invalid parts kept), live look from a run.
import * as assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ComponentView, RunSnapshot } from '../../src/core/events';
import { MetricHistory } from '../../src/core/history';
import { parsePipeline } from '../../src/core/pipeline';
import { kindOf, liveOf, nodeState, structureOf, type LiveSource } from '../../src/extension/graph/graphModel';

function parse(yaml: string) {
  return parsePipeline(yaml, '/p/flow.yml', { checkCommands: false });
}

const VALID = `apiVersion: flowctl/v1
kind: Pipeline
metadata:
  name: demo
spec:
  sources:
    - id: src
      command: ["node", "components/src.js", "--fast"]
  processors:
    - id: proc
      command: ["node", "proc.js"]
      inputs: [src]
  sinks:
    - id: out
      type: stellar/sink@1.0
      inputs: [proc]
      depends_on: [src, proc]
`;

function view(id: string, patch: Partial<ComponentView> = {}): ComponentView {
  return { id, role: 'processor', phase: 'running', health: 2, restarts: 0, metrics: {}, waitingFor: [], eventsIn: 0, eventsOut: 0, eventsPerSecond: 0, ...patch };
}

function source(views: ComponentView[], patch: Partial<RunSnapshot> = {}, history?: MetricHistory): LiveSource {
  const snap: RunSnapshot = { pipelineName: 'demo', file: '/p/flow.yml', state: 'running', components: views, eventsProcessed: 0, eventsPerSecond: 0, ...patch };
  return { snapshot: () => snap, view: (id) => views.find((v) => v.id === id), history };
}

describe('structureOf', () => {
  test('a node per component, an edge per inputs link, depends_on only where it adds something', () => {
    const r = parse(VALID);
    const s = structureOf('/p/flow.yml', r.pipeline, r.diagnostics);
    assert.deepEqual(s.nodes.map((n) => [n.id, n.role, n.kind]), [
      ['src', 'source', 'node src.js'],
      ['proc', 'processor', 'node proc.js'],
      ['out', 'sink', 'stellar/sink@1.0'],
    ]);
    assert.deepEqual(s.edges.map((e) => e.id), ['src->proc', 'proc->out', 'src=>out']);
    assert.deepEqual(s.problems, []);
    assert.equal(s.name, 'demo');
  });

  test('invalid parts stay visible: unknown inputs, duplicate and missing ids, with their errors', () => {
    const r = parse(`apiVersion: flowctl/v1
kind: Pipeline
metadata:
  name: broken
spec:
  sources:
    - id: a
      command: ["x"]
    - id: a
      command: ["y"]
    - command: ["z"]
  sinks:
    - id: s
      command: ["x"]
      inputs: [a, nope]
`);
    const s = structureOf('/p/flow.yml', r.pipeline, r.diagnostics);
    assert.deepEqual(s.nodes.map((n) => n.id), ['a', 'a#2', '#source-3', 's', '?nope']);
    assert.ok(s.nodes.find((n) => n.id === '?nope')?.invalid?.includes('nope'));
    assert.ok(s.nodes.find((n) => n.id === 's')?.invalid, 'the item holding the error is marked');
    assert.ok(s.problems.length > 0);
    assert.deepEqual(s.edges.map((e) => e.id), ['a->s', '?nope->s']);
  });

  test('a file that is no pipeline any more keeps the last structure, marked stale', () => {
    const r = parse(VALID);
    const good = structureOf('/p/flow.yml', r.pipeline, r.diagnostics);
    const bad = parse(': : [');
    const s = structureOf('/p/flow.yml', bad.pipeline, bad.diagnostics, good);
    assert.equal(s.stale, true);
    assert.equal(s.nodes.length, 3);
    assert.ok(s.problems.length > 0);
    assert.equal(s.signature, good.signature, 'no re-layout');
  });

  test('the signature changes exactly when nodes or edges change', () => {
    const a = structureOf('/p/flow.yml', parse(VALID).pipeline, []);
    const b = structureOf('/p/flow.yml', parse(VALID.replace('RATE', 'X')).pipeline, []);
    const c = structureOf('/p/flow.yml', parse(VALID.replace('inputs: [proc]', 'inputs: [src]')).pipeline, []);
    assert.equal(a.signature, b.signature);
    assert.notEqual(a.signature, c.signature);
  });

  test('kind: type, image, or program and script', () => {
    const p = parse(VALID).pipeline!;
    assert.equal(kindOf(p.spec.sources[0]), 'node src.js');
  });
});

describe('liveOf', () => {
  const structure = structureOf('/p/flow.yml', parse(VALID).pipeline, []);

  test('null without an active run', () => {
    assert.equal(liveOf(structure, undefined), null);
    assert.equal(liveOf(structure, source([], { state: 'stopped' })), null);
  });

  test('a component under Debug Component is marked debugging (detail and the flag the context menu uses); the others are not', () => {
    const base = source([view('src', { role: 'source' }), view('proc'), view('out', { role: 'sink' })]);
    const live = liveOf(structure, { ...base, debugging: (id) => id === 'proc' })!;
    assert.equal(live.nodes.proc.debugging, true);
    assert.match(live.nodes.proc.detail, /^debugging · healthy$/);
    assert.equal(live.nodes.proc.state, 'healthy', 'the state word stays the health');
    assert.equal(live.nodes.src.debugging, undefined);
    assert.doesNotMatch(live.nodes.src.detail, /debugging/);
    assert.equal(liveOf(structure, base)!.nodes.proc.debugging, undefined, 'a source without debugging()');
  });

  test('a debugged component whose heartbeats lapsed (held at a breakpoint) is paused, not unhealthy; without the debugger it is unhealthy', () => {
    const views = [view('src', { role: 'source' }), view('proc', { health: 4, problem: 'no heartbeat within the heartbeat TTL' }), view('out', { role: 'sink', health: 4 })];
    const live = liveOf(structure, { ...source(views), debugging: (id) => id === 'proc' })!;
    assert.equal(live.nodes.proc.state, 'paused');
    assert.equal(live.nodes.proc.detail, 'debugging · paused in debugger');
    assert.equal(live.nodes.proc.icon, 'debug-pause');
    assert.notEqual(live.nodes.proc.color, 'list.errorForeground', 'not red');
    assert.equal(live.nodes.out.state, 'unhealthy', 'a component that is not debugged stays unhealthy');
    assert.equal(liveOf(structure, source(views))!.nodes.proc.state, 'unhealthy', 'the debug session over: unhealthy again');
  });

  test('node state and colour follow the tree (health, waiting/idle flow, failed); edges take the runner\'s rates and drops', () => {
    const live = liveOf(
      structure,
      source(
        [
          view('src', { role: 'source', eventsOutPerSecond: 20 }),
          view('proc', { flow: 'waiting', waitingOn: ['src'], eventsInPerSecond: 0 }),
          view('out', { role: 'sink', phase: 'exited', exitCode: null, exitSignal: 'SIGKILL', problem: 'was killed by SIGKILL', health: 4 }),
        ],
        { edges: [{ from: 'src', to: 'proc', events: 100, eventsPerSecond: 19.96, dropped: 3, queued: 7, state: 'held' }] },
      ),
    )!;
    assert.equal(live.nodes.src.state, 'healthy');
    assert.equal(live.nodes.src.color, 'testing.iconPassed');
    assert.equal(live.nodes.src.outRate, 20);
    assert.equal(live.nodes.proc.state, 'waiting');
    assert.match(live.nodes.proc.detail, /waiting on src/);
    assert.equal(live.nodes.out.state, 'failed');
    assert.equal(live.nodes.out.color, 'list.errorForeground');
    assert.deepEqual(live.edges['src->proc'], { rate: 20, dropped: 3, queued: 7, held: true });
    assert.equal(live.edges['proc->out'].rate, 0, 'before the runner reports edges: the upstream output rate');
    assert.equal(live.edges['src=>out'], undefined, 'depends_on edges carry no data');
  });

  test('sparklines come from the run\'s history', () => {
    const h = new MetricHistory({ capacity: 30 });
    for (let i = 0; i < 10; i++) h.record({ pipelineName: 'demo', file: '', state: 'running', components: [view('src', { eventsOutPerSecond: i })], eventsProcessed: 0, eventsPerSecond: 0 }, i * 1000);
    const live = liveOf(structure, source([view('src', { eventsOutPerSecond: 9 })], {}, h))!;
    assert.match(live.nodes.src.spark, /▁.*█$/);
  });

  test('nodeState', () => {
    assert.equal(nodeState(view('x', { flow: 'idle' })), 'idle');
    assert.equal(nodeState(view('x', { phase: 'exited', exitCode: 0 })), 'exited');
    assert.equal(nodeState(view('x', { phase: 'waiting' })), 'waiting');
    assert.equal(nodeState(view('x', { health: 4 })), 'unhealthy');
  });
});
