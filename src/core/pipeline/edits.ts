// Small builders for structured fixes (see Fix in diagnostics.ts): text edits on the validated text,
// with values written the way YAML reads them back as the same string.
import type { Fix } from './diagnostics';
import type { Position, Range } from './model';

/** Words a plain YAML scalar would turn into something other than a string (YAML 1.1 and 1.2). */
const SPECIAL = /^(?:~|null|Null|NULL|true|True|TRUE|false|False|FALSE|yes|Yes|YES|no|No|NO|on|On|ON|off|Off|OFF|y|Y|n|N|[-+]?(?:\.inf|\.Inf|\.INF)|\.nan|\.NaN|\.NAN)$/;
const NUMBER = /^[-+]?(?:\d[\d_]*(?:\.\d*)?(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?|0x[0-9a-fA-F_]+|0o[0-7_]+|0b[01_]+)$/;

/**
 * `value` as a YAML scalar that reads back as the same string: in the given quote style when the
 * original was quoted, else plain when that is unambiguous, else double-quoted.
 */
export function yamlScalar(value: string, quote?: '"' | "'"): string {
  if (quote === "'") return `'${value.replace(/'/g, "''")}'`;
  if (quote === '"') return JSON.stringify(value);
  const plainSafe = /^[A-Za-z0-9_./][A-Za-z0-9_./@:-]*$/.test(value) && !/:$/.test(value) && !SPECIAL.test(value) && !NUMBER.test(value);
  return plainSafe ? value : JSON.stringify(value);
}

export function replaceWith(range: Range, newText: string, title: string, preferred = false): Fix {
  return { title, edits: [{ range, newText }], ...(preferred ? { preferred } : {}) };
}

export function insertAt(at: Position, newText: string, title: string, preferred = false): Fix {
  return { title, edits: [{ range: { line: at.line, column: at.column, endLine: at.line, endColumn: at.column }, newText }], ...(preferred ? { preferred } : {}) };
}

/** Applies fixes' edits to a text (edits must not overlap). */
export function applyEdits(text: string, edits: Fix['edits']): string {
  const starts = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  const offset = (line: number, column: number) => Math.min(text.length, (starts[line - 1] ?? text.length) + column - 1);
  const sorted = [...edits].sort((a, b) => offset(b.range.line, b.range.column) - offset(a.range.line, a.range.column));
  let out = text;
  for (const e of sorted) {
    const s = offset(e.range.line, e.range.column);
    const t = offset(e.range.endLine, e.range.endColumn);
    out = out.slice(0, s) + e.newText + out.slice(t);
  }
  return out;
}
