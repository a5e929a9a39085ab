// Where the cursor is in a pipeline file, from the text alone (it is usually half-typed and not
// valid YAML): which mapping or list it is in (a key path like spec → sinks → [] → inputs), whether
// a key, a value or a list item is being typed, and the word to replace. Works on block-style YAML
// by indentation, and on a flow list on the cursor's line (`inputs: [a, |]`).

/** A path of keys from the top; `[]` stands for "an item of the list". */
export type KeyPath = string[];

export type CursorKind =
  /** Typing a key of the mapping at `path`. */
  | 'key'
  /** Typing the value of key `path[path.length-1]`. */
  | 'value'
  /** Typing an item of the list at `path` (`- |` or `[a, |]`). */
  | 'item'
  | 'none';

export interface CursorContext {
  kind: CursorKind;
  path: KeyPath;
  /** What was typed of the word so far (quotes excluded). */
  prefix: string;
  /** Offsets [start, end) of the text a completion replaces (the whole word under the cursor). */
  replace: { start: number; end: number };
  /** The quote the word was opened with, if any. */
  quote?: '"' | "'";
  /** Keys already present in the mapping (key kind), with their inline values. */
  siblings: Map<string, string>;
  /** Items already in the list (item kind). */
  listed: string[];
}

interface Line {
  text: string;
  start: number;
}

function splitLines(text: string): Line[] {
  const out: Line[] = [];
  let start = 0;
  for (;;) {
    const nl = text.indexOf('\n', start);
    const end = nl === -1 ? text.length : nl;
    out.push({ text: text.slice(start, end).replace(/\r$/, ''), start });
    if (nl === -1) return out;
    start = nl + 1;
  }
}

function indentOf(line: string): number | undefined {
  const m = /^( *)(\S)/.exec(line);
  if (!m || m[2] === '#') return undefined;
  return m[1].length;
}

interface Shape {
  dash?: number;
  key?: number;
  name?: string;
  value: string;
}

