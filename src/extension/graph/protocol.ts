// Messages between the pipeline-graph panel (extension host) and its webview. Plain data only: this
// file is compiled into both sides (no vscode, no DOM).

export type NodeRole = 'source' | 'processor' | 'sink' | 'pipeline' | 'missing';

export interface GraphNodeData {
  /** Unique in the graph: the component id (a later duplicate gets `id#2`, an id-less item `#<role>-<index>`). */
  id: string;
  /** The component id as written (empty when missing). */
  componentId: string;
  role: NodeRole;
  /** The component's `type`, or its command's program and script. */
  kind: string;
  /** What is wrong with it (first error diagnostic inside its item), if anything. */
  invalid?: string;
  /** 1-based line of its item in the file. */
  line?: number;
}

export interface GraphEdgeData {
  /** `from->to` (inputs) or `from=>to` (depends_on). */
  id: string;
  from: string;
  to: string;
  kind: 'input' | 'depends';
}

export interface GraphStructure {
  file: string;
  name: string;
  nodes: GraphNodeData[];
  edges: GraphEdgeData[];
  /** Error diagnostics of the file (shown above the graph), at most a few. */
  problems: string[];
  /** More errors than listed. */
  moreProblems: number;
  /** The file could not be read as a pipeline at all: the graph shown is the last one that could. */
  stale?: boolean;
  /** Changes exactly when nodes or edges change (a re-layout is needed). */
  signature: string;
}

/** Look of a node while a run is live. `color` is a VS Code theme colour id (as in the tree). */
export interface NodeLive {
  /** One word for tests and CSS: healthy, degraded, unhealthy, failed, starting, waiting, idle, stopped, exited, pending, paused (under a debugger, its heartbeats lapsed)… */
  state: string;
  /** Codicon id and theme colour id, as the Services tree shows them. */
  icon: string;
  color?: string;
  /** Text under the name: state or figures. */
  detail: string;
  inRate: number;
  outRate: number;
  spark: string;
  dropped: number;
  queued: number;
  /** Under a debugger started by Debug Component (the node's context menu offers Stop Debugging). */
  debugging?: boolean;
}

export interface EdgeLive {
  rate: number;
  dropped: number;
  queued: number;
  held: boolean;
}

export interface GraphLive {
  runState: string;
  nodes: Record<string, NodeLive>;
  edges: Record<string, EdgeLive>;
}

/** What the webview remembers across reloads (vscode.setState) and the serializer restores. */
export interface GraphViewState {
  file?: string;
  view?: { x: number; y: number; k: number };
  selected?: string;
}

export type HostToGraph =
  | { type: 'structure'; structure: GraphStructure; key: string }
  | { type: 'live'; live: GraphLive | null }
  /** Only what changed since the last `live` or `livePatch` (see liveDiff.ts). */
  | { type: 'livePatch'; patch: import('./liveDiff').LivePatch }
  | { type: 'select'; id: string }
  /** Benchmark: lay out and render the current structure `rounds` times, answer with `bench`. */
  | { type: 'bench'; rounds: number; reqId: number }
  /** Tests: answer with `summary` (what the DOM shows). */
  | { type: 'query'; reqId: number };

export interface DomSummary {
  nodes: Array<{ id: string; state: string; text: string; color: string; invalid: boolean }>;
  edges: Array<{ id: string; from: string; to: string; kind: string; label: string; width: number }>;
  problems: string[];
  stale: boolean;
}

/** Buttons of the details bar. */
export type GraphAction = 'restart' | 'stop' | 'logs' | 'reveal' | 'chart' | 'debug' | 'stopDebug';

export type GraphToHost =
  | { type: 'ready'; state?: GraphViewState }
  | { type: 'open'; id: string }
  | { type: 'action'; action: GraphAction; id: string }
  | { type: 'rendered'; signature: string; layoutMs: number; renderMs: number; nodes: number; edges: number }
  | { type: 'applied'; ms: number }
  | { type: 'bench'; reqId: number; layoutMs: number[]; renderMs: number[] }
  | { type: 'summary'; reqId: number; summary: DomSummary }
  | { type: 'error'; message: string };

// ---- the chart view

export interface ChartSeries {
  name: string;
  /** One value per time; null = no sample. */
  values: (number | null)[];
  unit?: string;
}

export interface ChartData {
  title: string;
  subtitle: string;
  times: number[];
  series: ChartSeries[];
}

export type HostToChart = { type: 'chart'; data: ChartData | null; message?: string };
export type ChartToHost = { type: 'ready' } | { type: 'rendered'; series: number; points: number };
