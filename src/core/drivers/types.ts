// How a component is run, behind one interface: the runner never knows whether a component is a
// process on this machine (drivers/process.ts, today's supervisor) or a container (drivers/docker.ts).
// A driver starts, stops (with a grace period), restarts and kills components, reports their output
// lines and exits, records what it started so a later run can reap leftovers, and tells which host
// processes belong to the run (for the control plane's access rules).
import type { Emitter } from '../typedEmitter';
import type { ProcessEvent, ProcessState, RestartPolicy } from '../supervisor/process';

export type DriverKind = 'process' | 'docker' | 'external';

/** A host path mounted into a container (`volumes:`); process drivers ignore it (with a warning from validation). */
export interface VolumeMount {
  hostPath: string;
  containerPath: string;
  readonly?: boolean;
}

/** A published port (`ports:`). */
export interface PortMapping {
  containerPort: number;
  hostPort?: number;
  protocol?: 'tcp' | 'udp';
}

/** Everything a driver needs to run one component. */
export interface ComponentRunSpec {
  id: string;
  /** The run this component belongs to (container labels, state files). */
  runId: string;
  /** metadata.name of the pipeline. */
  pipeline: string;
  /** Program and arguments. Required for processes; for containers it overrides the image's entrypoint/cmd. */
  command?: string[];
  args?: string[];
  /** Container image (docker driver). */
  image?: string;
  cwd: string;
  /** The complete environment (the flowctl env contract already applied). */
  env: Record<string, string>;
  restartPolicy?: RestartPolicy;
  /** Output lines are appended here with ANSI stripped and a timestamp. */
  logFile?: string;
  volumes?: VolumeMount[];
  ports?: PortMapping[];
  /** Container networking: host (default, like flowctl) or bridge (the endpoint goes through the host gateway). */
  network?: 'host' | 'bridge';
  /**
   * Bridge network only: host path of the control plane's unix socket. It is mounted at
   * CONTAINER_CONTROL_SOCKET and a loopback FLOWCTL_ENDPOINT becomes `unix://` that path.
   */
  controlSocket?: string;
}

/** One running (or restartable) component. ManagedProcess implements it for processes. */
export interface ComponentHandle {
  readonly id: string;
  readonly events: Emitter<ProcessEvent>;
  readonly state: ProcessState;
  /** Host pid of the component's main process (a container's init process as seen from the host). */
  readonly pid: number | undefined;
  readonly restarts: number;
  readonly exitCode: number | null;
  readonly exitSignal: string | null;
  readonly startedAt: number | undefined;
  /** Container id (docker driver only). */
  readonly containerId?: string;
  /** Last lines of output (ANSI kept). */
  tail(n?: number): string[];
  start(): void;
  /** Graceful stop: SIGTERM (docker stop) → grace → SIGKILL. Resolves when it is gone. */
  stop(graceMs?: number): Promise<void>;
  /** Stop with the grace period, then start again. */
  restart(graceMs?: number): Promise<void>;
  /** SIGKILL now. */
  kill(): void;
}

/** What a driver found and ended of earlier runs whose runner died. */
export interface LeftoverReport {
  reaped: Array<{ id: string; pid?: number; containerId?: string; file?: string }>;
  skipped: Array<{ id: string; pid?: number; containerId?: string; file?: string; reason: string }>;
}

/** Something that must stop the run before anything starts. */
export interface PreflightProblem {
  /** One sentence: what is wrong and what to do. */
  message: string;
  /** The components it concerns (front ends point at their place in the pipeline file). */
  ids: string[];
  /** What it is about: the engine, an image, a volume, the spec itself. */
  kind?: 'engine' | 'image' | 'volume' | 'spec';
}

export interface ComponentDriver {
  readonly kind: DriverKind;
  /** Problems that must stop the run before anything starts (no engine, missing image…); empty when ready. */
  preflight(specs: ComponentRunSpec[]): Promise<PreflightProblem[]>;
  /** A handle for one component (not started yet: call start() on it). */
  create(spec: ComponentRunSpec): ComponentHandle;
  /**
   * Forgets the stopped component `id`, so create() can make it again with a new spec (a changed pipeline
   * file, or a one-time override to start it under a debugger). Optional: the runner calls it when present.
   */
  release?(id: string): void;
  /** Ends what runs of this driver left behind when their runner died (never a reused pid, never a stranger's container). */
  reapLeftovers(): Promise<LeftoverReport>;
  /** Stops every component of this driver in parallel; resolves when all are gone. */
  stopAll(graceMs: number): Promise<void>;
  /** SIGKILL everything at once (second Ctrl+C). */
  killAll(): void;
  /** True when host process `pid` was started by this run through this driver (or descends from one). */
  ownsProcess(pid: number): boolean;
  /** Host pids this driver started that are alive (optional): the control plane looks at them first to find who connected. */
  spawnedPids?(): number[];
}
