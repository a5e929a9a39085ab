// Making text that came from a component (or over the wire) safe to write to a user's terminal.
// A component's output may carry escape sequences that act on the terminal rather than colour text:
// clear screen (ESC[2J), cursor moves, window title (OSC 0/2), clipboard writes (OSC 52), device
// control strings (DCS), full reset (ESC c)… Colours (SGR, `ESC[…m`) are kept for log lines; for
// single-line fields (ids, names, metric keys and values, error strings) every control character is
// shown escaped, so a newline in an id cannot split a line and nothing in it reaches the terminal.

const ESC = 0x1b;
const BEL = 0x07;
const TAB = 0x09;
const ST8 = 0x9c; // 8-bit String Terminator

/** Longest SGR parameter list kept; longer ones are dropped (no colour needs more). */
const MAX_SGR_PARAMS = 64;

function isControl(c: number): boolean {
  return c < 0x20 || (c >= 0x7f && c <= 0x9f);
}

/** True when `s` holds a character the terminal could act on (C0/C1 controls, DEL, ESC). */
export function hasControlChars(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (isControl(s.charCodeAt(i))) return true;
  return false;
}

/** Index just after a string sequence (OSC/DCS/SOS/PM/APC) that starts at `from` (its body), or s.length. */
function endOfString(s: string, from: number, belEnds: boolean): number {
  for (let i = from; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === ST8) return i + 1;
    if (belEnds && c === BEL) return i + 1;
    if (c === ESC && s.charCodeAt(i + 1) === 0x5c /* \ */) return i + 2;
  }
  return s.length;
}

/** Parses a CSI body starting at `from` (after `ESC [` or 0x9B); returns its end and whether it is a plain SGR. */
function parseCsi(s: string, from: number): { end: number; sgr: boolean } {
  let i = from;
  let plainParams = true;
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (c >= 0x30 && c <= 0x3f) {
      // Digits, ';' and ':' are SGR parameters; '<', '=', '>', '?' mark private sequences.
      if (c > 0x3b) plainParams = false;
      i++;
    } else break;
  }
  const paramEnd = i;
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (c >= 0x20 && c <= 0x2f) i++;
    else break;
  }
  const intermediates = i > paramEnd;
  if (i >= s.length) return { end: s.length, sgr: false }; // unterminated: drop the rest
  const final = s.charCodeAt(i);
  if (final < 0x40 || final > 0x7e) return { end: i, sgr: false }; // malformed: drop what was read
  const sgr = final === 0x6d /* m */ && plainParams && !intermediates && paramEnd - from <= MAX_SGR_PARAMS;
  return { end: i + 1, sgr };
}

/**
 * A component's output line, safe for a terminal: SGR colour sequences are kept (when `keepSgr`),
 * every other escape sequence (CSI, OSC, DCS/SOS/PM/APC, nF and single-character escapes, their
 * 8-bit C1 forms) and every other control character (CR, BS, BEL, NUL, DEL, C1…) is removed; tabs stay.
 */
