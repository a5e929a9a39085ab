// Batches terminal output: lines are queued and written together every `intervalMs`, at most
// `maxBytesPerFlush` per write. When a component floods faster than that, the oldest queued lines
// are dropped and a visible notice line (`… N lines dropped …`) marks the gap. No vscode import.

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
  return line.replace(/\r?\n/g, '\r\n') + '\r\n';
}

export class OutputBatcher {
  private queue: string[] = [];
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
    this.maxLines = options.maxQueuedLines ?? 5000;
    this.paused = options.paused ?? false;
  }

  /** Queue one line (without its line ending). */
  push(line: string): void {
    if (this.disposed) return;
    this.queue.push(toTerminalLine(line));
    if (this.queue.length > this.maxLines) {
      const excess = this.queue.length - this.maxLines;
      this.queue.splice(0, excess);
      this.dropped += excess;
      this.totalDropped += excess;
    }
    this.schedule();
  }

  /** Start writing (e.g. when the terminal opened). */
  resume(): void {
    this.paused = false;
    this.schedule();
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
    let taken = 0;
    while (taken < this.queue.length) {
      const next = this.queue[taken];
      if (out.length > 0 && out.length + next.length > this.maxBytes) break;
      out += next;
      taken++;
    }
    this.queue.splice(0, taken);
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

  get queued(): number {
    return this.queue.length;
  }

  dispose(): void {
    this.disposed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.queue = [];
  }

  private schedule(): void {
    if (this.timer || this.paused || this.disposed) return;
    if (this.queue.length === 0 && this.dropped === 0) return;
    this.timer = setTimeout(() => this.flush(), this.intervalMs);
  }
}
