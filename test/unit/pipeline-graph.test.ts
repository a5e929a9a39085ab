// The component graph: start order, cycles, fan-in and fan-out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildGraph, formatCycle, parsePipeline, type Pipeline } from '../../src/core/pipeline/index';

/** Builds a pipeline from compact lines: `role id <- in1,in2 ~ dep1,dep2`. */
function pipeline(...defs: string[]): Pipeline {
  const sections: Record<string, string[]> = { source: [], processor: [], sink: [], pipeline: [] };
  for (const def of defs) {
    const m = /^(source|processor|sink|pipeline) (\S+)(?: <- ([^~]+))?(?: ~ (.+))?$/.exec(def.trim());
    if (!m) throw new Error(`bad def ${def}`);
    const [, role, id, inputs, deps] = m;
    const item = [`    - id: ${id}`, '      command: [sh]'];
    if (inputs) item.push(`      inputs: [${inputs.trim()}]`);
    if (deps) item.push(`      depends_on: [${deps.trim()}]`);
    sections[role].push(...item);
  }
  const text = [
    'apiVersion: flowctl/v1',
    'kind: Pipeline',
    'metadata: {name: g}',
    'spec:',
    ...(['source', 'processor', 'sink', 'pipeline'] as const).flatMap((r) => (sections[r].length ? [`  ${r}s:`, ...sections[r]] : [])),
  ].join('\n');
  const r = parsePipeline(text, 'g.yml', { checkCommands: false });
  assert.ok(r.pipeline, JSON.stringify(r.diagnostics));
  return r.pipeline;
}

test('linear chain: sources first, then in dependency order', () => {
  const g = buildGraph(pipeline('source s', 'processor p <- s', 'sink k <- p'));
  assert.deepEqual(g.startOrder(), ['s', 'p', 'k']);
  assert.deepEqual(g.node('p')!.dependsOn, ['s']);
  assert.deepEqual(g.node('s')!.dependents, ['p']);
  assert.deepEqual(g.findCycles(), []);
});

test('start order follows inputs even against YAML order; ties keep YAML order', () => {
  // p2 feeds p1 although p1 is written first; the two sinks tie and keep their YAML order.
  const g = buildGraph(pipeline('source s', 'processor p1 <- p2', 'processor p2 <- s', 'sink k2 <- p1', 'sink k1 <- p1'));
  assert.deepEqual(g.startOrder(), ['s', 'p2', 'p1', 'k2', 'k1']);
});

test('independent components keep YAML order (sources, processors, sinks, pipelines)', () => {
  const g = buildGraph(pipeline('source a', 'source b', 'processor p <- b', 'sink k <- a', 'pipeline x'));
  assert.deepEqual(g.startOrder(), ['a', 'b', 'p', 'k', 'x']);
});

test('depends_on orders starts but does not carry data', () => {
  const g = buildGraph(pipeline('source db', 'source s ~ db', 'sink k <- s', 'pipeline x ~ k'));
  assert.deepEqual(g.startOrder(), ['db', 's', 'k', 'x']);
  assert.deepEqual(g.node('s')!.dependsOn, ['db']);
  assert.deepEqual(g.node('s')!.inputs, []);
  assert.deepEqual(g.node('db')!.consumers, []);
  assert.deepEqual(g.node('db')!.dependents, ['s']);
  // A source that waits for a sink starts after it.
  const g2 = buildGraph(pipeline('source a', 'source late ~ k', 'sink k <- a'));
  assert.deepEqual(g2.startOrder(), ['a', 'k', 'late']);
});

test('fan-out: one source feeds several processors; fan-in: one sink takes several inputs', () => {
  const g = buildGraph(pipeline('source s', 'processor a <- s', 'processor b <- s', 'sink k <- a,b', 'sink audit <- s'));
  assert.deepEqual(g.node('s')!.consumers, ['a', 'b', 'audit']);
  assert.deepEqual(g.node('k')!.inputs, ['a', 'b']);
  assert.deepEqual(g.upstreamOf('k'), ['a', 'b']);
  assert.deepEqual(g.upstreamOf('k', true), ['s', 'a', 'b']);
  assert.deepEqual(g.downstreamOf('s'), ['a', 'b', 'audit']);
  assert.deepEqual(g.downstreamOf('s', true), ['a', 'b', 'k', 'audit']);
  assert.deepEqual(g.downstreamOf('k'), []);
  assert.deepEqual(g.upstreamOf('nope'), []);
  const order = g.startOrder();
  assert.deepEqual(order, ['s', 'a', 'b', 'k', 'audit']);
});

test('diamond: the join starts after both branches', () => {
  const g = buildGraph(pipeline('source s', 'processor left <- s', 'processor right <- s', 'processor join <- right,left', 'sink k <- join'));
  const order = g.startOrder();
  assert.ok(order.indexOf('join') > order.indexOf('left'));
  assert.ok(order.indexOf('join') > order.indexOf('right'));
  assert.deepEqual(order, ['s', 'left', 'right', 'join', 'k']);
  assert.deepEqual(g.node('join')!.inputs, ['right', 'left']);
});

test('cycles: found once each, named in data-flow order from the earliest component', () => {
  const g = buildGraph(pipeline('source s', 'processor a <- s,c', 'processor b <- a', 'processor c <- b', 'sink k <- c', 'sink self <- self'));
  const cycles = g.findCycles();
  assert.deepEqual(cycles, [['a', 'b', 'c'], ['self']]);
  assert.deepEqual(cycles.map(formatCycle), ['a → b → c → a', 'self → self']);
  // Components in or behind a cycle still get an order: last, in YAML order.
  assert.deepEqual(g.startOrder(), ['s', 'a', 'b', 'c', 'k', 'self']);
  assert.equal(g.startOrder().length, 6);
});

test('cycles through depends_on and two separate cycles', () => {
  const g = buildGraph(pipeline('source s', 'pipeline x ~ y', 'pipeline y ~ x', 'processor p <- s,q', 'processor q <- p'));
  assert.deepEqual(g.findCycles().map(formatCycle), ['p → q → p', 'x → y → x']);
});

test('the shortest cycle is named when a strongly connected group has several', () => {
  // a ⇄ b and a → b → c → a: the two-step cycle is reported.
  const g = buildGraph(pipeline('source s', 'processor a <- s,b,c', 'processor b <- a', 'processor c <- b'));
  assert.deepEqual(g.findCycles().map(formatCycle), ['a → b → a']);
});

test('unknown references, empty ids and duplicates are left out of the graph', () => {
  const r = parsePipeline(
    [
      'apiVersion: v1',
      'kind: Pipeline',
      'metadata: {name: g}',
      'spec:',
      '  sources:',
      '    - id: s',
      '      command: [sh]',
      '    - command: [sh]',
      '  sinks:',
      '    - id: s',
      '      command: [sh]',
      '    - id: k',
      '      command: [sh]',
      '      inputs: [s, ghost, s]',
    ].join('\n'),
    'g.yml',
    { checkCommands: false },
  );
  const g = buildGraph(r.pipeline!);
  assert.deepEqual([...g.nodes.keys()], ['s', 'k']);
  assert.equal(g.node('s')!.role, 'source');
  assert.deepEqual(g.node('k')!.inputs, ['s']);
  assert.deepEqual(g.startOrder(), ['s', 'k']);
});
