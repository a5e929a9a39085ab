// Problems found in a pipeline file, each with the place it was found. Shared by `flowctl validate`
// and the editor's Problems panel.
import { MAX_DIAGNOSTICS } from './limits';
import type { Range } from './model';

export type Severity = 'error' | 'warning' | 'hint';

/** Replace `range` (1-based, end exclusive; an empty range inserts) with `newText`. */
export interface TextEdit {
  range: Range;
  newText: string;
}

/**
 * A structured fix: edits that resolve the problem, computed on the text that was validated.
 * `flowctl validate` prints the titles as suggestions; the editor offers them as quick fixes.
 */
export interface Fix {
  /** What the fix does, e.g. `Change to "ticker"`. */
  title: string;
  edits: TextEdit[];
  /** The fix to apply when the user asks for "the" fix (at most one per diagnostic). */
  preferred?: boolean;
}

export interface Diagnostic {
  severity: Severity;
  message: string;
  /** The file as the caller named it (so CLI output stays relative when the user typed a relative path). */
  file: string;
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
  /** 1-based; with endColumn, points just past the offending text. */
  endLine: number;
  endColumn: number;
  /** Dotted path of the offending field, e.g. `spec.processors[0].inputs[1]`. */
  field?: string;
  /** What to change (errors). */
  fix?: string;
  /** Extra explanation (warnings and hints). */
  hint?: string;
  /** Stable identifier of the check, e.g. `unknown-input`. */
  code: string;
  /** Machine-applicable fixes, best first. */
  fixes?: Fix[];
}

export interface DiagnosticInit {
  message: string;
  code: string;
  at: Range;
  field?: string;
  fix?: string;
  hint?: string;
  fixes?: Fix[];
}

/**
 * Text from the file (ids, values) ends up in messages that terminals print: control characters are
 * shown escaped (`\n`, `\u001b`), so a hostile value cannot move the cursor, clear the screen or
 * split a message into lines.
 */
export function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (ch) => {
    if (ch === '\n') return '\\n';
    if (ch === '\t') return '\\t';
    if (ch === '\r') return '\\r';
    return `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
}

/**
 * Collects diagnostics for one file. Keeps at most `max` (a file with 100,000 mistakes must not make
 * 100,000 messages); the rest are counted and summed up by `summary()`.
 */
export class DiagnosticBag {
  readonly items: Diagnostic[] = [];
  /** Diagnostics not kept because of the cap, by severity. */
  readonly dropped: Record<Severity, number> = { error: 0, warning: 0, hint: 0 };
  constructor(
    readonly file: string,
    readonly max = MAX_DIAGNOSTICS,
  ) {}

  add(severity: Severity, d: DiagnosticInit): Diagnostic {
    const diag: Diagnostic = {
      severity,
      message: printable(d.message),
      file: this.file,
      line: d.at.line,
      column: d.at.column,
      endLine: d.at.endLine,
      endColumn: d.at.endColumn,
      code: d.code,
    };
    if (d.field !== undefined) diag.field = d.field;
    if (d.fix !== undefined) diag.fix = printable(d.fix);
    if (d.hint !== undefined) diag.hint = printable(d.hint);
    if (d.fixes !== undefined && d.fixes.length > 0) diag.fixes = d.fixes;
    if (this.items.length >= this.max) this.dropped[severity]++;
    else this.items.push(diag);
    return diag;
  }

  /** One more diagnostic saying how many were left out (undefined when none were). */
  summary(at: Range): Diagnostic | undefined {
    const { error, warning, hint } = this.dropped;
    const total = error + warning + hint;
    if (total === 0) return undefined;
    const parts = [error && `${error} error(s)`, warning && `${warning} warning(s)`, hint && `${hint} hint(s)`].filter(Boolean);
    return {
      severity: error > 0 ? 'error' : 'warning',
      message: `${total} more problem(s) not shown (${parts.join(', ')}): only the first ${this.max} are reported`,
      file: this.file,
      line: at.line,
      column: at.column,
      endLine: at.endLine,
      endColumn: at.endColumn,
      code: 'too-many-problems',
      hint: 'fix the ones shown and validate again',
    };
  }
  error(d: DiagnosticInit): Diagnostic {
    return this.add('error', d);
  }
  warning(d: DiagnosticInit): Diagnostic {
    return this.add('warning', d);
  }
  hint(d: DiagnosticInit): Diagnostic {
    return this.add('hint', d);
  }
}

export function hasErrors(diags: readonly Diagnostic[]): boolean {
  return diags.some((d) => d.severity === 'error');
}

const SEVERITY_RANK: Record<Severity, number> = { error: 0, warning: 1, hint: 2 };

/** Errors first, then warnings, then hints; each group in file order. */
export function sortDiagnostics(diags: readonly Diagnostic[]): Diagnostic[] {
  return [...diags].sort(
    (a, b) => SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] || a.line - b.line || a.column - b.column,
  );
}

/** `file:line:column`, the form terminals and editors make clickable. */
export function formatLocation(d: Pick<Diagnostic, 'file' | 'line' | 'column'>): string {
  return `${d.file}:${d.line}:${d.column}`;
}
