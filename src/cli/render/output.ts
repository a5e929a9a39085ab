// The CLI's stdout for long-running output (the merged log view of `flowctl run`): writes go straight
// through while the reader keeps up; when it does not (stdout piped to a stalled reader), lines wait in
// a bounded queue and the oldest are dropped, with a visible `… N lines dropped …` where the gap is.
// The runner's memory therefore stays bounded whatever the components write (the log files keep every
// line). A closed stdout (EPIPE) ends the output, never the run.
import { BoundedLineQueue, droppedLinesText } from '../../core/text/lineQueue';

export interface TerminalOutputOptions {
  /** Most lines waiting for a slow reader (default 10,000). */
  maxLines?: number;
  /** Most characters waiting for a slow reader (default 4 Mi). */
  maxChars?: number;
  /** How the gap marker looks (default: the plain text). */
  formatDropped?: (text: string) => string;
}

/** Characters handed to the stream per write while catching up. */
const CHUNK_CHARS = 64 * 1024;

export class TerminalOutput {
  private readonly queue: BoundedLineQueue;
  private blocked = false;
  private closed = false;
  private readonly formatDropped: (text: string) => string;

  constructor(
    private readonly out: NodeJS.WritableStream & { writableLength?: number },
    options: TerminalOutputOptions = {},
  ) {
    this.queue = new BoundedLineQueue({ maxLines: options.maxLines ?? 10_000, maxChars: options.maxChars ?? 4 * 1024 * 1024 });
    this.formatDropped = options.formatDropped ?? ((t) => t);
    out.on('error', () => {
      // The reader went away (EPIPE) or the stream broke: nothing more can be shown.
      this.closed = true;
      this.queue.clear();
    });
  }

  /** Lines dropped so far because the reader was too slow. */
  get droppedLines(): number {
    return this.queue.totalDropped;
  }

  /** True while the reader is behind (lines are queued, or the stream asked to wait). */
  get isBehind(): boolean {
    return this.blocked || this.queue.length > 0 || this.queue.pendingDropped > 0;
  }

  /** One line (without its newline). `keep`: the runner's own notices, never dropped. */
  line(text: string, keep = false): void {
    if (this.closed) return;
    if (!this.isBehind) {
      this.write(text + '\n');
      return;
    }
    this.queue.push(text, keep);
  }

  /** Text written only if the reader keeps up (a status footer redraw); false when it was skipped. */
  raw(text: string): boolean {
    if (this.closed || this.isBehind) return false;
    this.write(text);
    return true;
  }

  /** Resolves once everything queued reached the stream and the stream flushed it, or after `timeoutMs`. */
  async flush(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.closed) return false;
      if (!this.isBehind && (this.out.writableLength ?? 0) === 0) return true;
      if (Date.now() >= deadline) return false;
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  private write(text: string): void {
    let ok: boolean;
    try {
      ok = this.out.write(text);
    } catch {
      this.closed = true;
      return;
    }
    if (!ok && !this.blocked) {
      this.blocked = true;
      this.out.once('drain', () => {
        this.blocked = false;
        this.pump();
      });
    }
  }

  /** Writes what waits, a chunk at a time, until the stream asks to wait again or nothing is left. */
  private pump(): void {
    while (!this.blocked && !this.closed) {
      let chunk = '';
      const dropped = this.queue.takeDropped();
      if (dropped > 0) chunk += this.formatDropped(droppedLinesText(dropped)) + '\n';
      for (;;) {
        const next = this.queue.peek();
        if (next === undefined || (chunk.length > 0 && chunk.length + next.length + 1 > CHUNK_CHARS)) break;
        chunk += next + '\n';
        this.queue.shift();
      }
      if (!chunk) return;
      this.write(chunk);
    }
  }
}
