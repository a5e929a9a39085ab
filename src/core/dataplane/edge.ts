// One `inputs` link of the data plane (from → to) with its own counts and its HOLD buffer: while the
// downstream is down (restarting, stopped by hand, not started yet), the events meant for it wait
// here, in order, bounded by events and bytes. What happens when the buffer is full is the policy:
//   'pause' — the downstream is expected back soon (a restart, a crash with a restart policy, start-up):
//             keep the event and pause the upstream until the buffer drains (lossless backpressure);
//   'drop'  — the downstream is stopped by hand or gone: drop the OLDEST held event, counted.
import { Signal } from './signal';

export type HoldPolicy = 'pause' | 'drop';

export interface BufferLimits {
  /** Most events held per edge. */
  events: number;
  /** Most bytes (whole gRPC frames) held per edge. */
  bytes: number;
}

export const DEFAULT_BUFFER_LIMITS: BufferLimits = { events: 10_000, bytes: 16 * 1024 * 1024 };

export class Edge {
  readonly key: string;
  /** True while frames go straight into the downstream's call; false = held (queued). */
  open = false;
  /** Set while the held queue is being written into a freshly opened downstream call. */
  flushing = false;
  /** The upstream has finished for good (a source that completed, the run draining): nothing more will come. */
  ended = false;
  policy: HoldPolicy = 'pause';
  /** Delivered: written into the downstream's call. */
  events = 0;
  bytes = 0;
  dropped = 0;
  readonly droppedBy: Record<string, number> = {};
  /** How many times it opened ('wired' is announced each time). */
  opens = 0;
  /** Fired whenever the queue shrinks, the edge opens/ends, or the policy changes. */
  readonly changed = new Signal();

  // Frames accepted during the chunk being forwarded: runBuf[runStart, runEnd), written in one piece.
  runBuf: Buffer | null = null;
  runStart = 0;
  runEnd = 0;

  private queue: Buffer[] = [];
  private head = 0;
  private bytesHeld = 0;

  constructor(
    readonly from: string,
    readonly to: string,
    private limits: BufferLimits,
  ) {
    this.key = `${from}\u0000${to}`;
  }

  get queued(): number {
    return this.queue.length - this.head;
  }

  get queuedBytes(): number {
    return this.bytesHeld;
  }

  get full(): boolean {
    return this.queued >= this.limits.events || this.bytesHeld >= this.limits.bytes;
  }

  setLimits(limits: BufferLimits): void {
    this.limits = limits;
  }

  /**
   * Holds a copy of one frame. With the 'drop' policy a full buffer first drops its oldest frames
   * (counted under `dropReason`); with 'pause' the frame is kept and the caller pauses the upstream.
   */
  hold(buf: Buffer, start: number, end: number, dropReason: string): void {
    if (this.policy === 'drop') {
      while (this.queued > 0 && (this.queued >= this.limits.events || this.bytesHeld + (end - start) > this.limits.bytes)) {
        this.shift();
        this.drop(dropReason);
      }
      if (this.limits.events <= 0 || end - start > this.limits.bytes) {
        this.drop(dropReason);
        return;
      }
    }
    const copy = Buffer.allocUnsafe(end - start);
    buf.copy(copy, 0, start, end);
    this.queue.push(copy);
    this.bytesHeld += copy.length;
  }

  /** The oldest held frame, removed from the queue. */
  shift(): Buffer | undefined {
    if (this.head >= this.queue.length) return undefined;
    const f = this.queue[this.head];
    this.queue[this.head++] = undefined as unknown as Buffer;
    this.bytesHeld -= f.length;
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    return f;
  }

  /** Takes up to `maxFrames` / `maxBytes` (at least one frame) off the queue, oldest first. */
  take(maxFrames: number, maxBytes: number): Buffer[] {
    const out: Buffer[] = [];
    let bytes = 0;
    while (this.queued > 0 && out.length < maxFrames) {
      const next = this.queue[this.head];
      if (out.length > 0 && bytes + next.length > maxBytes) break;
      out.push(this.shift()!);
      bytes += next.length;
    }
    return out;
  }

  /** Drops every held frame (counted). */
  dropAll(reason: string): number {
    const n = this.queued;
    this.queue = [];
    this.head = 0;
    this.bytesHeld = 0;
    if (n > 0) this.drop(reason, n);
    this.changed.fire();
    return n;
  }

  drop(reason: string, n = 1): void {
    this.dropped += n;
    this.droppedBy[reason] = (this.droppedBy[reason] ?? 0) + n;
  }
}