export function sanitizeTerminalLine(s: string, keepSgr = true): string {
  if (!hasControlChars(s)) return s;
  let out = '';
  let i = 0;
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (!isControl(c) || c === TAB) {
      // Copy the run of ordinary characters at once.
      let j = i + 1;
      while (j < s.length) {
        const d = s.charCodeAt(j);
        if (isControl(d) && d !== TAB) break;
        j++;
      }
      out += s.slice(i, j);
      i = j;
      continue;
    }
    if (c === ESC) {
      if (i + 1 >= s.length) break; // a lone ESC at the end
      const n = s.charCodeAt(i + 1);
      if (n === 0x5b /* [ */) {
        const { end, sgr } = parseCsi(s, i + 2);
        if (sgr && keepSgr) out += s.slice(i, end);
        i = end;
      } else if (n === 0x5d /* ] OSC */) {
        i = endOfString(s, i + 2, true);
      } else if (n === 0x50 /* P DCS */ || n === 0x58 /* X SOS */ || n === 0x5e /* ^ PM */ || n === 0x5f /* _ APC */) {
        i = endOfString(s, i + 2, false);
      } else if (n >= 0x20 && n <= 0x2f) {
        // nF escape: ESC, intermediates, one final byte (charset selection "ESC ( B", "ESC # 8"…).
        let j = i + 1;
        while (j < s.length && s.charCodeAt(j) >= 0x20 && s.charCodeAt(j) <= 0x2f) j++;
        i = j < s.length ? j + 1 : j;
      } else if (n >= 0x30 && n <= 0x7e) {
        i += 2; // ESC 7, ESC 8, ESC c (reset), ESC M, ESC =…
      } else {
        i += 1; // ESC followed by a control or non-ASCII character: drop the ESC alone
      }
      continue;
    }
    if (c === 0x9b) {
      i = parseCsi(s, i + 1).end; // 8-bit CSI: dropped even when it is an SGR
      continue;
    }
    if (c === 0x9d) {
      i = endOfString(s, i + 1, true); // 8-bit OSC
      continue;
    }
    if (c === 0x90 || c === 0x98 || c === 0x9e || c === 0x9f) {
      i = endOfString(s, i + 1, false); // 8-bit DCS, SOS, PM, APC
      continue;
    }
    i++; // any other control character
  }
  return out;
}

/**
 * Several lines (a notice, an error with a log tail): each line sanitised like a log line; line breaks
 * (\n, \r\n, lone \r) become `\n`. Continuation lines get `indent` so they cannot pass for other lines.
 */
export function sanitizeTerminalText(s: string, options: { keepSgr?: boolean; indent?: string } = {}): string {
  if (!hasControlChars(s)) return s;
  const lines = s.split(/\r\n|\n|\r/).map((l) => sanitizeTerminalLine(l, options.keepSgr ?? true));
  const indent = options.indent ?? '';
  return lines.map((l, i) => (i > 0 && indent && l ? indent + l : l)).join('\n');
}

// Bidirectional overrides and isolates reorder what follows them on screen ("Trojan source").
const BIDI = /[\u202a-\u202e\u2066-\u2069]/;

/** Longest field shown (characters); longer values are cut with a note of what was left out. */
export const MAX_FIELD_CHARS = 1024;

function escapeChar(c: number): string {
  if (c === 0x0a) return '\\n';
  if (c === 0x0d) return '\\r';
  if (c === 0x09) return '\\t';
  if (c === ESC) return '\\e';
  return c <= 0xff ? `\\x${c.toString(16).padStart(2, '0')}` : `\\u${c.toString(16).padStart(4, '0')}`;
}

/**
 * One value that came over the wire (a component or service id, a pipeline name, a metric key or value,
 * an error string), safe to print on one line: every control character is shown escaped (`\n`, `\e`,
 * `\x07`…), bidi overrides too (`\u202e`), and values longer than `maxChars` are cut.
 */
export function sanitizeField(value: unknown, maxChars = MAX_FIELD_CHARS): string {
  let s = typeof value === 'string' ? value : value === undefined || value === null ? '' : String(value);
  let cut = 0;
  if (s.length > maxChars) {
    cut = s.length - maxChars;
    s = s.slice(0, maxChars);
  }
  if (hasControlChars(s) || BIDI.test(s)) {
    let out = '';
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      out += isControl(c) || (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069) ? escapeChar(c) : s[i];
    }
    s = out;
  }
  return cut ? `${s}…(+${cut} chars)` : s;
}

/**
 * JSON.stringify for output that may land on a terminal: JSON already escapes C0 controls; this also
 * escapes DEL, the C1 range and bidi overrides as \u00XX (still the same JSON value).
 */
export function jsonForTerminal(value: unknown, indent = 2): string {
  return JSON.stringify(value, null, indent).replace(/[\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
