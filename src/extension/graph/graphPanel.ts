// The pipeline graph panel (command flowctl.showGraph): one webview panel drawing one pipeline file.
// It draws the file as it is in the editor (unsaved edits too, re-drawn as you type, invalid parts
// marked) and, while a run of that file is live, the run's health, rates and drops.
//
// Cost: nothing while the panel is hidden (its webview is discarded, `retainContextWhenHidden` off;
// model changes only set a flag); when shown, the structure is sent when the file changes and the
// live look at most every 250-500 ms (coalesced): whole once, then only the nodes and edges whose look
// changed (liveDiff.ts), and nothing when none did.
// The panel comes back after a reload through the WebviewPanelSerializer, with the file, viewport
// and selection it remembered (vscode.setState in the webview).
import * as path from 'node:path';
import * as vscode from 'vscode';
import { coalesce, type Coalescer } from '../coalesce';
import type { FlowctlContext } from '../context';
import { openPipelineDocument, parseDocument } from '../pipelineDocs';
import { liveOf, structureOf } from './graphModel';
import { liveDiff } from './liveDiff';
import type { DomSummary, GraphLive, GraphStructure, GraphToHost, GraphViewState, HostToGraph } from './protocol';
import { GRAPH_BODY, webviewHtml, webviewOptions } from './webviewHtml';

export const GRAPH_VIEW_TYPE = 'flowctl.graph';

/** Figures for tests and `bench:extension`. */
export interface GraphStats {
  /** Last layout+render the webview reported. */
  rendered?: Extract<GraphToHost, { type: 'rendered' }>;
  renders: number;
  /** Live updates posted, and the time the host spent computing and posting them (ms). */
  livePosts: number;
  liveHostMs: number;
  /** Of the live updates, those that sent only what changed. */
  patches: number;
  /** Time the webview spent applying live updates (ms), as it reported. */
  appliedMs: number;
  applied: number;
  errors: string[];
}

