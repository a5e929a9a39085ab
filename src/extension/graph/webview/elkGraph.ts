// The graph layout as ELK sees it: ELK's layered algorithm (Sugiyama, made for data-flow diagrams),
// left to right, with an input port on the west and an output port on the east of every node.
// Sources are forced into the first layer and sinks into the last; YAML order breaks ties. Pure
// data (no DOM): the webview (layout.ts) and the benchmark's reference layout in Node share it.
import type { ElkExtendedEdge, ElkNode } from 'elkjs/lib/elk-api';
import type { GraphStructure } from '../protocol';

export const NODE_WIDTH = 220;
export const NODE_HEIGHT = 70;

export interface PlacedNode {
  id: string;
  x: number;
  y: number;
}

export interface PlacedEdge {
  id: string;
  /** Polyline: start, bends, end. */
  points: Array<{ x: number; y: number }>;
}

export interface LayoutResult {
  width: number;
  height: number;
  nodes: PlacedNode[];
  edges: PlacedEdge[];
  ms: number;
}

const ROOT_OPTIONS: Record<string, string> = {
  'elk.algorithm': 'layered',
  'elk.direction': 'RIGHT',
  'elk.edgeRouting': 'ORTHOGONAL',
  'elk.layered.spacing.nodeNodeBetweenLayers': '70',
  'elk.spacing.nodeNode': '24',
  'elk.spacing.edgeNode': '16',
  'elk.spacing.edgeEdge': '10',
  'elk.layered.considerModelOrder.strategy': 'NODES_AND_EDGES',
  'elk.padding': '[top=20,left=20,bottom=20,right=20]',
};

/**
 * Above this many nodes ELK's most expensive refinements are off: the greedy-switch crossing
 * reduction (quadratic), model-order tie-breaking and repeated sweeps. Measured on a 1,000-node,
 * 1,700-edge pipeline: about 10 s instead of about 2 minutes on the test machine.
 */
const LARGE = 150;
const LARGE_OPTIONS: Record<string, string> = {
  'elk.layered.thoroughness': '1',
  'elk.layered.crossingMinimization.greedySwitch.type': 'OFF',
  'elk.layered.considerModelOrder.strategy': 'NONE',
};

/** The ELK graph of a structure. */
export function toElkGraph(structure: GraphStructure): ElkNode {
  // FIRST/LAST only where ELK can honour them (an invalid file may feed a source or read from a sink).
  const hasIn = new Set(structure.edges.map((e) => e.to));
  const hasOut = new Set(structure.edges.map((e) => e.from));
  const children: ElkNode[] = structure.nodes.map((n) => {
    const layoutOptions: Record<string, string> = { 'elk.portConstraints': 'FIXED_SIDE' };
    if (n.role === 'source' && !hasIn.has(n.id)) layoutOptions['elk.layered.layering.layerConstraint'] = 'FIRST';
    if (n.role === 'sink' && !hasOut.has(n.id)) layoutOptions['elk.layered.layering.layerConstraint'] = 'LAST';
    return {
      id: n.id,
      width: NODE_WIDTH,
      height: NODE_HEIGHT,
      layoutOptions,
      ports: [
        { id: `${n.id}\u0000in`, width: 1, height: 1, layoutOptions: { 'elk.port.side': 'WEST' } },
        { id: `${n.id}\u0000out`, width: 1, height: 1, layoutOptions: { 'elk.port.side': 'EAST' } },
      ],
    };
  });
  const edges: ElkExtendedEdge[] = structure.edges.map((e) => ({ id: e.id, sources: [`${e.from}\u0000out`], targets: [`${e.to}\u0000in`] }));
  return { id: 'root', layoutOptions: structure.nodes.length > LARGE ? { ...ROOT_OPTIONS, ...LARGE_OPTIONS } : ROOT_OPTIONS, children, edges };
}

/** Positions and routes from ELK's answer. */
export function fromElkGraph(out: ElkNode, ms: number): LayoutResult {
  const nodes = (out.children ?? []).map((c) => ({ id: c.id, x: c.x ?? 0, y: c.y ?? 0 }));
  const placedEdges: PlacedEdge[] = [];
  for (const e of (out.edges ?? []) as ElkExtendedEdge[]) {
    const points: Array<{ x: number; y: number }> = [];
    for (const s of e.sections ?? []) points.push(s.startPoint, ...(s.bendPoints ?? []), s.endPoint);
    placedEdges.push({ id: e.id, points });
  }
  return { width: out.width ?? 0, height: out.height ?? 0, nodes, edges: placedEdges, ms };
}
