// What changed in the graph's live look between two updates. The host sends the whole look once (a
// new structure, a run that starts or ends, a webview that reloads) and then only the nodes and edges
// whose look changed: with a thousand live components a whole look is ~200 KB a message, twice a
// second, while a few dozen nodes change. Pure (types only): used by the host and the webview.
import type { EdgeLive, GraphLive, NodeLive } from './protocol';

export interface LivePatch {
  runState: string;
  /** Nodes and edges whose look changed, with their new look. */
  nodes: Record<string, NodeLive>;
  edges: Record<string, EdgeLive>;
}

export function sameNode(a: NodeLive | undefined, b: NodeLive | undefined): boolean {
  if (a === b) return true;
  if (!a || !b) return false;
  return (
    a.state === b.state &&
    a.icon === b.icon &&
    a.color === b.color &&
    a.detail === b.detail &&
    a.inRate === b.inRate &&
    a.outRate === b.outRate &&
    a.spark === b.spark &&
    a.dropped === b.dropped &&
    a.queued === b.queued &&
    !!a.debugging === !!b.debugging
  );
}

export function sameEdge(a: EdgeLive | undefined, b: EdgeLive | undefined): boolean {
  if (a === b) return true;
  if (!a || !b) return false;
  return a.rate === b.rate && a.dropped === b.dropped && a.queued === b.queued && a.held === b.held;
}

/**
 * The changes from `prev` to `next`: undefined when nothing changed; 'full' when a patch cannot say
 * it (a run came or went, a node or edge lost its look); else the changed nodes and edges.
 * O(nodes + edges), no allocation for what did not change.
 */
export function liveDiff(prev: GraphLive | null, next: GraphLive | null): LivePatch | 'full' | undefined {
  if (!prev || !next) return prev === next ? undefined : 'full';
  for (const id in prev.nodes) if (!(id in next.nodes)) return 'full';
  for (const id in prev.edges) if (!(id in next.edges)) return 'full';
  const nodes: Record<string, NodeLive> = {};
  const edges: Record<string, EdgeLive> = {};
  let changed = 0;
  for (const id in next.nodes) {
    if (sameNode(prev.nodes[id], next.nodes[id])) continue;
    nodes[id] = next.nodes[id];
    changed++;
  }
  for (const id in next.edges) {
    if (sameEdge(prev.edges[id], next.edges[id])) continue;
    edges[id] = next.edges[id];
    changed++;
  }
  if (changed === 0 && prev.runState === next.runState) return undefined;
  return { runState: next.runState, nodes, edges };
}

/** Applies a patch to the look the webview holds (in place); answers the ids of the nodes and edges it changed. */
export function applyLivePatch(live: GraphLive, patch: LivePatch): { nodes: string[]; edges: string[] } {
  live.runState = patch.runState;
  Object.assign(live.nodes, patch.nodes);
  Object.assign(live.edges, patch.edges);
  return { nodes: Object.keys(patch.nodes), edges: Object.keys(patch.edges) };
}
