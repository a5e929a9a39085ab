// One bounded, time-ordered log of every component of the runs in a window (the merged "All
// components" view reads it). A fixed-size ring: push is O(1) and does no string work (components may
// print 100,000 lines a second); the oldest entries are dropped when it is full and the drops are
// counted so the view can say so. ANSI stripping and level detection happen when an entry is first
// read, once.
import { detectLevel, type LogLevel } from './level';
import type { LogEntry } from './filter';
import { sanitizeTerminalLine } from '../text/terminal';

/** The line as plain text: every escape sequence (colours too) and control character removed, tabs kept. */
export function stripAnsi(text: string): string {
  return sanitizeTerminalLine(text, false);
}

/** Longest line kept (characters); longer ones are cut with a marker. */
export const MAX_LINE_CHARS = 8192;

export interface MergedLogOptions {
  /** Entries kept (default 10,000; at least 100). */
  capacity?: number;
}

export class MergedLog {
  private ring: (Slot | undefined)[];
  private head = 0;
  private count = 0;
  private nextSeq = 1;
  /** Entries dropped since the log was created or cleared. */
  dropped = 0;
  readonly capacity: number;
  private readonly listeners = new Set<(seq: number) => void>();

  constructor(options: MergedLogOptions = {}) {
    this.capacity = Math.max(100, Math.floor(options.capacity ?? 10_000));
    this.ring = new Array(Math.min(this.capacity, 1024));
  }

  /**
   * Adds a line; the level is read from the text (when first read) unless given. Returns its sequence
   * number. Allocation-free once the ring is full: the slot of the line it drops is reused.
   */
  push(time: number, component: string, pipeline: string, stream: LogEntry['stream'], text: string, level?: LogLevel): number {
    if (this.count === this.ring.length && this.count < this.capacity) this.grow();
    let slot: Slot | undefined;
    if (this.count === this.ring.length) {
      slot = this.ring[this.head];
      this.head = (this.head + 1) % this.ring.length;
      this.count--;
      this.dropped++;
    }
    const seq = this.nextSeq++;
    if (slot) {
      slot.seq = seq;
      slot.time = time;
      slot.component = component;
      slot.pipeline = pipeline;
      slot.stream = stream;
      slot.raw = text;
      slot.level = level;
      slot.entry = undefined;
    } else {
      slot = { seq, time, component, pipeline, stream, raw: text, level, entry: undefined };
    }
    this.ring[(this.head + this.count) % this.ring.length] = slot;
    this.count++;
    if (this.listeners.size) for (const l of this.listeners) l(seq);
    return seq;
  }

  get size(): number {
    return this.count;
  }

  /** Sequence number of the oldest entry still kept (the next one when empty). */
  get firstSeq(): number {
    return this.count ? this.ring[this.head]!.seq : this.nextSeq;
  }

  get lastSeq(): number {
    return this.nextSeq - 1;
  }

  /** Entries with seq > `afterSeq` (all kept ones for 0), oldest first. */
  since(afterSeq = 0): LogEntry[] {
    const out: LogEntry[] = [];
    const first = this.firstSeq;
    const skip = Math.max(0, afterSeq - first + 1);
    for (let i = skip; i < this.count; i++) out.push(entryOf(this.ring[(this.head + i) % this.ring.length]!));
    return out;
  }

  /** Component ids seen, in order of first appearance. */
  components(): string[] {
    const seen = new Set<string>();
    for (let i = 0; i < this.count; i++) seen.add(this.ring[(this.head + i) % this.ring.length]!.component);
    return [...seen];
  }

  clear(): void {
    this.ring = new Array(Math.min(this.capacity, 1024));
    this.head = this.count = 0;
    this.dropped = 0;
  }

  /** Called with the new entry's sequence number (read it with since()). */
  onAppend(listener: (seq: number) => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  private grow(): void {
    const next = new Array<Slot | undefined>(Math.min(this.capacity, this.ring.length * 2));
    for (let i = 0; i < this.count; i++) next[i] = this.ring[(this.head + i) % this.ring.length];
    this.ring = next;
    this.head = 0;
  }
}

/** What the ring holds: the raw line, turned into a LogEntry (and cached) when first read. */
interface Slot {
  seq: number;
  time: number;
  component: string;
  pipeline: string;
  stream: LogEntry['stream'];
  raw: string;
  level?: LogLevel;
  entry?: LogEntry;
}

function entryOf(slot: Slot): LogEntry {
  if (slot.entry) return slot.entry;
  let text = stripAnsi(slot.raw);
  if (text.length > MAX_LINE_CHARS) text = `${text.slice(0, MAX_LINE_CHARS)} … (${text.length - MAX_LINE_CHARS} more characters)`;
  slot.entry = {
    seq: slot.seq,
    time: slot.time,
    component: slot.component,
    pipeline: slot.pipeline,
    stream: slot.stream,
    level: slot.level ?? detectLevel(text),
    text,
  };
  slot.raw = '';
  return slot.entry;
}
