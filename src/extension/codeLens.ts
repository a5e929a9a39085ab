// CodeLens on pipeline files: `▶ Run Pipeline` at the top when idle; `■ Stop`, `↻ Restart` and the
// live state (`3/4 healthy`) while it runs; above each component, its state and `Show Logs`.
import * as vscode from 'vscode';
import { allComponents } from '../core/pipeline/model';
import { coalesce, type Coalescer } from './coalesce';
import { parseDocument, toRange } from './pipelineDocs';
import { healthCount, isActiveState, stateLabel } from './presentation';
import type { RunModel } from './runModel';

export class PipelineCodeLensProvider implements vscode.CodeLensProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.changed.event;
  private readonly coalescer: Coalescer;
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(
    private readonly model: RunModel,
    private readonly enabled: () => boolean,
  ) {
    this.coalescer = coalesce(() => this.changed.fire(), 150, 500);
    this.subscriptions.push(
      model.onDidChange(() => this.coalescer.trigger()),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('flowctl.codeLens')) this.changed.fire();
      }),
    );
  }

  async provideCodeLenses(doc: vscode.TextDocument, token: vscode.CancellationToken): Promise<vscode.CodeLens[]> {
    if (!this.enabled() || doc.uri.scheme !== 'file') return [];
    const parsed = await parseDocument(doc);
    if (!parsed.isPipeline || token.isCancellationRequested) return [];
    const file = doc.uri.fsPath;
    const top = new vscode.Range(0, 0, 0, 0);
    const source = this.model.get(file);
    const snap = source?.snapshot();
    if (!snap || !isActiveState(snap.state)) {
      return [new vscode.CodeLens(top, { title: '$(play) Run Pipeline', command: 'flowctl.runPipeline', arguments: [doc.uri] })];
    }
    const { healthy, total } = healthCount(snap);
    const lenses = [
      new vscode.CodeLens(top, { title: '$(debug-stop) Stop', command: 'flowctl.stopPipeline', arguments: [doc.uri] }),
      new vscode.CodeLens(top, { title: '$(debug-restart) Restart', command: 'flowctl.restartPipeline', arguments: [doc.uri] }),
      new vscode.CodeLens(top, {
        title: snap.state === 'running' ? `${healthy}/${total} healthy` : `${snap.state}… ${healthy}/${total} healthy`,
        command: 'flowctl.services.focus',
      }),
    ];
    if (parsed.pipeline) {
      for (const spec of allComponents(parsed.pipeline)) {
        const view = snap.components.find((c) => c.id === spec.id);
        if (!view || !spec.position) continue;
        const at = toRange({ line: spec.position.line, column: 1 });
        const where = new vscode.Range(at.start, at.start);
        const ref = { key: file, id: spec.id };
        lenses.push(
          new vscode.CodeLens(where, { title: `${spec.id}: ${stateLabel(view)}`, command: 'flowctl.revealInTree', arguments: [ref] }),
          new vscode.CodeLens(where, { title: 'Show Logs', command: 'flowctl.showComponentLogs', arguments: [ref] }),
        );
      }
    }
    return lenses;
  }

  dispose(): void {
    this.coalescer.dispose();
    for (const d of this.subscriptions) d.dispose();
    this.changed.dispose();
  }
}
