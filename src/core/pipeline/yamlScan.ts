// A pass over the YAML tokens before the real parse (the `yaml` package's own lexer, so quoting and
// comments are understood exactly). It finds what the parser reports badly or too late:
// - flow collections nested deeper than MAX_YAML_DEPTH (refused before the parser's recursion spends
//   seconds and a gigabyte on `[[[[…`);
// - quoted strings that are never closed: the parser reports them at the end of the file, where the
//   swallowed text ends; the user needs the line where the quote opens;
// - `[` / `{` that are never closed, likewise reported at the line where they open.
import { CST, Lexer } from 'yaml';
import { MAX_YAML_DEPTH } from './limits';

export interface Unclosed {
  /** Offset of the opening quote or bracket. */
  offset: number;
  /** Offset where the text it swallowed ends (errors in between are its consequences). */
  end: number;
  char: '"' | "'" | '[' | '{';
  /** For brackets: what closes every level still open there, innermost first (e.g. `]}`). */
  closers?: string;
}

export interface ScanResult {
  /** Offset of the first `[`/`{` nested deeper than the limit (the scan stops there). */
  tooDeepAt?: number;
  unclosed: Unclosed[];
}

const SCALAR = '\x1f';
const FLOW_ERROR_END = '\x18';
const DOCUMENT = '\x02';

function closedDouble(source: string): boolean {
  if (source.length < 2 || !source.endsWith('"')) return false;
  let backslashes = 0;
  for (let i = source.length - 2; i > 0 && source[i] === '\\'; i--) backslashes++;
  return backslashes % 2 === 0;
}

function closedSingle(source: string): boolean {
  if (source.length < 2 || !source.endsWith("'")) return false;
  // Inside single quotes '' is an escaped quote: the closing quote ends an odd run of quotes.
  let run = 0;
  for (let i = source.length - 1; i > 0 && source[i] === "'"; i--) run++;
  return run % 2 === 1;
}

export function scanYaml(text: string, maxDepth = MAX_YAML_DEPTH): ScanResult {
  const result: ScanResult = { unclosed: [] };
  const open: { offset: number; char: '[' | '{' }[] = [];
  const flushOpen = (end: number) => {
    // The outermost unclosed collection is the one the user left open; inner ones closed with it.
    if (open.length > 0) {
      const closers = open.map((o) => (o.char === '[' ? ']' : '}')).reverse().join('');
      result.unclosed.push({ offset: open[0].offset, end, char: open[0].char, closers });
    }
    open.length = 0;
  };
  let offset = 0;
  let plain = false;
  for (const token of new Lexer().lex(text)) {
    const at = offset;
    // The lexer's control tokens mark modes; they are not in the source.
    if (token === SCALAR || token === FLOW_ERROR_END || token === DOCUMENT) {
      if (token === SCALAR) plain = true;
      else flushOpen(at);
      continue;
    }
    offset += token.length;
    if (plain) {
      plain = false; // the source of a plain scalar: any character may appear in it
      continue;
    }
    switch (CST.tokenType(token)) {
      case 'flow-seq-start':
      case 'flow-map-start':
        open.push({ offset: at, char: token === '[' ? '[' : '{' });
        if (open.length > maxDepth) {
          result.tooDeepAt = at;
          return result;
        }
        break;
      case 'flow-seq-end':
      case 'flow-map-end':
        open.pop();
        break;
      case 'double-quoted-scalar':
        if (!closedDouble(token)) result.unclosed.push({ offset: at, end: offset, char: '"' });
        break;
      case 'single-quoted-scalar':
        if (!closedSingle(token)) result.unclosed.push({ offset: at, end: offset, char: "'" });
        break;
      default:
        break;
    }
  }
  flushOpen(offset);
  return result;
}
