// Append-only per-component log file: ANSI-free lines, created 0600 (folders the supervisor creates
// for it: 0700), flushed on close. `backlog` tells how much is waiting for the disk, so the reader of
// a component's output can pause (back-pressure to the component) instead of growing without bound.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { mkdirPrivate, openPrivate } from './privateFiles';

export class LogFile {
  private stream?: fs.WriteStream;
  private failed?: string;

  constructor(readonly file: string) {}

  /** Last write/open error, if any (logging stops after one; the process keeps running). */
  get error(): string | undefined {
    return this.failed;
  }

  /** Characters handed to write() that the disk has not taken yet. */
  get backlog(): number {
    return this.stream?.writableLength ?? 0;
  }

  /** Calls `fn` once the backlog has been written (at once when there is none or the file failed). */
  whenDrained(fn: () => void): void {
    const stream = this.stream;
    if (!stream || this.failed || !stream.writableNeedDrain) {
      fn();
      return;
    }
    let done = false;
    const once = () => {
      if (done) return;
      done = true;
      stream.off('drain', once);
      stream.off('close', once);
      fn();
    };
    stream.on('drain', once);
    stream.on('close', once);
  }

  write(line: string): void {
    if (this.failed) return;
    if (!this.stream) {
      let fd: number;
      try {
        mkdirPrivate(path.dirname(this.file));
        fd = openPrivate(this.file, 'a');
      } catch (err) {
        this.failed = `cannot open log file ${this.file}: ${(err as Error).message}`;
        return;
      }
      const stream = fs.createWriteStream(this.file, { fd, flags: 'a' });
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
