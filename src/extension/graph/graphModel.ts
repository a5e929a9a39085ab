// What the pipeline graph shows, as plain data: the structure (one node per component, one edge per
// `inputs` link, `depends_on` as its own kind) from the same pipeline model the runner loads, and the
// live look of nodes and edges from the run (the same icons and colours as the Services tree, rates,
// sparklines, drops). Pure functions (no vscode): unit-testable, and cheap enough to run on every
// coalesced update (O(components + edges)).
import * as path from 'node:path';
import type { ComponentView, EdgeView, RunSnapshot, RunState } from '../../core/events';
import type { Diagnostic } from '../../core/pipeline/diagnostics';
import { allComponents, type ComponentSpec, type Pipeline } from '../../core/pipeline/model';
import type { MetricHistory } from '../../core/history/metricHistory';
import { historySparkline } from '../../core/history/sparkline';
import { componentIcon, healthWord, PAUSED_ICON, PAUSED_LABEL, pausedInDebugger, stateLabel } from '../presentation';
import type { EdgeLive, GraphEdgeData, GraphLive, GraphNodeData, GraphStructure, NodeLive } from './protocol';

/** Error messages listed above the graph. */
const MAX_PROBLEMS = 5;
/** Width of a node's sparkline (characters; one per second). */
export const NODE_SPARK_WIDTH = 24;

