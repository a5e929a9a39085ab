// The data plane's event streams as plain gRPC-over-HTTP/2 calls on node:http2. The runner only
// forwards serialized events, so it hands the DATA chunks it reads from one component to the next
// one as they are (whole frames, see frames.ts) instead of taking every message through grpc-js's
// per-message machinery (decode, filters, retry buffer, re-frame) on each hop — measured by
// `npm run bench:run`, that was most of the runner's CPU per event. Status handling follows gRPC:
// grpc-status/grpc-message from the trailers (or a trailers-only response), else one derived from
// the HTTP status or the RST_STREAM code. GetInfo/HealthCheck stay on grpc-js (dataPlane.ts).
import * as http2 from 'node:http2';
import { status as Status } from '@grpc/grpc-js';
import { isTlsError, type DataPlaneTls } from './tls';

const { NGHTTP2_CANCEL, NGHTTP2_NO_ERROR, NGHTTP2_REFUSED_STREAM, NGHTTP2_ENHANCE_YOUR_CALM, NGHTTP2_FLAG_END_STREAM } = http2.constants;

/** HTTP/2 receive window per stream and per connection (measured: 64 KiB costs ~20% more CPU per event; 1 MiB no better). */
const DEFAULT_WINDOW_BYTES = 256 * 1024;

export interface CallStatus {
  code: number;
  details: string;
  /** The connection's TLS handshake failed (not something a retry fixes). */
  tlsFailure?: boolean;
}

export interface CallHandlers {
  /** A DATA chunk of the response, as received (frames may straddle chunks). */
  data(chunk: Buffer): void;
  /** Once, after the last data: the call's final status. */
  done(status: CallStatus): void;
}

/** One HTTP/2 connection to a component's data-plane server, opened on the first call. */
export class H2Channel {
  private session?: http2.ClientHttp2Session;
  private sessionError?: Error;
  private open = 0;
  private closed = false;

  constructor(
    readonly address: string,
    private readonly windowBytes = DEFAULT_WINDOW_BYTES,
    /** Mutual TLS (see tls.ts); plaintext without. */
    readonly tls?: DataPlaneTls,
  ) {}

  private connect(): http2.ClientHttp2Session {
    if (this.session && !this.session.closed && !this.session.destroyed) return this.session;
    const options: http2.SecureClientSessionOptions = {
      settings: { initialWindowSize: this.windowBytes, enablePush: false },
      // Like grpc-js: node's default 10 MB session-memory cap degrades badly when reached.
      maxSessionMemory: Number.MAX_SAFE_INTEGER,
    };
    if (this.tls) {
      Object.assign(options, {
        ca: this.tls.ca,
        cert: this.tls.cert,
        key: this.tls.key,
        rejectUnauthorized: true,
        // The chain is verified against the CA; the name is not (replicas are dialled at assigned addresses).
        checkServerIdentity: () => undefined,
      });
    }
    const session = http2.connect(`${this.tls ? 'https' : 'http'}://${this.address}`, options);
    this.sessionError = undefined;
    session.on('error', (err) => {
      if (this.session === session) this.sessionError = err;
    });
    session.once('connect', () => {
      try {
        if (this.windowBytes > 65_535) session.setLocalWindowSize(this.windowBytes);
      } catch {
        /* the connection window stays at the default */
      }
    });
    session.unref(); // referenced only while a call is open (see call())
    this.session = session;
    return session;
  }

  /** Starts a call of `path` (e.g. "/flowctl.v1.ProcessorService/Process"). */
  call(path: string, handlers: CallHandlers): GrpcCall {
    if (this.closed) throw new Error(`the channel to ${this.address} is closed`);
    const session = this.connect();
    const stream = session.request(
      {
        [http2.constants.HTTP2_HEADER_METHOD]: 'POST',
        [http2.constants.HTTP2_HEADER_PATH]: path,
        [http2.constants.HTTP2_HEADER_CONTENT_TYPE]: 'application/grpc',
        [http2.constants.HTTP2_HEADER_TE]: 'trailers',
        [http2.constants.HTTP2_HEADER_USER_AGENT]: 'flowctl-dataplane',
      },
      { endStream: false },
    );
    if (this.open++ === 0) session.ref();
    return new GrpcCall(stream, handlers, () => {
      if (--this.open === 0 && !session.destroyed) session.unref();
    }, () => this.sessionError, !!this.tls);
  }

  /**
   * A unary call: one request frame, the whole response and the status. After `timeoutMs` the call is
   * cancelled and its status is DEADLINE_EXCEEDED.
   */
  unary(path: string, requestFrame: Buffer, timeoutMs: number): Promise<{ status: CallStatus; response: Buffer }> {
    return new Promise((resolve) => {
      const chunks: Buffer[] = [];
      let timedOut = false;
      const call = this.call(path, {
        data: (chunk) => chunks.push(chunk),
        done: (status) => {
          clearTimeout(timer);
          resolve({ status: timedOut ? { code: Status.DEADLINE_EXCEEDED, details: 'Deadline exceeded' } : status, response: Buffer.concat(chunks) });
        },
      });
      const timer = setTimeout(() => {
        timedOut = true;
        call.cancel();
      }, Math.max(1, timeoutMs));
      timer.unref();
      call.write(requestFrame);
      call.end();
    });
  }

