// "flowctl: All Logs": the merged log of every component (Aspire's console logs, Tilt's "all" pane)
// in a webview panel. The extension keeps the bounded MergedLog (context.log); the panel mirrors it:
// the whole log when it (re)loads, then batches of new lines every 150 ms while it is visible
// (nothing is sent while it is hidden; it catches up when shown). Filters and find run in the page.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { LogEntry } from '../core/logs/filter';
import type { MergedLog } from '../core/logs/mergedLog';
import type { RunModel } from './runModel';
import { COMPONENT_COLORS } from './terminals';
import { webviewHtml, webviewOptions } from './webviewHtml';

export const ALL_LOGS_VIEW_TYPE = 'flowctl.allLogs';
const BATCH_MS = 150;
/** Lines per message (a flood is sent in several). */
const MAX_BATCH = 2000;

interface ComponentInfo {
  id: string;
  pipeline: string;
  color: string;
}

function cssColor(themeColor: string): string {
  return `var(--vscode-${themeColor.replace(/\./g, '-')})`;
}

const BODY = `
<header class="toolbar" role="toolbar" aria-label="Log filters">
  <div class="components" id="components" role="group" aria-label="Components"></div>
  <select id="level" aria-label="Lowest level shown"></select>
  <input id="filter" type="search" placeholder="Filter: text or /regex/" aria-label="Filter lines">
  <span class="find">
    <input id="find" type="search" placeholder="Find" aria-label="Find in the log">
    <span id="findCount" aria-live="polite"></span>
    <button id="findPrev" title="Previous match (Shift+Enter)" aria-label="Previous match">↑</button>
    <button id="findNext" title="Next match (Enter)" aria-label="Next match">↓</button>
  </span>
  <label class="follow"><input id="follow" type="checkbox" checked> Follow</label>
  <button id="reset" title="Show everything again">Reset filters</button>
  <button id="clear" title="Forget the lines kept so far">Clear</button>
</header>
<div id="notice" class="notice" hidden></div>
<main id="rows" role="log" aria-live="off" tabindex="0"></main>
<footer id="status" class="status"></footer>`;

export class AllLogsPanel implements vscode.Disposable {
  private static current: AllLogsPanel | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  /** The last sequence number sent to the page. */
  private sentSeq = 0;
  /** The page has loaded and asked for the log. */
  private ready = false;
  private timer: NodeJS.Timeout | undefined;
  private lastComponents = '';
  /** Messages posted to the page (for tests and figures). */
  posted = 0;

  static show(extensionUri: vscode.Uri, log: MergedLog, model: RunModel, output: vscode.LogOutputChannel): AllLogsPanel {
    if (AllLogsPanel.current) {
      AllLogsPanel.current.panel.reveal(undefined, false);
      return AllLogsPanel.current;
    }
    const panel = vscode.window.createWebviewPanel(ALL_LOGS_VIEW_TYPE, 'flowctl: All Logs', vscode.ViewColumn.Active, {
      ...webviewOptions(extensionUri),
      // The page is rebuilt from the extension's log when it is shown again: no hidden DOM kept.
      retainContextWhenHidden: false,
    });
    AllLogsPanel.current = new AllLogsPanel(panel, extensionUri, log, model, output);
    return AllLogsPanel.current;
  }

  static get instance(): AllLogsPanel | undefined {
    return AllLogsPanel.current;
  }

