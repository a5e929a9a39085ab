// The contract between the runner (src/core/runner.ts) and its front ends (CLI, extension).
import type { Disposable } from './typedEmitter';
import type { RunnerEvent, RunSnapshot } from './events';

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
  /** Folder for per-component log files (default `logs`, relative to the pipeline file's folder). */
  logDir?: string;
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
}

export interface PipelineRunner {
  readonly options: RunnerOptions;
  /** Typed events: state changes, component views, log lines, notices, metrics. */
  onEvent(listener: (event: RunnerEvent) => void): Disposable;
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
  restartComponent(id: string): Promise<void>;
  stopComponent(id: string): Promise<void>;
  /** Last lines of a component's log (ANSI kept). */
  logTail(id: string, lines?: number): string[];
}
