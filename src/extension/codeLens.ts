// CodeLens on pipeline files: `▶ Run Pipeline` at the top when idle; `■ Stop`, `↻ Restart` and the
// live state (`3/4 healthy`, from summarizeRun(): the same counts as the status bar) while it runs,
// plus `flow.yml changed — Apply` when the file was saved with changes during the run; above each
// component, its state (`waiting for enrich` with a warning icon when no data reaches it),
// `Show Logs` and (running) `Debug`.
import * as vscode from 'vscode';
import { allComponents } from '../core/pipeline/model';
import { attention } from '../core/present/component';
import { coalesce, type Coalescer } from './coalesce';
import { couldBePipeline, parseDocument, toRange } from './pipelineDocs';
import { isActiveState, stateLabel, summarizeRun } from './presentation';
import type { ModelSource, RunModel } from './runModel';

/** The lens title of a component: its state, with an icon when it needs a look. */
export function componentLensTitle(id: string, view: Parameters<typeof stateLabel>[0]): string {
  const a = attention(view);
  return `${a === 'error' ? '$(error) ' : a === 'warning' ? '$(warning) ' : ''}${id}: ${stateLabel(view)}`;
}

/** Never matches a real signature: the lenses of that file must be asked for again. */
const UNKNOWN = '\0unknown';

/**
 * When a pipeline file has been visible this long (ms after it appeared) and VS Code has not asked for its
 * lenses, or its last request was cancelled, the provider asks VS Code to ask again. VS Code schedules the
 * first request a little after a file opens and drops the scheduled request when the editor loses focus
 * before then (its CodeLens controller cancels it on blur and schedules it again only on focus or a
 * provider change): a file opened and left for the sidebar at once got no Run Pipeline lens at all.
 */
export const UNASKED_CHECKS_MS = [1_000, 3_000, 10_000];

export class PipelineCodeLensProvider implements vscode.CodeLensProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.changed.event;
  private readonly coalescer: Coalescer;
  private readonly subscriptions: vscode.Disposable[] = [];
  /** Sources changed since the last check (undefined in the set: everything). */
  private readonly changedKeys = new Set<string | undefined>();
  /** What the lenses of each file said when last provided (the lenses are re-requested only when it differs). */
  private readonly shown = new Map<string, string>();
  /** Visible files whose lenses VS Code asked for and got (any answer, none for a file that is no pipeline). */
  private readonly answered = new Set<string>();
  /** Requests in progress, per file. */
  private readonly pending = new Map<string, number>();
  private unaskedTimers: NodeJS.Timeout[] = [];

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
      vscode.window.onDidChangeVisibleTextEditors(() => this.watchUnasked()),
    );
    this.watchUnasked();
  }

  /** Files that stop being visible are forgotten; the checks for unasked files start over (UNASKED_CHECKS_MS). */
  private watchUnasked(): void {
    const visible = new Set(vscode.window.visibleTextEditors.map((e) => e.document.uri.fsPath));
    for (const file of [...this.answered]) if (!visible.has(file)) this.answered.delete(file);
    for (const file of [...this.shown.keys()]) if (!visible.has(file)) this.shown.delete(file);
    for (const t of this.unaskedTimers) clearTimeout(t);
    this.unaskedTimers = UNASKED_CHECKS_MS.map((ms) => setTimeout(() => this.askIfUnasked(), ms));
  }

  /** Asks VS Code for the lenses again when a visible YAML file has none because no request reached us or got through. */
  private askIfUnasked(): void {
    if (!this.enabled()) return;
    const unasked = vscode.window.visibleTextEditors.some((e) => {
      const doc = e.document;
      const file = doc.uri.fsPath;
      if (doc.uri.scheme !== 'file' || !couldBePipeline(doc) || this.pending.get(file)) return false;
      return !this.answered.has(file) || this.shown.get(file) === UNKNOWN;
    });
    if (unasked) this.changed.fire();
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
    // VS Code drops a lens request when a newer one starts (or the document changes): then these lenses
    // never reached the screen, and the next model change (or askIfUnasked) must ask again. This holds
    // from the start: a request cancelled while the file is parsed leaves the old lenses shown.
    token.onCancellationRequested(() => this.shown.set(file, UNKNOWN));
    this.pending.set(file, (this.pending.get(file) ?? 0) + 1);
    let parsed: Awaited<ReturnType<typeof parseDocument>>;
    try {
      parsed = await parseDocument(doc);
    } finally {
      const left = (this.pending.get(file) ?? 1) - 1;
      if (left > 0) this.pending.set(file, left);
      else this.pending.delete(file);
    }
    if (token.isCancellationRequested) {
      this.shown.set(file, UNKNOWN);
      return [];
    }
    this.answered.add(file);
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
    for (const t of this.unaskedTimers) clearTimeout(t);
    this.shown.clear();
    this.answered.clear();
    for (const d of this.subscriptions) d.dispose();
    this.changed.dispose();
  }
}

function isStale(source: ModelSource): boolean {
  return (source as { stale?: boolean }).stale === true;
}