  /** Closes the connection once its open calls have finished. */
  close(): void {
    this.closed = true;
    if (this.session && !this.session.closed) this.session.close();
  }
}

/** One call: write frames to it (requests), read its DATA chunks (responses), and its final status. */
export class GrpcCall {
  private status: CallStatus | null = null;
  private httpStatus = 0;
  private streamError: Error | null = null;
  private finished = false;

  constructor(
    readonly stream: http2.ClientHttp2Stream,
    private readonly handlers: CallHandlers,
    private readonly onClosed: () => void,
    private readonly sessionError: () => Error | undefined,
    private readonly tlsChannel = false,
  ) {
    stream.on('response', (headers, flags) => {
      this.httpStatus = Number(headers[http2.constants.HTTP2_HEADER_STATUS]) || 0;
      if (flags & NGHTTP2_FLAG_END_STREAM) this.trailers(headers);
    });
    stream.on('trailers', (headers) => this.trailers(headers));
    stream.on('data', (chunk: Buffer) => {
      if (!this.finished) this.handlers.data(chunk);
    });
    stream.on('error', (err) => (this.streamError = err)); // the status comes with 'close'
    stream.on('close', () => this.closed());
  }

  /** Writes whole frames; false = the stream's buffer is full, wait for 'drain'. */
  write(frames: Buffer): boolean {
    if (this.stream.destroyed || this.stream.writableEnded) return true;
    return this.stream.write(frames);
  }

  /** Half-closes: no more requests. */
  end(): void {
    if (!this.stream.destroyed && !this.stream.writableEnded) this.stream.end();
  }

  /** Ends the call now (RST_STREAM CANCEL); the status is CANCELLED. */
  cancel(): void {
    if (!this.stream.destroyed && !this.stream.closed) this.stream.close(NGHTTP2_CANCEL);
  }

  pause(): void {
    this.stream.pause();
  }

  resume(): void {
    this.stream.resume();
  }

  private trailers(headers: http2.IncomingHttpHeaders): void {
    if (this.status) return;
    const raw = headers['grpc-status'];
    if (raw === undefined) {
      this.status = httpStatusToGrpc(this.httpStatus);
      return;
    }
    const code = Number(Array.isArray(raw) ? raw[0] : raw);
    let details = String(headers['grpc-message'] ?? '');
    try {
      details = decodeURIComponent(details);
    } catch {
      /* keep it as sent */
    }
    this.status = { code: Number.isInteger(code) ? code : Status.UNKNOWN, details };
  }

  private closed(): void {
    if (this.finished) return;
    this.finished = true;
    this.onClosed();
    this.handlers.done(this.status ?? this.statusFromReset());
  }

  private statusFromReset(): CallStatus {
    const rst = this.stream.rstCode;
    const err = this.streamError ?? this.sessionError() ?? null;
    // A pending stream whose connection failed errors with ERR_HTTP2_STREAM_CANCEL caused by the socket error.
    const net = (err?.cause instanceof Error ? err.cause : err) as NodeJS.ErrnoException | null;
    if (this.tlsChannel && (isTlsError(net) || isTlsError(err as NodeJS.ErrnoException | null))) {
      return { code: Status.UNAVAILABLE, details: `TLS handshake failed: ${net?.message ?? err?.message}`, tlsFailure: true };
    }
    if (net && (net.code === 'ECONNREFUSED' || net.code === 'ECONNRESET' || net.code === 'ETIMEDOUT' || net.code === 'EPIPE')) {
      return { code: Status.UNAVAILABLE, details: net.message };
    }
    switch (rst) {
      case NGHTTP2_NO_ERROR:
        if (this.httpStatus && this.httpStatus !== 200) return httpStatusToGrpc(this.httpStatus);
        return { code: Status.INTERNAL, details: `Received RST_STREAM with code ${rst} (Call ended without gRPC status)` };
      case NGHTTP2_REFUSED_STREAM:
        return { code: Status.UNAVAILABLE, details: 'Stream refused by server' };
      case NGHTTP2_CANCEL:
        if (this.sessionError()) return { code: Status.UNAVAILABLE, details: 'Connection dropped' };
        return { code: Status.CANCELLED, details: 'Call cancelled' };
      case NGHTTP2_ENHANCE_YOUR_CALM:
        return { code: Status.RESOURCE_EXHAUSTED, details: 'Bandwidth exhausted or memory limit exceeded' };
      default:
        return { code: Status.INTERNAL, details: `Received RST_STREAM with code ${rst}${err ? `: ${err.message}` : ''}` };
    }
  }
}

/** The gRPC status of a response without grpc-status (as the gRPC HTTP/2 spec maps it). */
function httpStatusToGrpc(http: number): CallStatus {
  const details = `Received HTTP status code ${http}`;
  switch (http) {
    case 400:
      return { code: Status.INTERNAL, details };
    case 401:
      return { code: Status.UNAUTHENTICATED, details };
    case 403:
      return { code: Status.PERMISSION_DENIED, details };
    case 404:
      return { code: Status.UNIMPLEMENTED, details };
    case 429:
    case 502:
    case 503:
    case 504:
      return { code: Status.UNAVAILABLE, details };
    case 200:
      return { code: Status.UNKNOWN, details: 'No status information received' };
    default:
      return { code: Status.UNKNOWN, details };
  }
}
