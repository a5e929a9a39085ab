// Public shapes of the data plane.
import type { BufferLimits } from './edge';
import type { DataPlaneTls } from './tls';

export type DataPlaneRole = 'source' | 'processor' | 'sink';

export interface DataPlaneNode {
  id: string;
  role: DataPlaneRole;
  /** Ids this node reads from (sources ignore inputs). */
  inputs: string[];
  /** Sinks only accept these event types (empty/undefined = all). */
  inputEventTypes?: string[];
  /**
   * Replicas of one component share a group (the component id): an upstream hands each event to ONE
   * member of a group (round-robin per event, or by `partitionKey`), not to every member.
   */
  group?: string;
  /** Event field (`id`, `type`, `source_component_id`) or metadata key the group's events are spread by. */
  partitionKey?: string;
}

export interface DataPlaneOptions {
  nodes: DataPlaneNode[];
  /** The registered data-plane endpoint of a component (undefined = not registered). */
  endpointOf: (id: string) => string | undefined;
  /** StreamRequest.params for a source (flowctl sends start_ledger / end_ledger). */
  params?: (sourceId: string) => Record<string, string>;
  /** gRPC max send/receive message size (default 50 MiB, like flowctl). */
  maxMessageBytes?: number;
  /** How long to wait for a component's data-plane port to accept calls (default 30 s). */
  connectTimeoutMs?: number;
  /** How long stop() waits for sinks to answer before cancelling (default 10 s). */
  stopTimeoutMs?: number;
}

export interface DataPlaneManagerOptions {
  nodes: DataPlaneNode[];
  /** StreamRequest.params for a source (flowctl sends start_ledger / end_ledger). */
  params?: (sourceId: string) => Record<string, string>;
  maxMessageBytes?: number;
  connectTimeoutMs?: number;
  /** Per-edge hold buffer (default 10,000 events / 16 MiB). */
  buffer?: BufferLimits;
  /** Mutual TLS to every component's data-plane server (tls.ts); plaintext without. */
  tls?: DataPlaneTls;
}

export type DataPlaneEvent =
  /** An edge opened: events go straight from `from` into `to`'s stream (again after every reconnect). */
  | { type: 'wired'; from: string; to: string }
  | { type: 'error'; id: string; message: string }
  | { type: 'notice'; id: string; message: string }
  /** A node's stream ended (a sink answered, a processor's output finished, a source's stream ended). */
  | { type: 'ended'; id: string }
  /** A source finished its stream by itself (not stopped). */
  | { type: 'sourceEnded'; id: string }
  /** A node's stream opened (sources: StreamEvents; processors: Process; sinks: Consume). */
  | { type: 'opened'; id: string; resumeToken?: string }
  /** The first event of `eventType` a sink does not accept (later ones are only counted). */
  | { type: 'typeMismatch'; id: string; from: string; eventType: string; accepts: string[] };

export interface NodeCounts {
  eventsIn: number;
  eventsOut: number;
  bytesIn: number;
  bytesOut: number;
}

export interface ConsumeResult {
  eventsConsumed: number;
  eventsFailed: number;
  errors: string[];
}

/** Drops and held events of one node: over its input edges plus its own (e.g. not consumed before a stop). */
export interface NodeDrops {
  dropped: number;
  droppedBy: Record<string, number>;
  queued: number;
}

export interface EdgeCounts {
  from: string;
  to: string;
  events: number;
  dropped: number;
  droppedBy: Record<string, number>;
  queued: number;
  state: 'open' | 'held' | 'closed';
}
