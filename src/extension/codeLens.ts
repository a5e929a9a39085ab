// CodeLens on pipeline files: `▶ Run Pipeline` at the top when idle; `■ Stop`, `↻ Restart` and the
// live state (`3/4 healthy`) while it runs; above each component, its state, `Show Logs` and (running) `Debug`.
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
  /** Sources changed since the last check (undefined in the set: everything). */
  private readonly changedKeys = new Set<string | undefined>();
  /** What the lenses of each file said when last provided (the lenses are re-requested only when it differs). */
  private readonly shown = new Map<string, string>();

  constructor(
    private readonly model: RunModel,
    private readonly enabled: () => boolean,
  ) {
    this.coalescer = coalesce(() => this.maybeFire(), 150, 500);
    this.subscriptions.push(
      // O(1) per change (heartbeats included): remember the source, check once per coalesced burst.
      model.onDidChange((key) => {
        this.changedKeys.add(key);
        this.coalescer.trigger();
      }),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('flowctl.codeLens')) this.changed.fire();
      }),
    );
  }

  /** Fires onDidChangeCodeLenses only when a visible pipeline file's lenses would read differently. */
  private maybeFire(): void {
    const all = this.changedKeys.has(undefined);
    const keys = new Set(this.changedKeys);
    this.changedKeys.clear();
    for (const editor of vscode.window.visibleTextEditors) {
      const file = editor.document.uri.fsPath;
      if (editor.document.uri.scheme !== 'file' || !(all || keys.has(file)) || !this.shown.has(file)) continue;
      if (this.shown.get(file) !== this.signature(file)) {
        this.changed.fire();
        return;
      }
    }
  }

  /** The text of a file's run lenses, as one string (O(components), once per coalesced check). */
  private signature(file: string): string {
    const source = this.model.get(file);
    const snap = source?.snapshot();
    if (!source || !snap || !isActiveState(snap.state)) return 'idle';
    const { healthy, total } = healthCount(snap);
    let sig = `${snap.state} ${healthy}/${total}`;
    for (const c of snap.components) sig += `\n${c.id}: ${stateLabel(c)}${source.debugging?.(c.id) ? ' debugging' : ''}`;
    return sig;
  }

  async provideCodeLenses(doc: vscode.TextDocument, token: vscode.CancellationToken): Promise<vscode.CodeLens[]> {
    if (!this.enabled() || doc.uri.scheme !== 'file') return [];
    const parsed = await parseDocument(doc);
    if (!parsed.isPipeline || token.isCancellationRequested) return [];
    const file = doc.uri.fsPath;
    const top = new vscode.Range(0, 0, 0, 0);
    const source = this.model.get(file);
    const snap = source?.snapshot();
    this.shown.set(file, this.signature(file));
    const graph = new vscode.CodeLens(top, { title: '$(type-hierarchy) Graph', command: 'flowctl.showGraph', arguments: [doc.uri] });
    if (!source || !snap || !isActiveState(snap.state)) {
      return [new vscode.CodeLens(top, { title: '$(play) Run Pipeline', command: 'flowctl.runPipeline', arguments: [doc.uri] }), graph];
    }
    const { healthy, total } = healthCount(snap);
    const lenses = [
      new vscode.CodeLens(top, { title: '$(debug-stop) Stop', command: 'flowctl.stopPipeline', arguments: [doc.uri] }),
      new vscode.CodeLens(top, { title: '$(debug-restart) Restart', command: 'flowctl.restartPipeline', arguments: [doc.uri] }),
      new vscode.CodeLens(top, {
        title: snap.state === 'running' ? `${healthy}/${total} healthy` : `${snap.state}… ${healthy}/${total} healthy`,
        command: 'flowctl.services.focus',
      }),
      graph,
    ];
    if (parsed.pipeline) {
      for (const spec of allComponents(parsed.pipeline)) {
        const view = source.view(spec.id);
        if (!view || !spec.position) continue;
        const at = toRange({ line: spec.position.line, column: 1 });
        const where = new vscode.Range(at.start, at.start);
        const ref = { key: file, id: spec.id };
        lenses.push(
          new vscode.CodeLens(where, { title: `${spec.id}: ${stateLabel(view)}`, command: 'flowctl.revealInTree', arguments: [ref] }),
          new vscode.CodeLens(where, { title: 'Show Logs', command: 'flowctl.showComponentLogs', arguments: [ref] }),
        );
        if (source.debugging?.(spec.id)) lenses.push(new vscode.CodeLens(where, { title: 'Stop Debugging', command: 'flowctl.stopDebuggingComponent', arguments: [ref] }));
        else if (view.phase === 'running' && !source.readonly) lenses.push(new vscode.CodeLens(where, { title: 'Debug', command: 'flowctl.debugComponent', arguments: [ref] }));
      }
    }
    return lenses;
  }

  dispose(): void {
    this.coalescer.dispose();
    this.shown.clear();
    for (const d of this.subscriptions) d.dispose();
    this.changed.dispose();
  }
}