export class GraphPanel implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private file: string | undefined;
  private structure: GraphStructure | undefined;
  /** The live look the webview holds (undefined: it holds none yet, the next update sends it whole). */
  private lastSent: GraphLive | null | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  private panelDisposables: vscode.Disposable[] = [];
  private readonly live: Coalescer;
  private readonly edits: Coalescer;
  private structureDirty = true;
  private reqSeq = 0;
  private readonly waiting = new Map<number, (msg: GraphToHost) => void>();
  private readonly renderWaiters: Array<() => void> = [];
  readonly stats: GraphStats = { renders: 0, livePosts: 0, patches: 0, liveHostMs: 0, appliedMs: 0, applied: 0, errors: [] };

  constructor(
    private readonly ctx: FlowctlContext,
    private readonly hooks: { revealInTree(ref: { key: string; id: string }): Promise<void> },
  ) {
    this.live = coalesce(() => void this.postLive(), 250, 500);
    this.edits = coalesce(() => void this.postStructure(), 300, 1000);
    this.disposables.push(
      ctx.model.onDidChange((key) => {
        if (!this.file || (key !== undefined && key !== this.file)) return;
        if (this.panel?.visible) this.live.trigger();
      }),
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (!this.file || e.document.uri.scheme !== 'file' || e.document.uri.fsPath !== this.file) return;
        this.structureDirty = true;
        if (this.panel?.visible) this.edits.trigger();
      }),
      vscode.window.registerWebviewPanelSerializer(GRAPH_VIEW_TYPE, {
        deserializeWebviewPanel: async (panel, state: GraphViewState | undefined) => {
          if (state?.file) this.attach(panel, state.file);
          else panel.dispose();
        },
      }),
    );
  }

  get visibleFile(): string | undefined {
    return this.panel ? this.file : undefined;
  }

  /** Opens (or brings forward) the panel on `file`. */
  show(file: string): void {
    file = path.resolve(file);
    if (this.panel) {
      if (this.file !== file) {
        this.file = file;
        this.structure = undefined;
        this.structureDirty = true;
        this.lastSent = undefined;
        this.panel.title = this.title();
        void this.postStructure();
      }
      this.panel.reveal(undefined, false);
      return;
    }
    const panel = vscode.window.createWebviewPanel(GRAPH_VIEW_TYPE, 'Pipeline Graph', { viewColumn: vscode.ViewColumn.Beside, preserveFocus: false }, webviewOptions(this.ctx.ext.extensionUri));
    this.attach(panel, file);
  }

  private title(): string {
    return `Graph: ${this.structure?.name ?? (this.file ? path.basename(path.dirname(this.file)) : 'pipeline')}`;
  }

  private attach(panel: vscode.WebviewPanel, file: string): void {
    this.detach();
    this.panel = panel;
    this.file = path.resolve(file);
    this.structureDirty = true;
    panel.title = this.title();
    panel.iconPath = vscode.Uri.joinPath(this.ctx.ext.extensionUri, 'media', 'flowctl.svg');
    panel.webview.options = webviewOptions(this.ctx.ext.extensionUri);
    panel.webview.html = webviewHtml(panel.webview, this.ctx.ext.extensionUri, 'graph', GRAPH_BODY);
    this.panelDisposables.push(
      panel.webview.onDidReceiveMessage((m: GraphToHost) => void this.onMessage(m)),
      panel.onDidChangeViewState((e) => {
        // A webview that comes back is a new page: it says `ready` and gets everything then.
        if (e.webviewPanel.visible && this.structureDirty) this.edits.flush();
      }),
      panel.onDidDispose(() => {
        if (this.panel === panel) this.detach();
      }),
    );
  }

  private detach(): void {
    for (const d of this.panelDisposables.splice(0)) d.dispose();
    this.panel = undefined;
    this.lastSent = undefined;
    for (const [, resolve] of this.waiting) resolve({ type: 'error', message: 'the graph panel closed' });
    this.waiting.clear();
  }

  private post(msg: HostToGraph): Thenable<boolean> {
    return this.panel ? this.panel.webview.postMessage(msg) : Promise.resolve(false);
  }

  private async onMessage(m: GraphToHost): Promise<void> {
    const file = this.file;
    if (!m || typeof m !== 'object') return;
    if ((m.type === 'open' || m.type === 'action') && (typeof m.id !== 'string' || !m.id)) return;
    switch (m.type) {
      case 'ready':
        this.lastSent = undefined;
        this.structureDirty = true;
        await this.postStructure();
        return;
      case 'open': {
        if (!file) return;
        const ref = { key: file, id: m.id };
        if (this.ctx.session(file)) {
          await this.hooks.revealInTree(ref);
          await vscode.commands.executeCommand('flowctl.showComponentLogs', ref);
        } else {
          await vscode.commands.executeCommand('flowctl.revealComponent', ref);
        }
        return;
      }
      case 'action': {
        if (!file) return;
        const commands: Record<string, string> = {
          restart: 'flowctl.restartComponent',
          stop: 'flowctl.stopComponent',
          logs: 'flowctl.showComponentLogs',
          reveal: 'flowctl.revealComponent',
          chart: 'flowctl.showComponentChart',
          debug: 'flowctl.debugComponent',
          stopDebug: 'flowctl.stopDebuggingComponent',
        };
        // Only the actions above (a message is data from the webview, not a command name).
        const command = Object.prototype.hasOwnProperty.call(commands, m.action) ? commands[m.action] : undefined;
        if (command) await vscode.commands.executeCommand(command, { key: file, id: m.id });
        return;
      }
      case 'rendered':
        this.stats.rendered = m;
        this.stats.renders++;
        for (const w of this.renderWaiters.splice(0)) w();
        return;
      case 'applied':
        this.stats.applied++;
        this.stats.appliedMs += m.ms;
        return;
      case 'bench':
      case 'summary': {
        const resolve = this.waiting.get(m.reqId);
        this.waiting.delete(m.reqId);
        resolve?.(m);
        return;
      }
      case 'error':
        if (this.stats.errors.length < 20) this.stats.errors.push(m.message);
        this.ctx.output.warn(`graph: ${m.message}`);
        return;
    }
  }

  /** Parses the file (the open editor's text, saved or not) and sends its structure, then the live look. */
  private async postStructure(): Promise<void> {
    const file = this.file;
    if (!file || !this.panel) return;
    this.structureDirty = false;
    let structure: GraphStructure;
    try {
      const doc = await openPipelineDocument(file);
      const parsed = await parseDocument(doc);
      structure = structureOf(file, parsed.pipeline, parsed.diagnostics, this.structure);
      if (!parsed.isPipeline) structure = { ...structure, stale: true, problems: [`${path.basename(file)} is not a flowctl pipeline file`, ...structure.problems] };
    } catch (err) {
      structure = structureOf(file, undefined, [], this.structure);
      structure = { ...structure, problems: [`cannot read ${file}: ${String((err as Error)?.message ?? err)}`] };
    }
    if (file !== this.file || !this.panel) return;
    this.structure = structure;
    this.panel.title = this.title();
    await this.post({ type: 'structure', structure, key: file });
    this.lastSent = undefined;
    await this.postLive();
  }

  /** Sends the live look when it changed since the last one sent (O(components + edges)). */
  private async postLive(): Promise<void> {
    if (!this.panel || !this.structure || !this.file) return;
    if (!this.panel.visible) return; // picked up when it shows again
    const started = performance.now();
    const session = this.ctx.session(this.file);
    const live: GraphLive | null = liveOf(this.structure, session);
    // The whole look the first time, then only what changed (nothing when nothing did).
    const diff = this.lastSent === undefined ? 'full' : liveDiff(this.lastSent, live);
    if (diff === undefined) {
      this.stats.liveHostMs += performance.now() - started;
      return;
    }
    this.lastSent = live;
    const sent = diff === 'full' ? this.post({ type: 'live', live }) : this.post({ type: 'livePatch', patch: diff });
    if (diff !== 'full') this.stats.patches++;
    this.stats.livePosts++;
    this.stats.liveHostMs += performance.now() - started;
    await sent;
  }

  /** Tests: what the webview's DOM shows. */
  async query(timeoutMs = 10_000): Promise<DomSummary> {
    const m = await this.request({ type: 'query', reqId: 0 }, timeoutMs);
    if (m.type !== 'summary') throw new Error(m.type === 'error' ? m.message : `unexpected answer ${m.type}`);
    return m.summary;
  }

  /** Benchmark: `rounds` layouts and renders of the current structure, timed in the webview. */
  async bench(rounds: number, timeoutMs = 600_000): Promise<{ layoutMs: number[]; renderMs: number[] }> {
    const m = await this.request({ type: 'bench', rounds, reqId: 0 }, timeoutMs);
    if (m.type !== 'bench') throw new Error(m.type === 'error' ? m.message : `unexpected answer ${m.type}`);
    return { layoutMs: m.layoutMs, renderMs: m.renderMs };
  }

  /** Resolves once the webview reports a layout and render of `signature` (or of anything, without one). */
  async rendered(signature?: string, timeoutMs = 60_000): Promise<Extract<GraphToHost, { type: 'rendered' }>> {
    const deadline = Date.now() + timeoutMs;
    while (!this.stats.rendered || (signature !== undefined && this.stats.rendered.signature !== signature)) {
      if (Date.now() > deadline) throw new Error(`the graph was not rendered within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        this.renderWaiters.push(resolve);
        setTimeout(resolve, 200);
      });
    }
    return this.stats.rendered;
  }

  get currentStructure(): GraphStructure | undefined {
    return this.structure;
  }

  private request(msg: Extract<HostToGraph, { reqId: number }>, timeoutMs: number): Promise<GraphToHost> {
    if (!this.panel) return Promise.reject(new Error('the graph panel is not open'));
    const reqId = ++this.reqSeq;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(reqId);
        reject(new Error(`the graph webview did not answer ${msg.type} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.set(reqId, (m) => {
        clearTimeout(timer);
        resolve(m);
      });
      void this.post({ ...msg, reqId });
    });
  }

  dispose(): void {
    this.live.dispose();
    this.edits.dispose();
    this.panel?.dispose();
    this.detach();
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}
