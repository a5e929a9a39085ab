// Batches terminal output: lines are queued and written together every `intervalMs`, at most
// `maxBytesPerFlush` per write. When a component floods faster than that, the oldest queued lines
// are dropped and a visible notice line (`… N lines dropped …`) marks the gap. No vscode import.
//
// The queue is the core's BoundedLineQueue (O(1) push and drop; the CLI's log view uses it too).
// Lines are turned into terminal lines (\r\n endings) only when they are written, so dropped lines
// cost no string work at all.
import { BoundedLineQueue, droppedLinesText } from '../core/text/lineQueue';

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
  return `${DIM_YELLOW}${droppedLinesText(count)}${RESET}\r\n`;
}

/** Terminal lines end in \r\n; stray \n inside a line become \r\n too. */
export function toTerminalLine(line: string): string {
  return (line.indexOf('\n') === -1 ? line : line.replace(/\r?\n/g, '\r\n')) + '\r\n';
}

export class OutputBatcher {
  private queue: BoundedLineQueue;
  private timer: NodeJS.Timeout | undefined;
  private paused: boolean;
  private disposed = false;
  private readonly intervalMs: number;
  private readonly maxBytes: number;
  /** Lines written over the batcher's life, and `… N lines dropped …` notices written (for the bench). */
  totalWritten = 0;
  dropNotices = 0;

  constructor(
    private readonly write: (text: string) => void,
    options: BatcherOptions & { paused?: boolean } = {},
  ) {
    this.intervalMs = options.intervalMs ?? 25;
    this.maxBytes = options.maxBytesPerFlush ?? 64 * 1024;
    this.queue = new BoundedLineQueue({ maxLines: Math.max(1, options.maxQueuedLines ?? 5000) });
    this.paused = options.paused ?? false;
  }

  /** Lines dropped over the batcher's life (for tests and the summary). */
  get totalDropped(): number {
    return this.queue.totalDropped;
  }

  /** Queue one line (without its line ending). O(1); drops the oldest queued line when full. */
  push(line: string): void {
    if (this.disposed) return;
    this.queue.push(line);
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
    const dropped = this.queue.takeDropped();
    if (dropped > 0) {
      out += droppedNotice(dropped);
      this.dropNotices++;
    }
    let taken = 0;
    for (;;) {
      const head = this.queue.peek();
      if (head === undefined) break;
      const next = toTerminalLine(head);
      if (out.length > 0 && out.length + next.length > this.maxBytes) break;
      out += next;
      this.queue.shift();
      taken++;
    }
    this.totalWritten += taken;
    if (out) this.write(out);
    if (this.queue.length > 0) this.schedule();
    return this.queue.length > 0;
  }

  /** Write everything still queued (in max-size chunks). */
  drain(): void {
    while (this.flush()) {
      /* keep flushing */
    }
  }

  /** Lines waiting to be written. */
  get queued(): number {
    return this.queue.length;
  }

  /** Lines dropped since the last notice was written (the next notice's N). */
  get pendingDropped(): number {
    return this.queue.pendingDropped;
  }

  dispose(): void {
    this.disposed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.queue.clear();
  }

  private schedule(): void {
    if (this.timer || this.paused || this.disposed) return;
    if (this.queue.length === 0 && this.queue.pendingDropped === 0) return;
    this.timer = setTimeout(() => this.flush(), this.intervalMs);
  }
}
