// Append-only per-component log file: ANSI-free lines, folders created on first write, flushed on close.
import * as fs from 'node:fs';
import * as path from 'node:path';

export class LogFile {
  private stream?: fs.WriteStream;
  private failed?: string;

  constructor(readonly file: string) {}

  /** Last write/open error, if any (logging stops after one; the process keeps running). */
  get error(): string | undefined {
    return this.failed;
  }

  write(line: string): void {
    if (this.failed) return;
    if (!this.stream) {
      try {
        fs.mkdirSync(path.dirname(this.file), { recursive: true });
      } catch (err) {
        this.failed = `cannot create log folder for ${this.file}: ${(err as Error).message}`;
        return;
      }
      const stream = fs.createWriteStream(this.file, { flags: 'a' });
      stream.on('error', (err) => {
        this.failed = `cannot write log file ${this.file}: ${err.message}`;
        if (this.stream === stream) this.stream = undefined;
      });
      this.stream = stream;
    }
    this.stream.write(line.endsWith('\n') ? line : line + '\n');
  }

  /** Flushes and closes; a later write opens the file again (append). */
  close(): Promise<void> {
    const stream = this.stream;
    this.stream = undefined;
    if (!stream || stream.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      stream.once('close', () => resolve());
      stream.once('error', () => resolve());
      stream.end();
    });
  }
}
