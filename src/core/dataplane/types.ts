// Public shapes of the data plane.

export type DataPlaneRole = 'source' | 'processor' | 'sink';

export interface DataPlaneNode {
  id: string;
  role: DataPlaneRole;
  /** Ids this node reads from (sources ignore inputs). */
  inputs: string[];
  /** Sinks only accept these event types (empty/undefined = all). */
  inputEventTypes?: string[];
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

export type DataPlaneEvent =
  | { type: 'wired'; from: string; to: string }
  | { type: 'error'; id: string; message: string }
  | { type: 'ended'; id: string }
  | { type: 'sourceEnded'; id: string };

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
