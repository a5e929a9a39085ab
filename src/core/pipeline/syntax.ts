// YAML syntax errors → diagnostics, one per root cause. The parser reports every consequence of one
// mistake (a line indented by one space too few gives "nested mappings…", "implicit keys…" and one
// "all mapping items…" per following line); the user needs the first, at the line to fix. So:
// - an unclosed quote or bracket is reported where it opens (found by yamlScan), and every parser
//   error inside the text it swallowed is dropped;
// - of the structural errors inside one indented block, only the first is kept;
// - errors at the start of an indented line point at its first character, not at column 1;
// - each kind gets a hint in plain words, and a misaligned key is named with both columns.
import type { LineCounter } from 'yaml';
import type { DiagnosticBag, Fix } from './diagnostics';
import { MAX_YAML_DEPTH } from './limits';
import type { Range } from './model';
import type { ScanResult, Unclosed } from './yamlScan';

/** An error as the `yaml` package reports it. */
export interface YamlError {
  code: string;
  message: string;
  pos: [number, number];
}

/** Errors that are usually the consequence of an earlier one in the same block. */
const CASCADING = new Set([
  'BAD_INDENT',
  'BLOCK_AS_IMPLICIT_KEY',
  'MULTILINE_IMPLICIT_KEY',
  'MISSING_CHAR',
  'UNEXPECTED_TOKEN',
  'TAB_AS_INDENT',
  'BAD_SCALAR_START',
  'BLOCK_IN_FLOW',
  'IMPOSSIBLE',
  'RESOURCE_EXHAUSTION',
]);

const HINTS: Record<string, string> = {
  BAD_INDENT: 'keys of one mapping must start in the same column; indent with spaces only',
  BLOCK_AS_IMPLICIT_KEY: 'check the indentation of this line and the next: a key written after `- ` must line up with the keys below it',
  MULTILINE_IMPLICIT_KEY: 'a key must be followed by `:` on the same line; check the indentation here',
  TAB_AS_INDENT: 'YAML indentation must use spaces, not tabs',
  DUPLICATE_KEY: 'a key may appear only once in a mapping; remove or rename one of them',
  BAD_DQ_ESCAPE: 'inside "double quotes" a backslash starts an escape; write \\\\ for a backslash or use single quotes',
  UNEXPECTED_TOKEN: 'this character is not allowed here; quote the value if it is text',
  BAD_SCALAR_START: 'a plain value cannot start with this character; quote the value',
};

interface Lines {
  text: string;
  starts: number[];
}

function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

