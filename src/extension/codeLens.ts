// CodeLens on pipeline files: `▶ Run Pipeline` at the top when idle; `■ Stop`, `↻ Restart` and the
// live state (`3/4 healthy`, from summarizeRun(): the same counts as the status bar) while it runs,
// plus `flow.yml changed — Apply` when the file was saved with changes during the run; above each
// component, its state (`waiting for enrich` with a warning icon when no data reaches it),
// `Show Logs` and (running) `Debug`.
import * as vscode from 'vscode';
import { allComponents } from '../core/pipeline/model';
import { attention } from '../core/present/component';
import { coalesce, type Coalescer } from './coalesce';
import { parseDocument, toRange } from './pipelineDocs';
import { isActiveState, stateLabel, summarizeRun } from './presentation';
import type { ModelSource, RunModel } from './runModel';

/** The lens title of a component: its state, with an icon when it needs a look. */
export function componentLensTitle(id: string, view: Parameters<typeof stateLabel>[0]): string {
  const a = attention(view);
  return `${a === 'error' ? '$(error) ' : a === 'warning' ? '$(warning) ' : ''}${id}: ${stateLabel(view)}`;
}

/** Never matches a real signature: the lenses of that file must be asked for again. */
const UNKNOWN = '\0unknown';

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
    let sig = `${summarizeRun(snap).text}${isStale(source) ? ' stale' : ''}`;
    for (const c of snap.components) sig += `\n${componentLensTitle(c.id, c)}${source.debugging?.(c.id) ? ' debugging' : ''}`;
    return sig;
  }

  async provideCodeLenses(doc: vscode.TextDocument, token: vscode.CancellationToken): Promise<vscode.CodeLens[]> {
    if (!this.enabled() || doc.uri.scheme !== 'file') return [];
    const file = doc.uri.fsPath;
    // VS Code drops a lens request when the editor loses focus meanwhile (or the document changes):
    // then these lenses never reached the screen, and the next model change must ask again. This
    // holds from the start: a request cancelled while the file is parsed leaves the old lenses shown.
    token.onCancellationRequested(() => this.shown.set(file, UNKNOWN));
    const parsed = await parseDocument(doc);
    if (token.isCancellationRequested) {
      this.shown.set(file, UNKNOWN);
      return [];
    }
    if (!parsed.isPipeline) return [];
    const top = new vscode.Range(0, 0, 0, 0);
    const source = this.model.get(file);
    const snap = source?.snapshot();
    this.shown.set(file, this.signature(file));
    const graph = new vscode.CodeLens(top, { title: '$(type-hierarchy) Graph', command: 'flowctl.showGraph', arguments: [doc.uri] });
    if (!source || !snap || !isActiveState(snap.state)) {
      return [new vscode.CodeLens(top, { title: '$(play) Run Pipeline', command: 'flowctl.runPipeline', arguments: [doc.uri] }), graph];
    }
    const summary = summarizeRun(snap);
    const lenses = [
      new vscode.CodeLens(top, { title: '$(debug-stop) Stop', command: 'flowctl.stopPipeline', arguments: [doc.uri] }),
      new vscode.CodeLens(top, { title: '$(debug-restart) Restart', command: 'flowctl.restartPipeline', arguments: [doc.uri] }),
      new vscode.CodeLens(top, {
        title: `${summary.level === 'warning' ? '$(warning) ' : summary.level === 'error' ? '$(error) ' : ''}${summary.text}`,
        command: 'flowctl.services.focus',
      }),
      graph,
    ];
    if (isStale(source)) {
      lenses.push(
        new vscode.CodeLens(top, {
          title: `$(warning) ${file.split(/[\\/]/).pop()} changed — Apply`,
          tooltip: 'The file was saved with changes while the pipeline runs: apply them (only changed components restart)',
          command: 'flowctl.applyPipeline',
          arguments: [doc.uri],
        }),
      );
    }
    if (parsed.pipeline) {
      for (const spec of allComponents(parsed.pipeline)) {
        const view = source.view(spec.id);
        if (!view || !spec.position) continue;
        const at = toRange({ line: spec.position.line, column: 1 });
        const where = new vscode.Range(at.start, at.start);
        const ref = { key: file, id: spec.id };
        lenses.push(
          new vscode.CodeLens(where, { title: componentLensTitle(spec.id, view), command: 'flowctl.revealInTree', arguments: [ref] }),
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

function isStale(source: ModelSource): boolean {
  return (source as { stale?: boolean }).stale === true;
}
