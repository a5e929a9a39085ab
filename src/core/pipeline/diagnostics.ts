// Problems found in a pipeline file, each with the place it was found. Shared by `flowctl validate`
// and the editor's Problems panel.
import type { Range } from './model';

export type Severity = 'error' | 'warning' | 'hint';

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
}

export interface DiagnosticInit {
  message: string;
  code: string;
  at: Range;
  field?: string;
  fix?: string;
  hint?: string;
}

/** Collects diagnostics for one file. */
export class DiagnosticBag {
  readonly items: Diagnostic[] = [];
  constructor(readonly file: string) {}

  add(severity: Severity, d: DiagnosticInit): Diagnostic {
    const diag: Diagnostic = {
      severity,
      message: d.message,
      file: this.file,
      line: d.at.line,
      column: d.at.column,
      endLine: d.at.endLine,
      endColumn: d.at.endColumn,
      code: d.code,
    };
    if (d.field !== undefined) diag.field = d.field;
    if (d.fix !== undefined) diag.fix = d.fix;
    if (d.hint !== undefined) diag.hint = d.hint;
    this.items.push(diag);
    return diag;
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