/** 0-based line index of an offset. */
function lineOf(lines: Lines, offset: number): number {
  let lo = 0;
  let hi = lines.starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (lines.starts[mid] <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

function lineText(lines: Lines, i: number): string {
  const start = lines.starts[i];
  const end = i + 1 < lines.starts.length ? lines.starts[i + 1] - 1 : lines.text.length;
  return lines.text.slice(start, end).replace(/\r$/, '');
}

/** Indentation of a line with content; undefined for blank and comment-only lines. */
function indentOf(line: string): number | undefined {
  const m = /^( *)(\S)/.exec(line);
  if (!m || m[2] === '#') return undefined;
  return m[1].length;
}

interface LineShape {
  /** Column (0-based) of the `-` when the line is a list item. */
  dash?: number;
  /** Column (0-based) of the key, if the line has one. */
  key?: number;
  name: string;
  /** Ends with `key:` (a nested block follows). */
  opensBlock: boolean;
}

/** Where a line's list marker and key start. */
function shapeOf(line: string): LineShape | undefined {
  const m = /^( *)(- +)?((?:- +)*)([^\s#:][^:#]*?):(?:\s|$)/.exec(line);
  if (!m) {
    const item = /^( *)- +\S/.exec(line);
    return item ? { dash: item[1].length, name: '-', opensBlock: false } : undefined;
  }
  const rest = line.slice(m[0].length).replace(/(^|\s)#.*$/, '').trim();
  return {
    ...(m[2] ? { dash: m[1].length } : {}),
    key: m[1].length + (m[2]?.length ?? 0) + m[3].length,
    name: m[4].trim(),
    opensBlock: rest === '',
  };
}

/** The nearest content line before i (0-based), or -1. */
function prevContent(lines: Lines, i: number): number {
  for (let j = i - 1; j >= 0; j--) if (indentOf(lineText(lines, j)) !== undefined) return j;
  return -1;
}

function nextContent(lines: Lines, i: number): number {
  for (let j = i + 1; j < lines.starts.length; j++) if (indentOf(lineText(lines, j)) !== undefined) return j;
  return -1;
}

/**
 * The lines a structural error at line i may spill into: the rest of the block it sits in, i.e. up
 * to the next line indented no deeper than that block's parent line. Returns the end line (exclusive).
 */
function blockEnd(lines: Lines, i: number): number {
  const at = indentOf(lineText(lines, i)) !== undefined ? i : prevContent(lines, i);
  if (at < 0) return lines.starts.length;
  const indent = indentOf(lineText(lines, at))!;
  let parent = -1;
  for (let j = at - 1; j >= 0; j--) {
    const ind = indentOf(lineText(lines, j));
    if (ind !== undefined && ind < indent) {
      parent = ind;
      break;
    }
  }
  if (parent < 0) return lines.starts.length;
  for (let j = at + 1; j < lines.starts.length; j++) {
    const ind = indentOf(lineText(lines, j));
    if (ind !== undefined && ind <= parent) return j;
  }
  return lines.starts.length;
}

interface OpenColumn {
  line: number;
  col: number;
  kind: 'key' | 'dash';
  name: string;
}

/** Columns a line after line i-1 may start at: those of the lines it could be a sibling of. */
function openColumns(lines: Lines, i: number): OpenColumn[] {
  const out: OpenColumn[] = [];
  let limit = Infinity;
  for (let j = i - 1; j >= 0 && limit > 0; j--) {
    const text = lineText(lines, j);
    const ind = indentOf(text);
    if (ind === undefined || ind >= limit) continue;
    limit = ind;
    const sh = shapeOf(text);
    if (!sh) continue;
    if (sh.dash !== undefined) out.push({ line: j, col: sh.dash, kind: 'dash', name: sh.name });
    if (sh.key !== undefined) out.push({ line: j, col: sh.key, kind: 'key', name: sh.name });
  }
  return out;
}

/**
 * Names a misaligned line in plain words ("`sinks` (line 9) starts at column 4, but `sources`
 * (line 6) at column 3"), or undefined when the indentation around line i looks consistent.
 */
function misalignment(lines: Lines, i: number): { hint: string; lines: [number, number] } | undefined {
  const here = shapeOf(lineText(lines, i));
  if (!here) return undefined;
  const label = (sh: { kind?: 'key' | 'dash'; name: string }, dash: boolean) => (dash ? `the item \`- ${sh.name}\`` : `\`${sh.name}\``);
  const p = prevContent(lines, i);
  const prev = p >= 0 ? shapeOf(lineText(lines, p)) : undefined;
  const firstChild = !!prev?.opensBlock && (indentOf(lineText(lines, i)) ?? 0) > (indentOf(lineText(lines, p)) ?? 0);
  if (!firstChild) {
    const isItem = here.dash !== undefined;
    const col = isItem ? here.dash! : here.key!;
    const open = openColumns(lines, i);
    // A list may sit at its key's column (`sources:` / `- id:`), so items also line up with keys.
    if (!open.some((o) => o.col === col && (isItem || o.kind === 'key'))) {
      const near = open
        .filter((o) => Math.abs(o.col - col) <= 3)
        .sort((a, b) => Math.abs(a.col - col) - Math.abs(b.col - col) || (a.kind === (isItem ? 'dash' : 'key') ? -1 : 1) - (b.kind === (isItem ? 'dash' : 'key') ? -1 : 1))[0];
      if (near) {
        return {
          hint: `${label(here, isItem)} (line ${i + 1}) starts at column ${col + 1}, but ${label(near, near.kind === 'dash')} (line ${near.line + 1}) at column ${near.col + 1}: ${isItem ? 'items of one list' : 'keys at one level'} must line up`,
          lines: [near.line, i],
        };
      }
    }
  }
  if (firstChild && here.dash === undefined) {
    // The first line of a block sets its column; the next line at that level must use it too.
    const ind = indentOf(lineText(lines, i))!;
    const parentInd = indentOf(lineText(lines, p))!;
    for (let j = i + 1; j < lines.starts.length; j++) {
      const t = lineText(lines, j);
      const jInd = indentOf(t);
      if (jInd === undefined) continue;
      if (jInd <= parentInd) break;
      if (jInd === ind) break;
      const sh = shapeOf(t);
      // A shallower line, or a deeper one under a key whose value is already on its own line.
      if ((jInd < ind || !here.opensBlock) && sh && Math.abs(jInd - ind) <= 3) {
        const isItem = here.dash !== undefined;
        return {
          hint: `${label(sh, sh.dash !== undefined)} (line ${j + 1}) starts at column ${jInd + 1}, but ${label(here, isItem)} (line ${i + 1}) at column ${ind + 1}: ${isItem ? 'items of one list' : 'keys at one level'} must line up`,
          lines: [i, j],
        };
      }
      if (jInd < ind) break;
    }
  }
  if (here.dash !== undefined && here.key !== undefined && !here.opensBlock) {
    // `- id: x` followed by the item's other keys: they must start where `id` does.
    const n = nextContent(lines, i);
    const next = n >= 0 ? shapeOf(lineText(lines, n)) : undefined;
    if (next?.key !== undefined && next.dash === undefined && next.key !== here.key && next.key > here.dash && Math.abs(next.key - here.key) <= 3) {
      return {
        hint: `\`${next.name}\` (line ${n + 1}) starts at column ${next.key + 1}, but \`${here.name}\` (line ${i + 1}) at column ${here.key + 1}: keys of one item must line up`,
        lines: [i, n],
      };
    }
  }
  return undefined;
}

export class SyntaxReporter {
  private lines?: Lines;

  constructor(
    private readonly text: string,
    private readonly lineCounter: LineCounter,
    private readonly bag: DiagnosticBag,
  ) {}

  private getLines(): Lines {
    return (this.lines ??= { text: this.text, starts: lineStarts(this.text) });
  }

  /** [start, end) offsets → Range; the end is trimmed of trailing blanks. */
  private span(start: number, end: number): Range {
    let e = Math.min(end, this.text.length);
    while (e > start + 1 && /\s/.test(this.text[e - 1])) e--;
    const a = this.lineCounter.linePos(start);
    const b = this.lineCounter.linePos(Math.max(e, start));
    return { line: a.line, column: a.col, endLine: b.line, endColumn: b.col };
  }

  /** The content of the line holding `offset`, from `offset` (or its first non-blank) to its end. */
  private lineSpan(offset: number, fromFirstNonBlank: boolean): Range {
    const lines = this.getLines();
    const i = lineOf(lines, offset);
    const text = lineText(lines, i);
    let start = offset;
    if (fromFirstNonBlank) start = lines.starts[i] + (/^\s*/.exec(text)?.[0].length ?? 0);
    const end = lines.starts[i] + text.length;
    return this.span(start, Math.max(end, start + 1));
  }

  /** Reports the scan's findings and the parser's errors; returns how many errors were reported. */
  report(scan: ScanResult, errors: YamlError[]): number {
    let count = 0;
    if (scan.tooDeepAt !== undefined) return this.reportTooDeep(scan.tooDeepAt);
    const quotes = scan.unclosed.filter((u) => u.char === '"' || u.char === "'");
    // A bracket left open because a quote inside it swallowed its `]` is not a second problem.
    const unclosed = scan.unclosed.filter((u) => u.char === '"' || u.char === "'" || !quotes.some((q) => q.offset > u.offset && q.offset <= u.end));
    const swallowed: [number, number][] = [];
    for (const u of unclosed) {
      this.reportUnclosed(u);
      count++;
      // Everything from the opening to the end of the line where the swallowed text ends.
      const lines = this.getLines();
      const endLine = lineOf(lines, Math.max(u.offset, u.end - 1));
      swallowed.push([u.offset, lines.starts[endLine] + lineText(lines, endLine).length + 1]);
    }
    const sorted = [...errors].sort((a, b) => a.pos[0] - b.pos[0]);
    let cascadeUntilLine = -1;
    let exhausted = false;
    for (const e of sorted) {
      if (swallowed.some(([s, end]) => e.pos[0] >= s && e.pos[0] <= end)) continue;
      if (e.code === 'RESOURCE_EXHAUSTION') {
        if (!exhausted) count += this.reportTooDeep(e.pos[0]);
        exhausted = true;
        continue;
      }
      const lines = this.getLines();
      const line = lineOf(lines, Math.min(e.pos[0], Math.max(0, this.text.length - 1)));
      if (CASCADING.has(e.code) && line < cascadeUntilLine) continue;
      const mis = CASCADING.has(e.code) ? misalignment(lines, line) : undefined;
      // The consequences run to the end of the block of the earliest line involved.
      if (CASCADING.has(e.code)) cascadeUntilLine = blockEnd(lines, Math.min(line, mis?.lines[0] ?? line));
      this.reportError(e, line, mis?.hint);
      count++;
    }
    return count;
  }

  private reportTooDeep(offset: number): number {
    this.bag.error({
      code: 'yaml-too-deep',
      message: `YAML nesting is too deep: more than ${MAX_YAML_DEPTH} levels of lists and mappings`,
      at: this.span(offset, offset + 1),
      fix: 'a pipeline needs a handful of levels; flatten this value',
    });
    return 1;
  }

  private reportUnclosed(u: Unclosed): void {
    const lines = this.getLines();
    const i = lineOf(lines, u.offset);
    const text = lineText(lines, i);
    const lineEnd = lines.starts[i] + text.length;
    const isQuote = u.char === '"' || u.char === "'";
    const closer = isQuote ? u.char : u.char === '[' ? ']' : '}';
    const closers = isQuote ? u.char : (u.closers ?? closer);
    const what = u.char === '"' ? 'double quote' : u.char === "'" ? 'single quote' : u.char === '[' ? "'['" : "'{'";
    const fixes: Fix[] = [];
    if (isQuote) {
      // Close it before the flow brackets and commas that end the line (`{A: "abc}` → `{A: "abc"}`).
      const body = text.slice(u.offset - lines.starts[i]);
      const trailing = /[\]},\s]*$/.exec(body)?.[0].length ?? 0;
      const insertAt = lineEnd - trailing;
      if (insertAt > u.offset) {
        const pos = this.lineCounter.linePos(insertAt);
        fixes.push({
          title: `Close the quote at the end of line ${i + 1}`,
          edits: [{ range: { line: pos.line, column: pos.col, endLine: pos.line, endColumn: pos.col }, newText: u.char }],
          preferred: trailing === 0,
        });
      }
    } else {
      // Close it where the list's text ends: the last line with content before the end (the lexer
      // ends the collection at the next, less indented line), before a comment on that line.
      let e = u.end;
      while (e > u.offset + 1 && /\s/.test(this.text[e - 1])) e--;
      let endLine = lineOf(lines, e - 1);
      while (endLine > i && /^\s*(#|$)/.test(lineText(lines, endLine))) endLine--;
      const last = lineText(lines, endLine);
      const content = last.replace(/\s+#.*$/, '').replace(/\s+$/, '');
      const pos = this.lineCounter.linePos(lines.starts[endLine] + content.length);
      fixes.push({
        title: `Add the closing '${closers}' at the end of line ${endLine + 1}`,
        edits: [{ range: { line: pos.line, column: pos.col, endLine: pos.line, endColumn: pos.col }, newText: closers }],
        preferred: true,
      });
    }
    this.bag.error({
      code: 'yaml-unclosed',
      message: isQuote
        ? `YAML syntax error: unclosed ${what}: the text that starts here is never closed with ${u.char}`
        : `YAML syntax error: unclosed ${what}: this ${u.char === '[' ? 'list' : 'mapping'} is never closed with '${closer}'`,
      at: this.span(u.offset, Math.max(lineEnd, u.offset + 1)),
      fix: `add the closing ${isQuote ? u.char : `'${closers}'`}`,
      fixes,
    });
  }

  private reportError(e: YamlError, line: number, misaligned: string | undefined): void {
    const lines = this.getLines();
    const text = lineText(lines, line);
    const lineStart = lines.starts[line];
    const atLineStart = e.pos[0] <= lineStart + (/^\s*/.exec(text)?.[0].length ?? 0);
    // Errors found past the end point at the last character written, not an empty line after it.
    const last = Math.max(0, this.text.trimEnd().length - 1);
    let at: Range;
    if (atLineStart && text.trim() !== '') at = this.lineSpan(e.pos[0], true);
    else if (e.pos[1] - e.pos[0] <= 1 && e.pos[0] < lineStart + text.length) at = this.lineSpan(e.pos[0], false);
    else {
      const start = Math.min(e.pos[0], last);
      at = this.span(start, Math.max(e.pos[1], start + 1));
    }
    // `inputs: a: b`: a second `key:` on one line, not an indentation problem.
    const inlineMap = e.code === 'BLOCK_AS_IMPLICIT_KEY' && /^\s*(?:- +)?[^\s:#][^:#]*:\s+[^\s"'#[{][^:#]*:(\s|$)/.test(text);
    const hint = misaligned ?? (inlineMap ? 'a value cannot be `key: value` on the same line: quote it ("a: b") or write the mapping on the lines below, indented' : HINTS[e.code]);
    this.bag.error({
      code: 'yaml-syntax',
      message: `YAML syntax error: ${e.message.replace(/ at line \d+, column \d+:?[\s\S]*$/, '')}`,
      at,
      ...(hint ? { fix: hint } : {}),
    });
  }
}
