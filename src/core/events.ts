// The typed events the core emits. The CLI and the extension only render these; neither decides
// what a pipeline is or when it is healthy.
import type { PipelineRun, ServiceRecord } from './controlplane/model';
import type { Pipeline } from './pipeline/model';

/** Changes inside the control plane's registry (both gRPC services feed the same registry). */
export type RegistryEvent =
  | { type: 'registered'; record: ServiceRecord; replaced: boolean }
  | { type: 'heartbeat'; record: ServiceRecord }
  | {
      type: 'healthChanged';
      record: ServiceRecord;
      previous: number;
      /** stale = heartbeats stopped; reported = the component said so; recovered = heartbeat after stale; exited = its process ended */
      reason: 'stale' | 'reported' | 'recovered' | 'exited';
    }
  | { type: 'unregistered'; record: ServiceRecord }
  | { type: 'runChanged'; run: PipelineRun; change: 'created' | 'updated' | 'stopped' };

/** Overall state of one pipeline run driven by the runner. */
export type RunState = 'idle' | 'starting' | 'running' | 'stopping' | 'stopped' | 'failed';

/** Lifecycle of one component's process, as the supervisor and registry see it together. */
export type ComponentPhase =
  | 'pending' // not started yet
  | 'waiting' // waiting for dependencies to register (see waitingFor)
  | 'starting' // process spawned, not registered yet
  | 'running' // registered with the control plane
  | 'restarting' // exited, restart scheduled (backoff)
  | 'exited' // exited and will not be restarted
  | 'stopping'
  | 'stopped';

/** Everything a front end shows about one component. Plain data, safe to copy. */
export interface ComponentView {
  id: string;
  role: 'source' | 'processor' | 'sink' | 'pipeline';
  phase: ComponentPhase;
  /** HealthStatus from the registry (0 when not registered). */
  health: number;
  pid?: number;
  exitCode?: number | null;
  exitSignal?: string | null;
  restarts: number;
  serviceId?: string;
  endpoint?: string;
  registeredAt?: number;
  lastHeartbeat?: number;
  startedAt?: number;
  metrics: Record<string, string>;
  /** Ids this component still waits for before it starts. */
  waitingFor: string[];
  eventsIn: number;
  eventsOut: number;
  eventsPerSecond: number;
  logFile?: string;
  /** Where the component is defined in the pipeline file (1-based). */
  position?: { line: number; column: number };
  /** Why it failed / why it is not healthy, if known. */
  problem?: string;
  /**
   * Whether data reaches it (computed by the runner, never by a front end): `flowing` events move;
   * `idle` alive, inputs up, but nothing arrived lately; `waiting` alive but an upstream is down or
   * stalled (see waitingOn). Undefined before the data plane is wired or for components off the graph.
   */
  flow?: 'flowing' | 'idle' | 'waiting';
  /** Upstream ids that are down or stalled (when flow is `waiting`). */
  waitingOn?: string[];
  /** Per-second rates from the runner's own counts (not heartbeats). */
  eventsInPerSecond?: number;
  eventsOutPerSecond?: number;
  /** Events meant for this component that were dropped (buffer full, in flight inside a killed process, type mismatch). */
  dropped?: number;
  /** Drops by reason, e.g. { 'buffer full': 3, 'type mismatch: trade.v2': 12 }. */
  droppedBy?: Record<string, number>;
  /** Events held for it while it is down (bounded buffer). */
  queued?: number;
  /** How it runs. */
  driver?: 'process' | 'docker' | 'external';
  image?: string;
  containerId?: string;
}

/** One `inputs` link as the data plane sees it. */
export interface EdgeView {
  from: string;
  to: string;
  events: number;
  eventsPerSecond: number;
  dropped: number;
  queued: number;
  /** open: streaming; held: the downstream is down and events are buffered; closed: ended. */
  state: 'open' | 'held' | 'closed';
}

export interface RunSnapshot {
  runId?: string;
  pipelineName: string;
  file: string;
  state: RunState;
  endpoint?: string;
  startedAt?: number;
  error?: string;
  components: ComponentView[];
  eventsProcessed: number;
  eventsPerSecond: number;
  /** The data plane's links (undefined before wiring). */
  edges?: EdgeView[];
  /** Events dropped anywhere in the run (sum of components' dropped). */
  dropped?: number;
  /** This run's own log folder. */
  logDir?: string;
}

/** What the runner emits while a run lives. */
export type RunnerEvent =
  | { type: 'state'; state: RunState; previous: RunState; error?: string }
  /** The pipeline file was read and is valid: once per run, before anything starts (the CLI's summary). */
  | { type: 'pipeline'; pipeline: Pipeline }
  | { type: 'controlPlane'; endpoint: string; address: string; port: number }
  | { type: 'component'; view: ComponentView }
  /** A component left the run (removed from the pipeline file by applyPipeline). */
  | { type: 'componentRemoved'; id: string }
  | { type: 'log'; componentId: string; stream: 'stdout' | 'stderr'; line: string; time: number }
  | { type: 'notice'; level: 'info' | 'warning' | 'error'; message: string; componentId?: string; time: number }
  | { type: 'metrics'; snapshot: RunSnapshot };
