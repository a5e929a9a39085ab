// Per-connection state of the control plane's gRPC server, and the budget for answers that clients have
// not read yet. A client that asks and never reads (or reads slowly) keeps each answer in our memory
// until HTTP/2 flow control lets it out: every sizeable answer is counted against its connection
// (maxUnsentBytesPerConnection) and the server (maxUnsentBytes) from the moment it is built until its
// stream closes; past either, the call is refused with RESOURCE_EXHAUSTED before anything is built.
// Fairness: a connection with nothing unread always gets its next answer if that is small (≤ 1 MiB),
// whatever other connections hold, so one client that stops reading cannot starve the others.
//
// grpc-js does not expose the HTTP/2 stream of a unary call; we reach it through the call object
// (`call.call.stream`, present since grpc-js 1.10 when no server interceptors are configured). Without
// it (a grpc-js that changed its internals) connections are told apart by peer address and answers
// are not counted; test/integration/controlplane-abuse.test.ts fails in that case.
import type * as grpc from '@grpc/grpc-js';
import { resourceExhausted } from './errors';
import { formatBytes, limitNote, type ControlPlaneLimits } from './limits';

/** What access.ts learns about the process behind a connection (resolved once per connection). */
export interface ConnectionCaller {
  /** Pid of the client process, when it could be found (Linux /proc). */
  pid: number | undefined;
  /** Whether the access policy counts it as a process of the run. */
  inRun: boolean;
}

export interface Connection {
  readonly peer: string;
  /** Bytes of answers on this connection not yet read by the client. */
  unsent: number;
  caller?: ConnectionCaller;
  callerLookup?: Promise<ConnectionCaller>;
}

interface StreamLike {
  session?: object;
  once(event: 'close', fn: () => void): unknown;
  closed?: boolean;
}

/** The HTTP/2 stream behind a unary call, if grpc-js lets us reach it. */
export function streamOf(call: grpc.ServerUnaryCall<any, any>): StreamLike | undefined {
  const stream = (call as unknown as { call?: { stream?: StreamLike } }).call?.stream;
  return stream && typeof stream.once === 'function' && typeof stream.session === 'object' && stream.session !== null ? stream : undefined;
}

const FALLBACK_MAX = 4096;
/** Answers up to this size are not held back by the server-wide budget for a connection that reads. */
export const SMALL_ANSWER_BYTES = 1024 * 1024;

export class Connections {
  private readonly bySession = new WeakMap<object, Connection>();
  /** Used only when the stream is not reachable; bounded, oldest dropped. */
  private readonly byPeer = new Map<string, Connection>();
  /** Bytes of answers not yet read, over all connections. */
  unsent = 0;
  /** False once a call arrived whose stream we could not reach. */
  streamsReachable = true;

  constructor(private readonly limits: ControlPlaneLimits) {}

  of(call: grpc.ServerUnaryCall<any, any>): Connection {
    const session = streamOf(call)?.session;
    if (session) {
      let conn = this.bySession.get(session);
      if (!conn) {
        conn = { peer: call.getPeer(), unsent: 0 };
        this.bySession.set(session, conn);
      }
      return conn;
    }
    this.streamsReachable = false;
    const peer = call.getPeer();
    let conn = this.byPeer.get(peer);
    if (!conn) {
      if (this.byPeer.size >= FALLBACK_MAX) this.byPeer.delete(this.byPeer.keys().next().value!);
      conn = { peer, unsent: 0 };
      this.byPeer.set(peer, conn);
    }
    return conn;
  }

  /**
   * Refuses at once, before an answer is built, when the call's connection (or, for a connection that
   * has not read everything, the server) is already at its budget. reserve() makes the exact check.
   */
  precheck(call: grpc.ServerUnaryCall<any, any>, method: string): void {
    const stream = streamOf(call);
    if (!stream || stream.closed) return;
    const conn = this.of(call);
    if (conn.unsent >= this.limits.maxUnsentBytesPerConnection) throw this.connectionFull(conn, method);
    if (conn.unsent > 0 && this.unsent >= this.limits.maxUnsentBytes) throw this.serverFull(method);
  }

  /**
   * Counts an answer of `bytes` against the call's connection and the server until its stream closes.
   * RESOURCE_EXHAUSTED (nothing counted) when that would pass either budget.
   */
  reserve(call: grpc.ServerUnaryCall<any, any>, bytes: number, method: string): void {
    const stream = streamOf(call);
    if (!stream || stream.closed) return;
    const conn = this.of(call);
    const limits = this.limits;
    if (conn.unsent > 0 && conn.unsent + bytes > limits.maxUnsentBytesPerConnection) throw this.connectionFull(conn, method);
    const exempt = conn.unsent === 0 && bytes <= SMALL_ANSWER_BYTES;
    if (!exempt && this.unsent > 0 && this.unsent + bytes > limits.maxUnsentBytes) throw this.serverFull(method);
    conn.unsent += bytes;
    this.unsent += bytes;
    stream.once('close', () => {
      conn.unsent -= bytes;
      this.unsent -= bytes;
    });
  }

  private connectionFull(conn: Connection, method: string): Error {
    return resourceExhausted(
      `${method} refused: this connection has not read ${formatBytes(conn.unsent)} of earlier answers, ` +
        `${limitNote(this.limits, 'maxUnsentBytesPerConnection', 'bytes')}; read them (or make fewer calls at once) first`,
    );
  }

  private serverFull(method: string): Error {
    return resourceExhausted(
      `${method} refused: clients have not read ${formatBytes(this.unsent)} of earlier answers, ` +
        `${limitNote(this.limits, 'maxUnsentBytes', 'bytes')}; try again later`,
    );
  }
}
