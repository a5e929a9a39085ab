// Problems panel for pipeline files: the core validator runs on open and as you type (debounced),
// and its diagnostics land in a DiagnosticCollection at the right ranges.
import * as vscode from 'vscode';
import type { Diagnostic } from '../core/pipeline/diagnostics';
import { LIVE_VALIDATION_MAX_CHARS } from './limits';
import { referenceLink } from './documentation';
import { couldBePipeline, forgetDocument, parseDocument, toRange, type ParsedDocument } from './pipelineDocs';

const SEVERITY: Record<Diagnostic['severity'], vscode.DiagnosticSeverity> = {
  error: vscode.DiagnosticSeverity.Error,
  warning: vscode.DiagnosticSeverity.Warning,
  hint: vscode.DiagnosticSeverity.Hint,
};

/** The check's code of one of our diagnostics (a string, or the value of a code with a link). */
export function diagnosticCode(diag: vscode.Diagnostic): string | number | undefined {
  return typeof diag.code === 'object' ? diag.code.value : diag.code;
}

export function toVscodeDiagnostic(d: Diagnostic): vscode.Diagnostic {
  const extra = d.fix ?? d.hint;
  const diag = new vscode.Diagnostic(toRange(d), extra ? `${d.message}\n${extra}` : d.message, SEVERITY[d.severity]);
  diag.source = 'flowctl';
  // The code links to the reference entry of the key (docs/flow-yml.md) when there is one.
  const target = referenceLink(d.field);
  diag.code = target ? { value: d.code, target } : d.code;
  return diag;
}

export class PipelineDiagnostics implements vscode.Disposable {
  readonly collection = vscode.languages.createDiagnosticCollection('flowctl');
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly disposables: vscode.Disposable[] = [this.collection];

  constructor(
    private readonly delayMs = 300,
    private readonly onError: (err: unknown) => void = () => {},
  ) {
    this.disposables.push(
      vscode.workspace.onDidOpenTextDocument((d) => this.schedule(d, 0)),
      vscode.workspace.onDidChangeTextDocument((e) => {
        // Large documents: validated on open and save only (see LIVE_VALIDATION_MAX_CHARS).
        if (e.document.getText().length <= LIVE_VALIDATION_MAX_CHARS) this.schedule(e.document, this.delayMs);
      }),
      vscode.workspace.onDidSaveTextDocument((d) => this.schedule(d, 0)),
      vscode.workspace.onDidCloseTextDocument((d) => {
        this.cancel(d);
        forgetDocument(d);
        this.collection.delete(d.uri);
      }),
    );
    for (const doc of vscode.workspace.textDocuments) this.schedule(doc, 0);
  }

  /** Validates now; returns the parse (also used by Run and Validate). */
  async validate(doc: vscode.TextDocument): Promise<ParsedDocument> {
    this.cancel(doc);
    const parsed = await parseDocument(doc);
    if (parsed.isPipeline) this.collection.set(doc.uri, parsed.diagnostics.map(toVscodeDiagnostic));
    else this.collection.delete(doc.uri);
    return parsed;
  }

  private schedule(doc: vscode.TextDocument, delay: number): void {
    if (!couldBePipeline(doc) || (doc.uri.scheme !== 'file' && doc.uri.scheme !== 'untitled')) return;
    this.cancel(doc);
    const key = doc.uri.toString();
    this.timers.set(
      key,
      setTimeout(() => {
        this.timers.delete(key);
        if (doc.isClosed) return;
        this.validate(doc).catch(this.onError);
      }, delay),
    );
  }

  private cancel(doc: vscode.TextDocument): void {
    const key = doc.uri.toString();
    const t = this.timers.get(key);
    if (t) clearTimeout(t);
    this.timers.delete(key);
  }

  dispose(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    for (const d of this.disposables) d.dispose();
  }
}