  private constructor(
    readonly panel: vscode.WebviewPanel,
    extensionUri: vscode.Uri,
    private readonly log: MergedLog,
    private readonly model: RunModel,
    private readonly output: vscode.LogOutputChannel,
  ) {
    panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'flowctl.svg');
    panel.webview.html = webviewHtml({ webview: panel.webview, extensionUri, title: 'flowctl: All Logs', script: 'allLogs.js', style: 'allLogs.css', body: BODY });
    this.disposables.push(
      panel.webview.onDidReceiveMessage((m) => void this.onMessage(m)),
      panel.onDidChangeViewState(() => {
        // Hidden, the page is discarded (retainContextWhenHidden off): it asks again with 'ready'.
        if (!panel.visible) this.ready = false;
        else this.schedule();
      }),
      panel.onDidDispose(() => this.dispose()),
      log.onAppend(() => this.schedule()),
      model.onDidChange(() => this.schedule()),
    );
  }

  /** The components of the runs in view, with their colours (index in their pipeline). */
  private components(): ComponentInfo[] {
    const out: ComponentInfo[] = [{ id: 'flowctl', pipeline: '', color: 'var(--vscode-descriptionForeground)' }];
    for (const s of this.model.runs()) {
      const name = s.snapshot().pipelineName;
      s.componentIds().forEach((id, i) => out.push({ id, pipeline: name, color: cssColor(COMPONENT_COLORS[i % COMPONENT_COLORS.length]) }));
    }
    return out;
  }

  private schedule(): void {
    if (this.timer || !this.panel.visible) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush();
    }, BATCH_MS);
  }

  /** Sends what the page has not seen (nothing while it is hidden or before it said it is ready). */
  private flush(): void {
    if (!this.panel.visible || !this.ready) return;
    const components = this.components();
    const key = JSON.stringify(components);
    if (key !== this.lastComponents) {
      this.lastComponents = key;
      this.post({ type: 'components', components });
    }
    if (this.log.lastSeq <= this.sentSeq) return;
    let entries: LogEntry[] = this.log.since(this.sentSeq);
    if (entries.length > MAX_BATCH) {
      this.schedule();
      entries = entries.slice(0, MAX_BATCH);
    }
    this.sentSeq = entries.at(-1)?.seq ?? this.sentSeq;
    this.post({ type: 'append', entries, dropped: this.log.dropped });
  }

  private reset(): void {
    const entries = this.log.since(0);
    const components = this.components();
    this.lastComponents = JSON.stringify(components);
    this.sentSeq = this.log.lastSeq;
    this.ready = true;
    this.post({ type: 'reset', entries, dropped: this.log.dropped, capacity: this.log.capacity, components });
  }

  private post(message: unknown): void {
    this.posted++;
    void this.panel.webview.postMessage(message);
  }

  private async onMessage(m: { type?: string; path?: string; line?: number; column?: number; component?: string }): Promise<void> {
    switch (m?.type) {
      case 'ready':
        this.reset();
        break;
      case 'clear':
        this.log.clear();
        this.reset();
        break;
      case 'open':
        if (typeof m.path === 'string' && Number.isInteger(m.line)) await this.open(m.path, m.line!, m.column, m.component);
        break;
    }
  }

  /** A file:line link: relative paths resolve against the pipeline folder of a run that has the component. */
  private async open(file: string, line: number, column: number | undefined, component: string | undefined): Promise<void> {
    const bases = this.model
      .runs()
      .filter((s) => !component || s.componentIds().includes(component))
      .map((s) => path.dirname(s.key));
    const candidates = path.isAbsolute(file) ? [file] : [...bases, ...(vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath)].map((b) => path.resolve(b, file));
    const found = candidates.find((c) => fs.existsSync(c) && fs.statSync(c).isFile());
    if (!found) {
      this.output.info(`All Logs: no file ${file} (looked in ${candidates.join(', ') || 'nothing'})`);
      void vscode.window.showInformationMessage(`flowctl: ${file} was not found next to the pipeline file.`);
      return;
    }
    const pos = new vscode.Position(Math.max(0, line - 1), Math.max(0, (column ?? 1) - 1));
    await vscode.window.showTextDocument(vscode.Uri.file(found), { selection: new vscode.Range(pos, pos), preview: true, viewColumn: vscode.ViewColumn.Beside });
  }

  /** Asks the page to change its filter (test API and commands). */
  setFilter(filter: { hidden?: string[]; minLevel?: string; text?: string }): void {
    this.post({ type: 'setFilter', filter });
  }

  dispose(): void {
    if (AllLogsPanel.current === this) AllLogsPanel.current = undefined;
    clearTimeout(this.timer);
    for (const d of this.disposables.splice(0)) d.dispose();
    this.panel.dispose();
  }
}
