// The component graph: who feeds whom (inputs) and who must start before whom (inputs ∪ depends_on).
// Edges point downstream: `a → b` means b takes a as input or depends on a.
import { allComponents, type ComponentSpec, type Pipeline, type Role } from './model';

export interface GraphNode {
  id: string;
  role: Role;
  /** Position in allComponents() (YAML order: sources, processors, sinks, pipelines). */
  index: number;
  component: ComponentSpec;
  /** Known ids in `inputs` (data wiring), deduplicated, in YAML order. */
  inputs: string[];
  /** Known ids in `inputs` ∪ `depends_on`: what must be up before this starts. */
  dependsOn: string[];
  /** Ids whose dependsOn contains this one. */
  dependents: string[];
  /** Ids whose inputs contain this one (where its events go). */
  consumers: string[];
}

export interface PipelineGraph {
  readonly nodes: ReadonlyMap<string, GraphNode>;
  node(id: string): GraphNode | undefined;
  /**
   * Ids in an order where everything a component depends on comes before it. Ties keep YAML order
   * (so sources first). Components caught in a cycle (and whatever hangs off them) come last, in YAML order.
   */
  startOrder(): string[];
  /** Each dependency cycle once, in data-flow order starting at its earliest component (see formatCycle). */
  findCycles(): string[][];
  /** Direct (or with transitive=true, all) components this one waits for. */
  upstreamOf(id: string, transitive?: boolean): string[];
  /** Direct (or with transitive=true, all) components waiting for this one. */
  downstreamOf(id: string, transitive?: boolean): string[];
}

/** `a → b → a` */
export function formatCycle(cycle: readonly string[]): string {
  return [...cycle, cycle[0]].join(' → ');
}

/** Builds the graph. Unknown ids, empty ids and later duplicates are left out (validation reports them). */
export function buildGraph(pipeline: Pipeline): PipelineGraph {
  const nodes = new Map<string, GraphNode>();
  allComponents(pipeline).forEach((c, index) => {
    if (!c.id || nodes.has(c.id)) return;
    nodes.set(c.id, { id: c.id, role: c.role, index, component: c, inputs: [], dependsOn: [], dependents: [], consumers: [] });
  });
  for (const n of nodes.values()) {
    for (const i of n.component.inputs ?? []) {
      if (nodes.has(i) && !n.inputs.includes(i)) n.inputs.push(i);
    }
    for (const d of [...n.inputs, ...(n.component.depends_on ?? [])]) {
      if (nodes.has(d) && !n.dependsOn.includes(d)) n.dependsOn.push(d);
    }
  }
  for (const n of nodes.values()) {
    for (const d of n.dependsOn) nodes.get(d)!.dependents.push(n.id);
    for (const i of n.inputs) nodes.get(i)!.consumers.push(n.id);
  }
  const byIndex = (a: string, b: string) => nodes.get(a)!.index - nodes.get(b)!.index;
  for (const n of nodes.values()) {
    n.dependents.sort(byIndex);
    n.consumers.sort(byIndex);
  }

  const walk = (id: string, next: (n: GraphNode) => string[], transitive: boolean): string[] => {
    const start = nodes.get(id);
    if (!start) return [];
    if (!transitive) return [...next(start)];
    const seen = new Set<string>([id]);
    const out: string[] = [];
    const queue = [...next(start)];
    while (queue.length) {
      const cur = queue.shift()!;
      if (seen.has(cur)) continue;
      seen.add(cur);
      out.push(cur);
      queue.push(...next(nodes.get(cur)!));
    }
    return out.sort(byIndex);
  };

  return {
    nodes,
    node: (id) => nodes.get(id),
    startOrder: () => topologicalOrder(nodes),
    findCycles: () => findCycles(nodes),
    upstreamOf: (id, transitive = false) => walk(id, (n) => n.dependsOn, transitive),
    downstreamOf: (id, transitive = false) => walk(id, (n) => n.dependents, transitive),
  };
}

function topologicalOrder(nodes: ReadonlyMap<string, GraphNode>): string[] {
  const waiting = new Map<string, number>();
  for (const n of nodes.values()) waiting.set(n.id, n.dependsOn.length);
  // Ready set kept sorted by YAML index; graphs are small, so a sorted array is plenty.
  const ready = [...nodes.values()].filter((n) => n.dependsOn.length === 0).map((n) => n.index);
  const byIndex = [...nodes.values()].sort((a, b) => a.index - b.index);
  const atIndex = new Map(byIndex.map((n) => [n.index, n]));
  ready.sort((a, b) => a - b);
  const order: string[] = [];
  while (ready.length) {
    const n = atIndex.get(ready.shift()!)!;
    order.push(n.id);
    for (const d of n.dependents) {
      const left = waiting.get(d)! - 1;
      waiting.set(d, left);
      if (left === 0) {
        const idx = nodes.get(d)!.index;
        const at = ready.findIndex((r) => r > idx);
        ready.splice(at < 0 ? ready.length : at, 0, idx);
      }
    }
  }
  if (order.length < nodes.size) {
    const done = new Set(order);
    for (const n of byIndex) if (!done.has(n.id)) order.push(n.id);
  }
  return order;
}

/** Tarjan's strongly connected components, then one shortest cycle through each component's earliest node. */
function findCycles(nodes: ReadonlyMap<string, GraphNode>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const sccs: string[][] = [];

  const strong = (v: string) => {
    index.set(v, counter);
    low.set(v, counter);
    counter++;
    stack.push(v);
    onStack.add(v);
    for (const w of nodes.get(v)!.dependents) {
      if (!index.has(w)) {
        strong(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      sccs.push(scc);
    }
  };
  const ordered = [...nodes.values()].sort((a, b) => a.index - b.index);
  for (const n of ordered) if (!index.has(n.id)) strong(n.id);

  const cycles: string[][] = [];
  for (const scc of sccs) {
    const members = new Set(scc);
    const start = scc.reduce((a, b) => (nodes.get(a)!.index <= nodes.get(b)!.index ? a : b));
    const self = nodes.get(start)!.dependents.includes(start);
    if (scc.length === 1 && !self) continue;
    if (self) {
      cycles.push([start]);
      continue;
    }
    // Breadth-first from start along downstream edges inside the component, back to start.
    const prev = new Map<string, string>();
    const queue = [start];
    let last: string | undefined;
    while (queue.length && !last) {
      const cur = queue.shift()!;
      for (const next of nodes.get(cur)!.dependents) {
        if (!members.has(next)) continue;
        if (next === start) {
          last = cur;
          break;
        }
        if (!prev.has(next)) {
          prev.set(next, cur);
          queue.push(next);
        }
      }
    }
    const path: string[] = [];
    for (let cur: string | undefined = last; cur && cur !== start; cur = prev.get(cur)) path.unshift(cur);
    cycles.push([start, ...path]);
  }
  return cycles.sort((a, b) => nodes.get(a[0])!.index - nodes.get(b[0])!.index);
}