/** A line's list marker, key and inline value (value without a trailing comment). */
function shapeOf(line: string): Shape | undefined {
  const m = /^( *)(- +)?((?:- +)*)(["']?)([^\s#:"'][^:#"']*?)\4\s*:(?:\s+|$)(.*)$/.exec(line);
  if (m) {
    return {
      ...(m[2] ? { dash: m[1].length } : {}),
      key: m[1].length + (m[2]?.length ?? 0) + m[3].length,
      name: m[5].trim(),
      value: m[6].replace(/(^|\s)#.*$/, '').trim(),
    };
  }
  const item = /^( *)- *(.*)$/.exec(line);
  if (item && indentOf(line) !== undefined) return { dash: item[1].length, value: item[2].replace(/(^|\s)#.*$/, '').trim() };
  return undefined;
}

/**
 * The key path of the mapping whose keys start at column `col`, for a line `i` in it (the line itself
 * is not read). Walks up by indentation: a shallower key is the parent; a `- ` line whose key is at
 * `col` makes the mapping an item of the list owned by the key above it.
 */
function mappingPath(lines: Line[], i: number, col: number): KeyPath {
  const path: string[] = [];
  let j = i - 1;
  // `owner`: looking for the key that owns a list whose `-` is at column col.
  let owner = false;
  for (; j >= 0 && (col > 0 || owner); j--) {
    const text = lines[j].text;
    const ind = indentOf(text);
    if (ind === undefined) continue;
    const sh = shapeOf(text);
    if (owner) {
      // The list's owner: a key at the dash column or shallower (`sinks:` above `- id:` or `  - id:`).
      if (ind > col || (ind === col && sh?.dash !== undefined)) continue;
      owner = false;
      if (sh?.key !== undefined && sh.dash === undefined) {
        path.push(sh.name!);
        col = ind;
        continue;
      }
      if (sh?.dash !== undefined && sh.key !== undefined) {
        // `- sinks:` (a list item whose key owns the list)
        path.push(sh.name!, '[]');
        col = sh.dash;
        owner = true;
        continue;
      }
      break;
    }
    if (ind >= col) continue;
    if (!sh) break;
    if (sh.dash !== undefined && sh.key === col) {
      // The first key of a list item, on the `- ` line: we are in that item's mapping.
      path.push('[]');
      col = sh.dash;
      owner = true;
      continue;
    }
    if (sh.key !== undefined && sh.key < col) {
      path.push(sh.name!);
      if (sh.dash !== undefined) {
        path.push('[]');
        col = sh.dash;
        owner = true;
      } else col = ind;
      continue;
    }
    if (sh.dash !== undefined) {
      path.push('[]');
      col = sh.dash;
      owner = true;
      continue;
    }
    break;
  }
  return path.reverse();
}

/** Keys (with inline values) of the mapping at column col around line i. */
function siblingsOf(lines: Line[], i: number, col: number): Map<string, string> {
  const out = new Map<string, string>();
  const take = (j: number): boolean => {
    const text = lines[j].text;
    const ind = indentOf(text);
    if (ind === undefined) return true;
    const sh = shapeOf(text);
    if (sh?.dash !== undefined && sh.key === col) {
      out.set(sh.name!, sh.value);
      return false; // the item's first line: the mapping starts here
    }
    if (ind < col) return false;
    if (ind === col && sh?.key === col && sh.dash === undefined) out.set(sh.name!, sh.value);
    return true;
  };
  for (let j = i - 1; j >= 0 && take(j); j--);
  for (let j = i + 1; j < lines.length; j++) {
    const ind = indentOf(lines[j].text);
    if (ind === undefined) continue;
    const sh = shapeOf(lines[j].text);
    if (ind < col || (ind === col && sh?.dash !== undefined)) break;
    if (ind === col && sh?.key === col) out.set(sh.name!, sh.value);
  }
  return out;
}

const WORD = /[A-Za-z0-9_./@-]/;

/** Offsets of the word around `offset` in a line (quotes not included). */
function wordAround(line: string, lineStart: number, col: number): { start: number; end: number } {
  let s = col;
  let e = col;
  while (s > 0 && WORD.test(line[s - 1])) s--;
  while (e < line.length && WORD.test(line[e])) e++;
  return { start: lineStart + s, end: lineStart + e };
}

/** The last `[` on the line before col that is not closed (outside quotes), or -1. */
function openFlowList(prefix: string): number {
  const stack: number[] = [];
  let quote = '';
  for (let k = 0; k < prefix.length; k++) {
    const ch = prefix[k];
    if (quote) {
      if (ch === quote) quote = '';
      continue;
    }
    if (ch === '"' || ch === "'") quote = ch;
    else if (ch === '#' && (k === 0 || /\s/.test(prefix[k - 1]))) return -1;
    else if (ch === '[') stack.push(k);
    else if (ch === ']') stack.pop();
  }
  return stack.length ? stack[stack.length - 1] : -1;
}

export function cursorContext(text: string, offset: number): CursorContext {
  const lines = splitLines(text);
  let i = lines.findIndex((l, k) => offset >= l.start && (k === lines.length - 1 || offset < lines[k + 1].start));
  if (i < 0) i = lines.length - 1;
  const { text: line, start } = lines[i];
  const col = offset - start;
  const prefix = line.slice(0, col);
  const none: CursorContext = { kind: 'none', path: [], prefix: '', replace: { start: offset, end: offset }, siblings: new Map(), listed: [] };
  if (/^\s*#/.test(prefix) || /\s#/.test(prefix.replace(/"[^"]*"|'[^']*'/g, ''))) return none;
  const word = wordAround(line, start, col);
  const typed = text.slice(word.start, offset);

  // A flow list on this line: `inputs: [a, "b|`
  const bracket = openFlowList(prefix);
  if (bracket >= 0) {
    const before = prefix.slice(0, bracket);
    const keyMatch = /(?:^|[\s{,-])(["']?)([A-Za-z_][\w.-]*)\1\s*:\s*$/.exec(before);
    if (!keyMatch) return none;
    const key = keyMatch[2];
    const keyCol = before.length - keyMatch[0].length + keyMatch[0].indexOf(keyMatch[2]) - (keyMatch[1] ? 1 : 0);
    const sh = shapeOf(line);
    // Block style `key: [` (the key starts the line or follows `- `): its path comes from indentation.
    const path = sh?.key === keyCol ? [...mappingPath(lines, i, keyCol), key] : [key];
    const inside = line.slice(bracket + 1).split(']')[0];
    const listed = inside
      .split(',')
      .map((x) => x.trim().replace(/^["']|["']$/g, ''))
      .filter((x) => x && x !== typed);
    const quoteCh = text[word.start - 1];
    const ctx: CursorContext = { kind: 'item', path, prefix: typed, replace: word, siblings: sh?.key === keyCol ? siblingsOf(lines, i, keyCol) : new Map(), listed };
    if (quoteCh === '"' || quoteCh === "'") ctx.quote = quoteCh;
    return ctx;
  }

  // A block list item: `  - |` or `  - "ab|`
  const item = /^( *)- +(["']?)([^\s"'#:]*)$/.exec(prefix);
  if (item) {
    const dash = item[1].length;
    // A component section item (`sinks:` / `- |`) is a new mapping: suggest its keys.
    const listPath = listOwnerPath(lines, i, dash);
    const ctx: CursorContext = { kind: 'item', path: listPath, prefix: typed, replace: word, siblings: new Map(), listed: listItems(lines, i, dash) };
    if (item[2]) ctx.quote = item[2] as '"' | "'";
    return ctx;
  }

  // A key: `    inp|` or `  - inp|`
  const key = /^( *)(- +)?([A-Za-z0-9_.-]*)$/.exec(prefix);
  if (key) {
    const keyCol = key[1].length + (key[2]?.length ?? 0);
    const path = key[2] ? [...listOwnerPath(lines, i, key[1].length), '[]'] : mappingPath(lines, i, keyCol);
    return { kind: 'key', path, prefix: typed, replace: word, siblings: key[2] ? new Map() : siblingsOf(lines, i, keyCol), listed: [] };
  }

  // A value: `    restart_policy: on-|`
  const value = /^( *)(- +)?(["']?)([A-Za-z0-9_.-]+)\3\s*:\s+(["']?)([^"'#]*)$/.exec(prefix);
  if (value) {
    const keyCol = value[1].length + (value[2]?.length ?? 0);
    const base = value[2] ? [...listOwnerPath(lines, i, value[1].length), '[]'] : mappingPath(lines, i, keyCol);
    const siblings = value[2] ? new Map<string, string>() : siblingsOf(lines, i, keyCol);
    const ctx: CursorContext = { kind: 'value', path: [...base, value[4]], prefix: typed, replace: word, siblings, listed: [] };
    if (value[5]) ctx.quote = value[5] as '"' | "'";
    return ctx;
  }
  return none;
}

/** The path of the list whose `-` is at column dash, seen from line i: its owner key's path. */
function listOwnerPath(lines: Line[], i: number, dash: number): KeyPath {
  for (let j = i - 1; j >= 0; j--) {
    const text = lines[j].text;
    const ind = indentOf(text);
    if (ind === undefined) continue;
    const sh = shapeOf(text);
    if (ind > dash || (ind === dash && sh?.dash !== undefined)) continue;
    if (sh?.key !== undefined && sh.dash === undefined) return [...mappingPath(lines, j, ind), sh.name!];
    if (sh?.dash !== undefined && sh.key !== undefined) return [...listOwnerPath(lines, j, sh.dash), '[]', sh.name!];
    return [];
  }
  return [];
}

/** The scalar items of the block list whose `-` is at column dash around line i. */
function listItems(lines: Line[], i: number, dash: number): string[] {
  const out: string[] = [];
  const visit = (j: number): boolean => {
    const ind = indentOf(lines[j].text);
    if (ind === undefined) return true;
    if (ind < dash) return false;
    const sh = shapeOf(lines[j].text);
    if (ind === dash && sh?.dash === dash && sh.key === undefined && sh.value) out.push(sh.value.replace(/^["']|["']$/g, ''));
    return ind >= dash;
  };
  for (let j = i - 1; j >= 0 && visit(j); j--);
  for (let j = i + 1; j < lines.length && visit(j); j++);
  return out;
}

/** The key under the cursor on its line (for hovers), with its path and offsets. */
export function keyAt(text: string, offset: number): { path: KeyPath; key: string; start: number; end: number } | undefined {
  const lines = splitLines(text);
  const i = lines.findIndex((l, k) => offset >= l.start && (k === lines.length - 1 || offset < lines[k + 1].start));
  if (i < 0) return undefined;
  const { text: line, start } = lines[i];
  const sh = shapeOf(line);
  if (!sh || sh.key === undefined) return undefined;
  const keyStart = start + sh.key;
  const quoted = line[sh.key] === '"' || line[sh.key] === "'";
  const keyEnd = keyStart + sh.name!.length + (quoted ? 2 : 0);
  if (offset < keyStart || offset > keyEnd) return undefined;
  const base = sh.dash !== undefined ? [...listOwnerPath(lines, i, sh.dash), '[]'] : mappingPath(lines, i, sh.key);
  return { path: [...base, sh.name!], key: sh.name!, start: keyStart, end: keyEnd };
}

/** The scalar word under the cursor (for hovers over ids), with the context it is in. */
export function valueAt(text: string, offset: number): { context: CursorContext; word: string; start: number; end: number } | undefined {
  const lines = splitLines(text);
  const i = lines.findIndex((l, k) => offset >= l.start && (k === lines.length - 1 || offset < lines[k + 1].start));
  if (i < 0) return undefined;
  const { text: line, start } = lines[i];
  const w = wordAround(line, start, offset - start);
  if (w.start === w.end) return undefined;
  const context = cursorContext(text, w.end);
  if (context.kind === 'none' || context.kind === 'key') return undefined;
  return { context, word: text.slice(w.start, w.end), start: w.start, end: w.end };
}
