// Quick fixes for the Problems panel: each flowctl diagnostic's structured fixes (computed by the core
// validator on the same text) become CodeActions; the core's preferred fix is marked preferred, so
// "Auto Fix" (Shift+Alt+.) applies it.
import * as vscode from 'vscode';
import type { Diagnostic as CoreDiagnostic, TextEdit as CoreEdit } from '../../core/pipeline/diagnostics';
import { parseDocument, toRange } from '../pipelineDocs';
import { diagnosticCode } from '../diagnostics';

/** Core edit range (1-based, end exclusive, possibly empty) → VS Code range, exactly. */
export function editRange(e: CoreEdit): vscode.Range {
  return new vscode.Range(e.range.line - 1, e.range.column - 1, e.range.endLine - 1, e.range.endColumn - 1);
}

function sameRange(a: vscode.Range, b: vscode.Range): boolean {
  return a.start.isEqual(b.start) && a.end.isEqual(b.end);
}

export class PipelineCodeActions implements vscode.CodeActionProvider {
  static readonly kinds = [vscode.CodeActionKind.QuickFix];

  async provideCodeActions(doc: vscode.TextDocument, _range: vscode.Range, context: vscode.CodeActionContext): Promise<vscode.CodeAction[]> {
    const ours = context.diagnostics.filter((d) => d.source === 'flowctl');
    if (ours.length === 0) return [];
    const parsed = await parseDocument(doc);
    if (!parsed.isPipeline || parsed.version !== doc.version) return [];
    const actions: vscode.CodeAction[] = [];
    for (const diag of ours) {
      const core = parsed.diagnostics.find((c: CoreDiagnostic) => c.code === diagnosticCode(diag) && sameRange(toRange(c), diag.range));
      for (const fix of core?.fixes ?? []) {
        const action = new vscode.CodeAction(fix.title, vscode.CodeActionKind.QuickFix);
        action.diagnostics = [diag];
        action.isPreferred = !!fix.preferred;
        action.edit = new vscode.WorkspaceEdit();
        for (const e of fix.edits) action.edit.replace(doc.uri, editRange(e), e.newText);
        actions.push(action);
      }
    }
    return actions;
  }
}
