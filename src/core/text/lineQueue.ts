// A bounded queue of output lines for a reader that may be slower than the writer (a terminal, a
// piped stdout). Beyond `maxLines` lines or `maxChars` characters the OLDEST lines are dropped and
// counted, so the consumer can mark the gap with `… N lines dropped …`. Lines pushed with `keep`
// (a front end's own notices: errors, exits) are never dropped: when one reaches the head of a full
// queue it moves to a small side list that is delivered first (it is older than everything still
// queued, so the order of what is shown is kept). Push and drop are O(1): a fixed-size ring (head
// index + count), grown by doubling up to maxLines, nothing shifted or spliced.

export interface LineQueueOptions {
  /** Most lines queued (default 5000). */
  maxLines?: number;
  /** Most characters queued, all lines together (default unbounded). */
  maxChars?: number;
  /** Most `keep` lines held aside when they would have been dropped (default 1000; beyond, they drop too). */
  maxKept?: number;
}

/** The gap marker both front ends show (without colour or line ending). */
export function droppedLinesText(count: number): string {
  return `… ${count} line${count === 1 ? '' : 's'} dropped …`;
}

export class BoundedLineQueue {
  private ring: (string | undefined)[];
  private keepFlags: boolean[];
  private head = 0;
  private count = 0;
  private chars = 0;
  private kept: string[] = [];
  private dropped = 0;
  private readonly maxLines: number;
  private readonly maxChars: number;
  private readonly maxKept: number;
  /** Lines dropped over the queue's life. */
  totalDropped = 0;

  constructor(options: LineQueueOptions = {}) {
    this.maxLines = Math.max(1, Math.floor(options.maxLines ?? 5000));
    this.maxChars = Math.max(1, options.maxChars ?? Number.POSITIVE_INFINITY);
    this.maxKept = Math.max(0, options.maxKept ?? 1000);
    const initial = Math.min(this.maxLines, 64);
    this.ring = new Array<string | undefined>(initial);
    this.keepFlags = new Array<boolean>(initial).fill(false);
  }

  /** Lines waiting (kept notices included). */
  get length(): number {
    return this.count + this.kept.length;
  }

  /** Characters waiting in the ring (kept notices not counted). */
  get queuedChars(): number {
    return this.chars;
  }

  /** Lines dropped since the last takeDropped(). */
  get pendingDropped(): number {
    return this.dropped;
  }

  /** Queue one line; drops the oldest lines when a bound is reached. */
  push(line: string, keep = false): void {
    while (this.count > 0 && (this.count >= this.maxLines || this.chars + line.length > this.maxChars)) this.evictHead();
    if (this.count === this.ring.length) this.grow();
    let tail = this.head + this.count;
    if (tail >= this.ring.length) tail -= this.ring.length;
    this.ring[tail] = line;
    this.keepFlags[tail] = keep;
    this.count++;
    this.chars += line.length;
  }

  /** The next line without taking it (undefined when empty). */
  peek(): string | undefined {
    return this.kept.length ? this.kept[0] : this.count ? this.ring[this.head] : undefined;
  }

  /** Takes the next line (held-aside notices first: they are the oldest). */
  shift(): string | undefined {
    if (this.kept.length) return this.kept.shift();
    if (this.count === 0) return undefined;
    const line = this.ring[this.head]!;
    this.ring[this.head] = undefined;
    this.head = this.head + 1 === this.ring.length ? 0 : this.head + 1;
    this.count--;
    this.chars -= line.length;
    return line;
  }

  /** Lines dropped since the last call (write the gap marker before the next line when > 0). */
  takeDropped(): number {
    const n = this.dropped;
    this.dropped = 0;
    return n;
  }

  clear(): void {
    this.ring = new Array<string | undefined>(Math.min(this.maxLines, 64));
    this.keepFlags = new Array<boolean>(this.ring.length).fill(false);
    this.head = this.count = this.chars = 0;
    this.kept = [];
  }

  private evictHead(): void {
    const line = this.ring[this.head]!;
    const keep = this.keepFlags[this.head];
    this.ring[this.head] = undefined;
    this.head = this.head + 1 === this.ring.length ? 0 : this.head + 1;
    this.count--;
    this.chars -= line.length;
    if (keep && this.kept.length < this.maxKept) {
      this.kept.push(line);
      return;
    }
    this.dropped++;
    this.totalDropped++;
  }

  private grow(): void {
    const size = Math.min(this.maxLines, this.ring.length * 2);
    const ring = new Array<string | undefined>(size);
    const flags = new Array<boolean>(size).fill(false);
    for (let i = 0; i < this.count; i++) {
      const from = (this.head + i) % this.ring.length;
      ring[i] = this.ring[from];
      flags[i] = this.keepFlags[from];
    }
    this.ring = ring;
    this.keepFlags = flags;
    this.head = 0;
  }
}
