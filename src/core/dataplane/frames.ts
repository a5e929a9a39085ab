// gRPC message framing on an HTTP/2 stream: each message is a 1-byte compressed flag, a 4-byte
// big-endian length and the serialized message. The data plane forwards whole frames exactly as
// they arrived, so it only needs their boundaries: FrameSplitter finds them in the DATA chunks of
// a stream without copying, except for the one frame that straddles two chunks.

/** Receives each complete frame: buf[start, end) (header included; the message starts at start + 5). */
export interface FrameSink {
  frame(buf: Buffer, start: number, end: number): void;
}

export const FRAME_HEADER_BYTES = 5;

/** Frames one message (a serialized protobuf) for a gRPC stream. */
export function frameMessage(message: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(FRAME_HEADER_BYTES + message.length);
  out[0] = 0;
  out.writeUInt32BE(message.length, 1);
  out.set(message, FRAME_HEADER_BYTES);
  return out;
}

export class FrameSplitter {
  /** A frame begun in an earlier chunk, being filled (header included). */
  private pending: Buffer | null = null;
  private pendingFilled = 0;
  /** A frame header split across chunks. */
  private readonly head = Buffer.alloc(FRAME_HEADER_BYTES);
  private headFilled = 0;

  /** @param maxMessageBytes the largest message accepted (-1 = no limit). */
  constructor(private readonly maxMessageBytes: number) {}

  /** Bytes of an unfinished frame held back (0 = the stream is on a frame boundary). */
  get partialBytes(): number {
    return this.pending ? this.pendingFilled : this.headFilled;
  }

  /**
   * Hands every frame completed by `chunk` to `sink`, in order. Returns a problem (a compressed
   * frame, or one over the size limit) instead of continuing; the stream is unusable after that.
   */
  feed(chunk: Buffer, sink: FrameSink): string | undefined {
    const n = chunk.length;
    let pos = 0;
    // 1. Finish the frame begun in an earlier chunk.
    if (this.headFilled > 0) {
      const take = Math.min(FRAME_HEADER_BYTES - this.headFilled, n);
      chunk.copy(this.head, this.headFilled, 0, take);
      this.headFilled += take;
      pos = take;
      if (this.headFilled < FRAME_HEADER_BYTES) return undefined;
      this.headFilled = 0;
      const problem = this.check(this.head, 0);
      if (problem) return problem;
      this.pending = Buffer.allocUnsafe(FRAME_HEADER_BYTES + this.head.readUInt32BE(1));
      this.head.copy(this.pending, 0);
      this.pendingFilled = FRAME_HEADER_BYTES;
    }
    if (this.pending) {
      const p = this.pending;
      const take = Math.min(p.length - this.pendingFilled, n - pos);
      chunk.copy(p, this.pendingFilled, pos, pos + take);
      this.pendingFilled += take;
      pos += take;
      if (this.pendingFilled < p.length) return undefined;
      this.pending = null;
      sink.frame(p, 0, p.length);
    }
    // 2. Whole frames inside this chunk: handed over in place.
    while (n - pos >= FRAME_HEADER_BYTES) {
      const problem = this.check(chunk, pos);
      if (problem) return problem;
      const end = pos + FRAME_HEADER_BYTES + chunk.readUInt32BE(pos + 1);
      if (end > n) break;
      sink.frame(chunk, pos, end);
      pos = end;
    }
    // 3. Keep the beginning of the next frame.
    if (pos < n) {
      if (n - pos < FRAME_HEADER_BYTES) {
        chunk.copy(this.head, 0, pos, n);
        this.headFilled = n - pos;
      } else {
        this.pending = Buffer.allocUnsafe(FRAME_HEADER_BYTES + chunk.readUInt32BE(pos + 1));
        chunk.copy(this.pending, 0, pos, n);
        this.pendingFilled = n - pos;
      }
    }
    return undefined;
  }

  private check(buf: Buffer, pos: number): string | undefined {
    if (buf[pos] !== 0) return buf[pos] === 1 ? 'received a compressed message (the data plane does not negotiate compression)' : `invalid gRPC frame flag ${buf[pos]}`;
    const len = buf.readUInt32BE(pos + 1);
    if (this.maxMessageBytes >= 0 && len > this.maxMessageBytes) return `received a message larger than max (${len} vs. ${this.maxMessageBytes})`;
    return undefined;
  }
}
