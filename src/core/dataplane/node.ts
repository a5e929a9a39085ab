// A component as the data plane sees it (a node of the inputs graph) and its links to its neighbours.
import type { Edge } from './edge';
import type { GrpcCall, H2Channel } from './h2call';
import { Signal } from './signal';
import type { ConsumeResult, DataPlaneNode, DataPlaneRole, NodeCounts } from './types';

export interface Link {
  e: Edge;
  from: Node;
  to: Node;
}

export interface Node {
  readonly id: string;
  role: DataPlaneRole;
  inputs: string[];
  /** Sinks: the event types it accepts (empty = all). */
  accepts: string[];
  filter?: Set<string>;
  in: Link[];
  out: Link[];
  address?: string;
  channel?: H2Channel;
  /** Bumped by every up()/down(): a connect that finishes late knows it is stale. */
  seq: number;
  connecting?: Promise<boolean>;
  /** Registered, reachable, and its stream is (or may be) open. */
  up: boolean;
  /** Could not be reached or is not a v1 data-plane component: upstreams do not wait for it. */
  broken: boolean;
  /** The current stream (source output, processor bidi, sink input). */
  call?: GrpcCall;
  callDone?: Promise<void>;
  resolveCallDone?: () => void;
  /** The stream takes input (processors, sinks) and is not half-closed. */
  accepting: boolean;
  /** We half-closed its input and wait for it to finish. */
  closing: boolean;
  /** We cancelled the stream on purpose (its status is not a failure). */
  cancelled: boolean;
  /** The runner is stopping or restarting it: the end of its stream is not the end of its data. */
  goingDown: boolean;
  /** While down: is it expected back (held events wait, upstream pauses when full) or not (oldest dropped)? */
  expectBack: boolean;
  /** A write to its stream returned false: wait for 'drain'. */
  blocked: boolean;
  readonly drained: Signal;
  counts: NodeCounts;
  /** Events written into the current stream (sinks: checked against its ConsumeResponse). */
  callWritten: number;
  dropped: number;
  droppedBy: Record<string, number>;
  /** Event types already reported as not accepted. */
  typesReported: Set<string>;
  /** The last ConsumeResponse (sinks). */
  result?: ConsumeResult;
  /** Sources: how many times StreamEvents was opened; the id / cursor of the last event read. */
  streams: number;
  lastEventId?: string;
  lastCursor?: { ledgerSequence: number; indexInLedger: number };
  /** Sources wait until everything downstream can take events before they first open. */
  wantsStream: boolean;
  /** Replicas of one component (see DataPlaneNode.group) and what their events are spread by. */
  group?: string;
  partitionKey?: string;
}

export function newNode(spec: DataPlaneNode): Node {
  return {
    id: spec.id,
    role: spec.role,
    inputs: [...spec.inputs],
    accepts: [],
    in: [],
    out: [],
    seq: 0,
    up: false,
    broken: false,
    accepting: false,
    closing: false,
    cancelled: false,
    goingDown: false,
    expectBack: true,
    blocked: false,
    drained: new Signal(),
    counts: { eventsIn: 0, eventsOut: 0, bytesIn: 0, bytesOut: 0 },
    callWritten: 0,
    dropped: 0,
    droppedBy: {},
    typesReported: new Set(),
    streams: 0,
    wantsStream: false,
    ...(spec.group ? { group: spec.group } : {}),
    ...(spec.partitionKey ? { partitionKey: spec.partitionKey } : {}),
  };
}
