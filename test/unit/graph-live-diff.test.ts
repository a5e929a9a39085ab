// The graph's live updates after the first: only the nodes and edges whose look changed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyLivePatch, liveDiff } from '../../src/extension/graph/liveDiff';
import type { GraphLive, NodeLive } from '../../src/extension/graph/protocol';

function node(state: string, spark = '▁▁▁'): NodeLive {
  return { state, icon: 'pass-filled', color: 'testing.iconPassed', detail: state, inRate: 0, outRate: 0, spark, dropped: 0, queued: 0 };
}

function look(n: number, changed: Record<string, NodeLive> = {}, runState = 'running'): GraphLive {
  const nodes: Record<string, NodeLive> = {};
  const edges: GraphLive['edges'] = {};
  for (let i = 0; i < n; i++) {
    nodes[`c${i}`] = changed[`c${i}`] ?? node('healthy');
    if (i > 0) edges[`c${i - 1}->c${i}`] = { rate: 0, dropped: 0, queued: 0, held: false };
  }
  return { runState, nodes, edges };
}

test('an unchanged look sends nothing; a changed one sends only what changed, and applying it gives the new look', () => {
  const before = look(1000);
  assert.equal(liveDiff(before, look(1000)), undefined, 'same look: nothing to send');
  const after = look(1000, { c7: node('degraded'), c500: node('healthy', '▁▂▃') });
  after.edges['c8->c9'] = { rate: 12, dropped: 0, queued: 0, held: false };
  const patch = liveDiff(before, after);
  assert.ok(patch && patch !== 'full');
  assert.deepEqual(Object.keys(patch.nodes).sort(), ['c500', 'c7']);
  assert.deepEqual(Object.keys(patch.edges), ['c8->c9']);
  const held = structuredClone(before);
  applyLivePatch(held, patch);
  assert.deepEqual(held, after, 'the webview ends with the same look the host has');
});

test('a run state change alone is a patch; a run that comes or goes, or a node that loses its look, is sent whole', () => {
  const running = look(3);
  const stopping = look(3, {}, 'stopping');
  const patch = liveDiff(running, stopping);
  assert.ok(patch && patch !== 'full');
  assert.equal(patch.runState, 'stopping');
  assert.deepEqual(patch.nodes, {});
  assert.equal(liveDiff(null, running), 'full');
  assert.equal(liveDiff(running, null), 'full');
  assert.equal(liveDiff(null, null), undefined);
  const fewer = look(3);
  delete fewer.nodes.c2;
  assert.equal(liveDiff(running, fewer), 'full');
});
