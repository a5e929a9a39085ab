// Which nodes and edges of the inputs graph can carry data: drops unknown inputs, inputs that
// name sinks, cycles, and (repeatedly) nodes that cannot get or deliver anything.
import type { DataPlaneNode } from './types';

export interface GraphPlan {
  /** Nodes to open streams on. */
  active: Set<string>;
  /** from → to, both active. */
  edges: Array<[string, string]>;
  problems: Array<{ id: string; message: string }>;
}

export function planGraph(nodes: DataPlaneNode[], usable: (id: string) => boolean): GraphPlan {
  const problems: GraphPlan['problems'] = [];
  const byId = new Map<string, DataPlaneNode>();
  for (const n of nodes) {
    if (byId.has(n.id)) problems.push({ id: n.id, message: `duplicate node id "${n.id}"; the first one is used` });
    else byId.set(n.id, n);
  }
  const edgeSet = new Set<string>();
  const edges: Array<[string, string]> = [];
  for (const n of byId.values()) {
    if (n.role === 'source') {
      if (n.inputs.length > 0) problems.push({ id: n.id, message: `a source takes no inputs; ignoring ${n.inputs.join(', ')}` });
      continue;
    }
    for (const i of n.inputs) {
      const up = byId.get(i);
      if (!up) problems.push({ id: n.id, message: `unknown input "${i}"` });
      else if (i === n.id) problems.push({ id: n.id, message: 'a component cannot be its own input' });
      else if (up.role === 'sink') problems.push({ id: n.id, message: `input "${i}" is a sink, which produces no events` });
      else if (!edgeSet.has(`${i}\0${n.id}`)) {
        edgeSet.add(`${i}\0${n.id}`);
        edges.push([i, n.id]);
      }
    }
  }

  const cyclic = findCycles(byId, edges);
  for (const id of cyclic) problems.push({ id, message: 'part of an inputs cycle; not wired' });

  const active = new Set([...byId.keys()].filter((id) => usable(id) && !cyclic.has(id)));
  for (let changed = true; changed; ) {
    changed = false;
    for (const id of [...active]) {
      const n = byId.get(id)!;
      const ups = edges.filter(([f, t]) => t === id && active.has(f)).length;
      const downs = edges.filter(([f, t]) => f === id && active.has(t)).length;
      if ((n.role === 'source' && downs === 0) || (n.role !== 'source' && ups === 0)) {
        active.delete(id);
        changed = true;
      }
    }
  }
  return { active, edges: edges.filter(([f, t]) => active.has(f) && active.has(t)), problems };
}

function findCycles(byId: Map<string, DataPlaneNode>, edges: Array<[string, string]>): Set<string> {
  const out = new Map<string, string[]>();
  for (const [f, t] of edges) out.set(f, [...(out.get(f) ?? []), t]);
  const state = new Map<string, 1 | 2>(); // 1 = on the stack, 2 = done
  const cyclic = new Set<string>();
  const stack: string[] = [];
  const visit = (id: string) => {
    state.set(id, 1);
    stack.push(id);
    for (const next of out.get(id) ?? []) {
      const s = state.get(next);
      if (s === 1) for (const c of stack.slice(stack.indexOf(next))) cyclic.add(c);
      else if (s === undefined) visit(next);
    }
    stack.pop();
    state.set(id, 2);
  };
  for (const id of byId.keys()) if (!state.has(id)) visit(id);
  return cyclic;
}
