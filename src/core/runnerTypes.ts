// The contract between the runner (src/core/runner.ts) and its front ends (CLI, extension).
import type { DriverKind } from './drivers/types';
import type { Disposable } from './typedEmitter';
import type { ControlPlaneLimits } from './controlplane/limits';
import type { RunnerEvent, RunSnapshot } from './events';
import type { MetricHistory } from './history/metricHistory';
import type { ComponentSpec } from './pipeline/model';

export interface TlsFiles {
  certFile: string;
  keyFile: string;
  /** Set for mutual TLS: clients must present a certificate signed by this CA. */
  caFile?: string;
}

export interface RunnerOptions {
  /** Pipeline file (absolute or relative to cwd). */
  file: string;
  /** Control plane bind address (default 127.0.0.1). */
  address?: string;
  /** Control plane port (default 8080; 0 = pick a free one). */
  port?: number;
  /** How the front end calls the port option, for the "port in use" hint (default `--control-plane-port`). */
  portHint?: string;
  /**
   * Parent folder of the runs' log folders (default `logs`, relative to the pipeline file's folder). Each run
   * writes `<logDir>/<UTC time>-<run id>/<component>.log`; `<logDir>/latest` points at the newest run.
   */
  logDir?: string;
  /** How many run log folders to keep in logDir (older ones are removed; default 20). */
  keepRunLogs?: number;
  /**
   * Events held per data-plane edge while its downstream is down (default 10,000 events / 16 MiB). While a
   * component restarts a full buffer pauses its upstream (nothing lost); while it is stopped by hand the
   * oldest held events are dropped and counted.
   */
  holdBufferEvents?: number;
  holdBufferBytes?: number;
  heartbeatTtlMs?: number;
  janitorIntervalMs?: number;
  /** LMDB path; undefined = default under ~/.flowctl; ignored with noPersistence. */
  dbPath?: string;
  noPersistence?: boolean;
  tls?: TlsFiles;
  /** How long each component may take to register (default 30 s). */
  registrationTimeoutMs?: number;
  /** SIGTERM → SIGKILL grace period on stop (default 10 s). */
  shutdownGraceMs?: number;
  /** Use a control plane that is already running at address:port instead of embedding one. */
  useExternalControlPlane?: boolean;
  /** Folder for the runner state file (pids) and endpoint file (default ~/.flowctl). */
  stateDir?: string;
  /** Extra environment for every component (on top of process.env). */
  env?: Record<string, string>;
  /**
   * Component ids that processes outside the run (started by hand, e.g. under a debugger) may register on
   * the embedded control plane (`flowctl run --allow-external <id>`). More can be allowed at run time by
   * the owner: ControlPlaneServer.access.allowExternal(), or flowctl.access.v1.AccessService/AllowExternal.
   */
  allowExternal?: string[];
  /** Limits of the embedded control plane (defaults: DEFAULT_LIMITS in controlplane/limits.ts). */
  controlPlaneLimits?: Partial<ControlPlaneLimits>;
  /**
   * `external`: the hub of a deployed pipeline. No component is started here: they register from wherever
   * they run (containers, pods, other machines) and are wired by `inputs`; replicas of a component share its
   * events. Default `managed`: the runner starts every component.
   */
  components?: 'managed' | 'external';
  /**
   * How components with an `image` run, as `flowctl run --orchestrator` says: `process` (or `local`):
   * those with a command run as processes, those with only an image as containers; `docker` (or
   * `container`): every component with an image runs as a container. Undefined: `spec.driver` decides.
   */
  orchestrator?: string;
  /** When container images are pulled before the start: never, missing (default), always. */
  pull?: 'never' | 'missing' | 'always';
  /**
   * Network of container components: `host` (default, as flowctl: FLOWCTL_ENDPOINT=127.0.0.1:port works
   * unchanged) or `bridge` (docker's default network; `ports` are published on 127.0.0.1, and an embedded
   * control plane is reached through a unix socket mounted into each container).
   */
  network?: 'host' | 'bridge';
}

/** For one start of a component only (e.g. under a debugger); the next restart uses the pipeline's spec again. */
export interface ComponentOverride {
  command?: string[];
  args?: string[];
  env?: Record<string, string>;
}

export interface RestartOptions {
  override?: ComponentOverride;
}

/** How the run starts one component (what a debugger start is built from). */
export interface ComponentStartInfo {
  /** The component as the run loaded it from the pipeline file. */
  spec: ComponentSpec;
  /** The folder its process runs in (the pipeline file's folder). */
  cwd: string;
  /** How it runs (`external`: started elsewhere, it only registers with this run's hub). */
  driver: DriverKind;
  /** True while its current start uses a one-time override (restartComponent with `override`). */
  overridden: boolean;
}

/**
 * What applyPipeline() did: components whose spec changed were restarted, added ones started and wired,
 * removed ones stopped and unwired; unchanged ones kept running (same pids).
 */
export interface ApplyResult {
  restarted: string[];
  added: string[];
  removed: string[];
  unchanged: string[];
}

export interface PipelineRunner {
  readonly options: RunnerOptions;
  /** Typed events: state changes, component views, log lines, notices, metrics. */
  onEvent(listener: (event: RunnerEvent) => void): Disposable;
  /** Recent rates and numeric metrics per component (recorded on every metrics tick). */
  readonly history?: MetricHistory;
  /** Current picture of the run (cheap; safe to call often). */
  snapshot(): RunSnapshot;
  /** Starts the control plane and every component; resolves when the run is running, rejects on a failed start (after cleaning up). */
  start(): Promise<void>;
  /** Stops everything (idempotent); resolves when every process is gone and the control plane is closed. */
  stop(reason?: string): Promise<void>;
  /** No more grace (a second Ctrl+C): SIGKILL every component now and stop without waiting for streams to drain. */
  forceStop(reason?: string): Promise<void>;
  /** Resolves when the run has ended (stopped, failed, or every component exited). */
  readonly done: Promise<RunSnapshot>;
  /** Restarts one component with the grace period; only the edges that end or start at it are touched. */
  restartComponent(id: string, options?: RestartOptions): Promise<void>;
  /** Stops one component (it becomes `stopped`, not failed; the run stays running). */
  stopComponent(id: string): Promise<void>;
  /** Starts a component that was stopped (or exited). */
  startComponent(id: string): Promise<void>;
  /** Re-reads the pipeline file and applies it to the live run (see ApplyResult). */
  applyPipeline(): Promise<ApplyResult>;
  /** Last lines of a component's log (ANSI kept). */
  logTail(id: string, lines?: number): string[];
  /**
   * Lets a process outside the run (a component started by hand, e.g. under a debugger) register,
   * heartbeat and unregister component `id` on the run's embedded control plane (allowed = false takes
   * that back); the run-time form of RunnerOptions.allowExternal. Answers the ids allowed now. Throws
   * before the control plane is up, for an invalid id, and with an external control plane.
   */
  allowExternal(id: string, allowed?: boolean): string[];
  /** How the run starts a component (undefined for an unknown id or before the file is loaded). */
  componentStartInfo?(id: string): ComponentStartInfo | undefined;
}
