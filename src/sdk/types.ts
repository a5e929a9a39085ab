// Public option and handle types of the TypeScript component SDK.
import type { EventInit, FlowEvent } from './events';
import type { HealthName } from './health';
import type { ComponentMetrics, MetricsApi } from './metrics';
import type { Logger } from './log';

export type Awaitable<T> = T | Promise<T>;

export interface Context {
  /** The component id (FLOWCTL_COMPONENT_ID → COMPONENT_ID → kebab-case name). */
  componentId: string;
  /** Aborted when the component stops or the data-plane stream is cancelled: stop producing/processing. */
  signal: AbortSignal;
  metrics: MetricsApi;
  log: Logger;
}

export interface SourceContext extends Context {
  /** StreamRequest.params (flowctl passes start_ledger / end_ledger from START_LEDGER / END_LEDGER). */
  params: Record<string, string>;
  /**
   * True when the stream is re-opened after the source (or the run's link to it) was restarted: continue
   * AFTER `resumeToken` instead of from the beginning. `flowctl run` sends the id of the last event it
   * delivered (and, when that event had a stellar_cursor, `resumeCursor`). Default ids ("<id>-<n>") are
   * continued by the SDK itself; a source that sets its own ids reads the token (see examples/demo/ticker).
   */
  resume: boolean;
  resumeToken: string;
  resumeCursor?: { ledgerSequence: number; indexInLedger: number };
}

export interface CommonOptions {
  name: string;
  version?: string;
  description?: string;
  /** Extra registration metadata. */
  metadata?: Record<string, string>;
  /** Environment to read the contract from (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Stop on SIGTERM/SIGINT and exit 0 (default true). */
  handleSignals?: boolean;
  /** How long stop() lets open streams finish before ending them (default 5000 ms). */
  stopGraceMs?: number;
  /** Largest gRPC message accepted or sent (default 50 MiB, like flowctl). */
  maxMessageBytes?: number;
  /**
   * When this component runs as several replicas behind a hub: events with the same value of this Event
   * field (`id`, `type`, `source_component_id`) or metadata key go to the same replica (default: round-robin
   * per event). Also FLOWCTL_PARTITION_KEY.
   */
  partitionKey?: string;
}

export interface SourceOptions extends CommonOptions {
  outputEventTypes: string[];
  /** Called once per StreamEvents call; yield events. Honour ctx.signal to stop early. */
  produce: (ctx: SourceContext) => AsyncIterable<EventInit> | Iterable<EventInit>;
}

export type ProcessResult = EventInit | EventInit[] | null | undefined;

export interface ProcessorOptions extends CommonOptions {
  inputEventTypes: string[];
  outputEventTypes: string[];
  /** Return the transformed event(s); null/undefined/[] drops the event. A throw counts an error and drops it. */
  process: (event: FlowEvent, ctx: Context) => Awaitable<ProcessResult>;
}

export interface ConsumerOptions extends CommonOptions {
  inputEventTypes: string[];
  /** A throw counts the event as failed (reported in ConsumeResponse.events_failed / errors). */
  consume: (event: FlowEvent, ctx: Context) => Awaitable<void>;
}

export interface ComponentHandle {
  readonly id: string;
  /** host:port the data-plane server is reachable at (what was registered). */
  readonly endpoint: string;
  /** Port of the HTTP health server, if HEALTH_PORT was set. */
  readonly healthPort: number | undefined;
  readonly metrics: ComponentMetrics;
  /** Resolves true once registered with the control plane, false in standalone mode or if stopped first. */
  readonly registered: Promise<boolean>;
  /** The service id the control plane assigned (undefined when not registered). */
  serviceId(): string | undefined;
  health(): HealthName;
  /** Report a health status (sent with the next heartbeat and by HealthCheck / HTTP). */
  setHealth(status: HealthName): void;
  /** STOPPING → finish open streams → unregister → close servers. Idempotent. Does not exit the process. */
  stop(): Promise<void>;
  /** Resolves when stop() has finished. */
  readonly stopped: Promise<void>;
}