function shorten(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** `type`, or `program script` of the command (what a reader recognises the component by). */
export function kindOf(c: ComponentSpec): string {
  if (c.type) return shorten(c.type, 32);
  if (c.image) return shorten(c.image, 32);
  const cmd = c.command ?? [];
  if (!cmd.length) return c.role;
  const program = path.basename(cmd[0]);
  const script = cmd.slice(1).find((a) => !a.startsWith('-'));
  return shorten(script ? `${program} ${path.basename(script)}` : program, 32);
}

/**
 * The structure of a pipeline. Invalid parts stay visible: an item without an id gets a node of its
 * own, a duplicate id a second node, an input naming an unknown component a `missing` node; every
 * node carries the first error reported inside its item. Without a pipeline, or with a YAML syntax
 * error (a half-typed line), the previous structure is kept and marked stale.
 */
export function structureOf(file: string, pipeline: Pipeline | undefined, diagnostics: Diagnostic[], previous?: GraphStructure): GraphStructure {
  const errors = diagnostics.filter((d) => d.severity === 'error');
  const problems = errors.slice(0, MAX_PROBLEMS).map((d) => `${path.basename(d.file)}:${d.line}:${d.column}: ${d.message}`);
  const moreProblems = Math.max(0, errors.length - MAX_PROBLEMS);
  // Mid-typing, a YAML syntax error makes a partial model: keep the last good drawing instead (marked stale).
  const syntaxBroken = errors.some((d) => d.code === 'yaml-syntax') && !!previous?.nodes.length && previous.file === file;
  if (!pipeline || syntaxBroken) {
    const base = previous && previous.file === file ? previous : { file, name: path.basename(file), nodes: [], edges: [], signature: '' };
    return { ...base, problems, moreProblems, stale: true };
  }
  const nodes: GraphNodeData[] = [];
  const taken = new Set<string>();
  const byComponentId = new Map<string, string>();
  const components = allComponents(pipeline);
  const itemOf = new Map<ComponentSpec, string>();
  for (const c of components) {
    let id = c.id || `#${c.role}-${c.index + 1}`;
    if (taken.has(id)) {
      let k = 2;
      while (taken.has(`${id}#${k}`)) k++;
      id = `${id}#${k}`;
    }
    taken.add(id);
    itemOf.set(c, id);
    if (c.id && !byComponentId.has(c.id)) byComponentId.set(c.id, id);
    const invalid = errors.find((d) => d.line >= c.range.line && d.line <= c.range.endLine)?.message;
    nodes.push({ id, componentId: c.id, role: c.role, kind: kindOf(c), line: c.position.line, ...(invalid ? { invalid } : {}) });
  }
  const edges: GraphEdgeData[] = [];
  const seen = new Set<string>();
  const link = (fromComponent: string, to: string, kind: GraphEdgeData['kind']) => {
    if (typeof fromComponent !== 'string' || !fromComponent) return;
    let from = byComponentId.get(fromComponent);
    if (!from) {
      from = `?${fromComponent}`;
      if (!taken.has(from)) {
        taken.add(from);
        nodes.push({ id: from, componentId: '', role: 'missing', kind: 'not in the file', invalid: `no component "${fromComponent}" in ${path.basename(file)}` });
      }
    }
    const id = kind === 'input' ? `${from}->${to}` : `${from}=>${to}`;
    if (seen.has(id)) return;
    seen.add(id);
    edges.push({ id, from, to, kind });
  };
  for (const c of components) {
    const to = itemOf.get(c)!;
    for (const i of c.inputs ?? []) link(i, to, 'input');
    // A depends_on that repeats an input adds nothing the input edge does not already say.
    for (const d of c.depends_on ?? []) if (!(c.inputs ?? []).includes(d)) link(d, to, 'depends');
  }
  const signature = JSON.stringify([nodes.map((n) => [n.id, n.role, n.kind, n.invalid ?? '']), edges.map((e) => e.id)]);
  return { file, name: pipeline.metadata.name || path.basename(path.dirname(file)), nodes, edges, problems, moreProblems, signature };
}

/** What a live data source offers the graph (a RunSession, or a test double of one). */
export interface LiveSource {
  snapshot(): RunSnapshot;
  view(id: string): ComponentView | undefined;
  readonly history?: MetricHistory;
  debugging?(id: string): boolean;
}

/** One word for the node's state (data attribute and CSS class; tests read it). */
export function nodeState(view: ComponentView): string {
  switch (view.phase) {
    case 'running':
      if (view.flow === 'waiting') return 'waiting';
      if (view.flow === 'idle') return 'idle';
      return healthWord(view.health);
    case 'exited':
      return view.exitCode === 0 && !view.exitSignal ? 'exited' : 'failed';
    default:
      return view.phase;
  }
}

function latest(history: MetricHistory | undefined, id: string): { in: number; out: number } | undefined {
  const c = history?.component(id, 1);
  if (!c) return undefined;
  return { in: Number.isFinite(c.in[0]) ? c.in[0] : 0, out: Number.isFinite(c.out[0]) ? c.out[0] : 0 };
}

function nodeLive(view: ComponentView, history: MetricHistory | undefined, debugging = false): NodeLive {
  const paused = pausedInDebugger(view, debugging);
  const icon = paused ? PAUSED_ICON : componentIcon(view);
  const last = latest(history, view.id);
  const inRate = view.eventsInPerSecond ?? last?.in ?? 0;
  const outRate = view.eventsOutPerSecond ?? last?.out ?? 0;
  let detail = stateLabel(view);
  if (view.phase === 'running' && view.flow === 'waiting' && view.waitingOn?.length) detail = `waiting on ${view.waitingOn.join(', ')}`;
  else if (view.phase === 'running' && view.flow === 'idle') detail = 'idle';
  if (view.problem && view.phase !== 'running') detail = `${detail}: ${view.problem}`;
  if (paused) detail = PAUSED_LABEL;
  if (debugging) detail = `debugging · ${detail}`;
  return {
    state: paused ? 'paused' : nodeState(view),
    icon: icon.id,
    ...(icon.color ? { color: icon.color } : {}),
    detail: shorten(detail, 80),
    inRate: Math.round(inRate * 10) / 10,
    outRate: Math.round(outRate * 10) / 10,
    spark: view.phase === 'running' ? historySparkline(history, view.id, NODE_SPARK_WIDTH) : '',
    dropped: view.dropped ?? 0,
    queued: view.queued ?? 0,
    ...(debugging ? { debugging: true } : {}),
  };
}

/** The live look of every node and edge of `structure`, or null when the run is not active. */
export function liveOf(structure: GraphStructure, source: LiveSource | undefined): GraphLive | null {
  if (!source) return null;
  const snap = source.snapshot();
  const runState: RunState = snap.state;
  if (runState === 'idle' || runState === 'stopped' || runState === 'failed') return null;
  const nodes: Record<string, NodeLive> = {};
  const outOf = new Map<string, number>();
  const componentOf = new Map<string, string>();
  for (const n of structure.nodes) {
    componentOf.set(n.id, n.componentId);
    if (!n.componentId || n.role === 'missing') continue;
    const view = source.view(n.componentId);
    if (!view) continue;
    const live = nodeLive(view, source.history, source.debugging?.(n.componentId) ?? false);
    nodes[n.id] = live;
    outOf.set(n.id, live.outRate);
  }
  const edgeViews = new Map<string, EdgeView>();
  for (const e of snap.edges ?? []) edgeViews.set(`${e.from}->${e.to}`, e);
  const edges: Record<string, EdgeLive> = {};
  for (const e of structure.edges) {
    if (e.kind !== 'input') continue;
    const ev = edgeViews.get(`${componentOf.get(e.from)}->${componentOf.get(e.to)}`);
    edges[e.id] = ev
      ? { rate: Math.round(ev.eventsPerSecond * 10) / 10, dropped: ev.dropped, queued: ev.queued, held: ev.state === 'held' }
      : // Before the runner reports edges: every consumer of a component receives what it emits.
        { rate: outOf.get(e.from) ?? 0, dropped: 0, queued: 0, held: false };
  }
  return { runState, nodes, edges };
}
