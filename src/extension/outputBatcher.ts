// Batches terminal output: lines are queued and written together every `intervalMs`, at most
// `maxBytesPerFlush` per write. When a component floods faster than that, the oldest queued lines
// are dropped and a visible notice line (`… N lines dropped …`) marks the gap. No vscode import.
//
// The queue is a fixed-size ring (head index + count): push and drop are O(1), nothing is shifted
// or spliced, and a dropped line costs one counter increment. Lines are turned into terminal lines
// (\r\n endings) only when they are written, so dropped lines cost no string work at all.

export interface BatcherOptions {
  /** How often queued lines are written (ms). */
  intervalMs?: number;
  /** Upper bound of characters written per flush. */
  maxBytesPerFlush?: number;
  /** Queue bound; beyond it the oldest lines are dropped (and counted). */
  maxQueuedLines?: number;
}

const DIM_YELLOW = '\x1b[2;33m';
const RESET = '\x1b[0m';

export function droppedNotice(count: number): string {
  return `${DIM_YELLOW}… ${count} line${count === 1 ? '' : 's'} dropped …${RESET}\r\n`;
}

/** Terminal lines end in \r\n; stray \n inside a line become \r\n too. */
export function toTerminalLine(line: string): string {
  return (line.indexOf('\n') === -1 ? line : line.replace(/\r?\n/g, '\r\n')) + '\r\n';
}

export class OutputBatcher {
  private ring: (string | undefined)[];
  private head = 0;
  private count = 0;
  private dropped = 0;
  private timer: NodeJS.Timeout | undefined;
  private paused: boolean;
  private disposed = false;
  private readonly intervalMs: number;
  private readonly maxBytes: number;
  private readonly maxLines: number;
  /** Lines dropped over the batcher's life (for tests and the summary). */
  totalDropped = 0;
  /** Lines written over the batcher's life, and `… N lines dropped …` notices written (for the bench). */
  totalWritten = 0;
  dropNotices = 0;

  constructor(
    private readonly write: (text: string) => void,
    options: BatcherOptions & { paused?: boolean } = {},
  ) {
    this.intervalMs = options.intervalMs ?? 25;
    this.maxBytes = options.maxBytesPerFlush ?? 64 * 1024;
    this.maxLines = Math.max(1, options.maxQueuedLines ?? 5000);
    this.paused = options.paused ?? false;
    // Grown on demand (doubling) up to maxLines, so a quiet component's terminal stays small.
    this.ring = new Array<string | undefined>(Math.min(this.maxLines, 64));
  }

  /** Queue one line (without its line ending). O(1); drops the oldest queued line when full. */
  push(line: string): void {
    if (this.disposed) return;
    if (this.count === this.ring.length) {
      if (this.count < this.maxLines) this.grow();
      else {
        // Full: the oldest line makes room (overwritten below), counted for the notice.
        this.head = this.head + 1 === this.ring.length ? 0 : this.head + 1;
        this.count--;
        this.dropped++;
        this.totalDropped++;
      }
    }
    let tail = this.head + this.count;
    if (tail >= this.ring.length) tail -= this.ring.length;
    this.ring[tail] = line;
    this.count++;
    if (this.timer === undefined) this.schedule();
  }

  /** Start writing (e.g. when the terminal opened). */
  resume(): void {
    this.paused = false;
    this.schedule();
  }

  /** Stop writing; lines keep queueing (bounded, oldest dropped with a notice). */
  pause(): void {
    this.paused = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  get isPaused(): boolean {
    return this.paused;
  }

  /** Write one batch now; returns true when more is queued. */
  flush(): boolean {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.disposed || this.paused) return false;
    let out = '';
    if (this.dropped > 0) {
      out += droppedNotice(this.dropped);
      this.dropped = 0;
      this.dropNotices++;
    }
    const ring = this.ring;
    let taken = 0;
    while (this.count > 0) {
      const next = toTerminalLine(ring[this.head]!);
      if (out.length > 0 && out.length + next.length > this.maxBytes) break;
      out += next;
      ring[this.head] = undefined;
      this.head = this.head + 1 === ring.length ? 0 : this.head + 1;
      this.count--;
      taken++;
    }
    this.totalWritten += taken;
    if (out) this.write(out);
    if (this.count > 0) this.schedule();
    return this.count > 0;
  }

  /** Write everything still queued (in max-size chunks). */
  drain(): void {
    while (this.flush()) {
      /* keep flushing */
    }
  }

  /** Lines waiting to be written. */
  get queued(): number {
    return this.count;
  }

  /** Lines dropped since the last notice was written (the next notice's N). */
  get pendingDropped(): number {
    return this.dropped;
  }

  dispose(): void {
    this.disposed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.ring = [];
    this.head = this.count = 0;
  }

  private grow(): void {
    const size = Math.min(this.maxLines, this.ring.length * 2);
    const next = new Array<string | undefined>(size);
    for (let i = 0; i < this.count; i++) next[i] = this.ring[(this.head + i) % this.ring.length];
    this.ring = next;
    this.head = 0;
  }

  private schedule(): void {
    if (this.timer || this.paused || this.disposed) return;
    if (this.count === 0 && this.dropped === 0) return;
    this.timer = setTimeout(() => this.flush(), this.intervalMs);
  }
}
