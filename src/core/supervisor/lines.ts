// Turns a child's output chunks into lines: chunks may split lines (and multi-byte characters),
// `\r\n` counts as one line end, a single line is capped, and a trailing partial line is flushed at the end.
import { StringDecoder } from 'node:string_decoder';

/** Longest line emitted, in characters; longer lines are emitted in pieces of this size. */
export const MAX_LINE = 64 * 1024;

export class LineSplitter {
  private readonly decoder = new StringDecoder('utf8');
  private partial = '';
  private ended = false;

  constructor(
    private readonly onLine: (line: string) => void,
    private readonly maxLine = MAX_LINE,
  ) {
    if (!(maxLine > 0)) throw new Error('LineSplitter: maxLine must be positive');
  }

  push(chunk: Buffer | Uint8Array | string): void {
    if (this.ended) return;
    const text = typeof chunk === 'string' ? chunk : this.decoder.write(chunk as Buffer);
    if (text) this.take(text);
  }

  /** Flushes what is left (a last line without a newline). Further pushes are ignored. */
  end(): void {
    if (this.ended) return;
    const rest = this.decoder.end();
    if (rest) this.take(rest);
    this.ended = true;
    let line = this.partial;
    this.partial = '';
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (line.length > 0) this.onLine(line);
  }

  private take(text: string): void {
    let start = 0;
    for (;;) {
      const nl = text.indexOf('\n', start);
      if (nl < 0) break;
      let line = this.partial + text.slice(start, nl);
      this.partial = '';
      if (line.endsWith('\r')) line = line.slice(0, -1);
      this.emitCapped(line);
      start = nl + 1;
    }
    if (start < text.length) this.partial += text.slice(start);
    // A line that never ends must not grow without bound.
    while (this.partial.length > this.maxLine) {
      this.onLine(this.partial.slice(0, this.maxLine));
      this.partial = this.partial.slice(this.maxLine);
    }
  }

  private emitCapped(line: string): void {
    while (line.length > this.maxLine) {
      this.onLine(line.slice(0, this.maxLine));
      line = line.slice(this.maxLine);
    }
    this.onLine(line);
  }
}

// CSI: ESC [ (or the 8-bit 0x9B) params intermediates final-byte, e.g. colours "\x1b[31m", cursor moves "\x1b[2K".
// OSC: ESC ] … terminated by BEL or ESC \ (window titles, hyperlinks "\x1b]8;;url\x07").
// Other escapes: ESC followed by one byte in 0x40-0x5F (except [ and ]), and charset selection "ESC ( B".
const ANSI_RE = new RegExp(
  [
    '(?:\\u001b\\[|\\u009b)[0-?]*[ -/]*[@-~]',
    '(?:\\u001b\\]|\\u009d)[^\\u0007\\u001b]*(?:\\u0007|\\u001b\\\\)',
    '\\u001b[()*+][0-9A-Za-z]',
    '\\u001b[@-Z\\\\^_]',
    '\\u001b[=>78]',
  ].join('|'),
  'g',
);

/** Removes ANSI escape sequences (colours, cursor control, OSC titles/links); keeps the text. */
export function stripAnsi(s: string): string {
  return s.includes('\u001b') || s.includes('\u009b') || s.includes('\u009d') ? s.replace(ANSI_RE, '') : s;
}
