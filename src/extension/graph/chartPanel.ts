// The metrics chart of one component (command flowctl.showComponentChart, from the tree, the graph or
// the palette): its event rates and numeric metrics over the run's recorded window (10 minutes at
// 1 s), redrawn once a second while the panel is visible; nothing is computed while it is hidden.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { MetricHistory } from '../../core/history/metricHistory';
import type { FlowctlContext } from '../context';
import type { ChartData, ChartToHost, HostToChart } from './protocol';
import { CHART_BODY, webviewHtml, webviewOptions } from './webviewHtml';

export const CHART_VIEW_TYPE = 'flowctl.chart';

/** Plain data for the chart of one component (null: nothing recorded for it). */
export function chartData(history: MetricHistory, id: string, pipeline: string): ChartData | null {
  const c = history.component(id);
  if (!c) return null;
  const clean = (xs: number[]) => xs.map((v) => (Number.isFinite(v) ? Math.round(v * 100) / 100 : null));
  const series = [
    { name: 'in', values: clean(c.in), unit: '/s' },
    { name: 'out', values: clean(c.out), unit: '/s' },
    ...Object.entries(c.metrics).map(([name, values]) => ({ name, values: clean(values) })),
  ];
  const times = history.timesOf();
  const minutes = times.length > 1 ? Math.round((times[times.length - 1] - times[0]) / 60_000) : 0;
  return { title: `${id} — ${pipeline}`, subtitle: `last ${minutes ? `${minutes} min` : `${times.length} s`}, one sample a second`, times, series };
}

export class ChartPanel implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private target: { key: string; id: string; history?: MetricHistory; name: string } | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lastVersion = -1;
  /** Charts drawn (for tests). */
  renders = 0;
  lastRender: { series: number; points: number } | undefined;

  constructor(private readonly ctx: FlowctlContext) {}

  show(ref: { key: string; id: string }): void {
    const session = this.ctx.session(ref.key);
    const name = session?.name() ?? path.basename(path.dirname(ref.key));
    // The history object outlives the run: after Stop the chart still shows what was recorded.
    this.target = { ...ref, history: session?.history ?? (this.target?.key === ref.key ? this.target.history : undefined), name };
    this.lastVersion = -1;
    if (!this.panel) {
      const panel = vscode.window.createWebviewPanel(CHART_VIEW_TYPE, `Metrics: ${ref.id}`, { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true }, webviewOptions(this.ctx.ext.extensionUri));
      panel.iconPath = vscode.Uri.joinPath(this.ctx.ext.extensionUri, 'media', 'flowctl.svg');
      panel.webview.html = webviewHtml(panel.webview, this.ctx.ext.extensionUri, 'chart', CHART_BODY);
      panel.webview.onDidReceiveMessage((m: ChartToHost) => {
        if (m.type === 'ready') {
          this.lastVersion = -1;
          this.push();
        } else if (m.type === 'rendered') {
          this.renders++;
          this.lastRender = { series: m.series, points: m.points };
        }
      });
      panel.onDidChangeViewState((e) => (e.webviewPanel.visible ? this.startTimer() : this.stopTimer()));
      panel.onDidDispose(() => {
        this.stopTimer();
        this.panel = undefined;
      });
      this.panel = panel;
      this.startTimer();
    } else {
      this.panel.title = `Metrics: ${ref.id}`;
      this.panel.reveal(undefined, true);
      this.push();
    }
  }

  private startTimer(): void {
    this.stopTimer();
    this.timer = setInterval(() => this.push(), 1000);
  }

  private stopTimer(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private push(): void {
    const panel = this.panel;
    const t = this.target;
    if (!panel || !panel.visible || !t) return;
    const history = t.history ?? this.ctx.session(t.key)?.history;
    if (history) t.history = history;
    if (history && history.version === this.lastVersion) return;
    this.lastVersion = history?.version ?? -1;
    const data = history ? chartData(history, t.id, t.name) : null;
    const running = !!this.ctx.session(t.key);
    const message = !history ? `No run of ${t.name} in this window: metrics are recorded while it runs.` : !data ? `Nothing recorded for ${t.id} yet.` : running ? undefined : `${data.subtitle} (the run has ended)`;
    void panel.webview.postMessage({ type: 'chart', data, message } satisfies HostToChart);
  }

  dispose(): void {
    this.stopTimer();
    this.panel?.dispose();
  }
}
