// Status bar: pipeline name and healthy/total (`$(pulse) demo 4/4`), a warning/error background
// when something is unhealthy or exited, a spinner while starting; click focuses the Services view.
import * as vscode from 'vscode';
import { coalesce, type Coalescer } from './coalesce';
import { healthCount, runLevel } from './presentation';
import type { RunModel } from './runModel';

export const SERVICES_VIEW_ID = 'flowctl.services';

export class PipelineStatusBar implements vscode.Disposable {
  readonly item = vscode.window.createStatusBarItem('flowctl.status', vscode.StatusBarAlignment.Left, 50);
  private readonly coalescer: Coalescer;
  private readonly subscription: vscode.Disposable;

  constructor(private readonly model: RunModel) {
    this.item.name = 'flowctl pipeline';
    this.item.command = `${SERVICES_VIEW_ID}.focus`;
    this.coalescer = coalesce(() => this.update(), 100, 250);
    this.subscription = model.onDidChange(() => this.coalescer.trigger());
    this.update();
  }

  /** Re-renders now (also used by tests to avoid waiting for the coalescer). */
  update(): void {
    const runs = this.model.runs();
    const sources = runs.length ? runs : this.model.sources();
    const failure = this.model.lastFailure;
    if (sources.length === 0) {
      if (failure) {
        this.item.text = `$(error) ${failure.pipelineName || 'pipeline'} failed`;
        this.item.backgroundColor = new vscode.ThemeColor('statusBarItem.errorBackground');
        this.item.tooltip = this.tooltip([`**${failure.pipelineName}** failed: ${failure.error}`]);
        this.show(true);
      } else {
        this.show(false);
      }
      return;
    }
    let healthy = 0;
    let total = 0;
    let level: ReturnType<typeof runLevel> = 'ok';
    const rank = { ok: 0, stopped: 1, busy: 2, warning: 3, error: 4 } as const;
    const lines: string[] = [];
    for (const s of sources) {
      const snap = s.snapshot();
      const count = healthCount(snap);
      healthy += count.healthy;
      total += count.total;
      const l = runLevel(snap);
      if (rank[l] > rank[level]) level = l;
      lines.push(
        `**${snap.pipelineName}** — ${snap.state}, ${count.healthy}/${count.total} healthy${snap.endpoint ? `, control plane \`${snap.endpoint}\`` : ''}${s.readonly ? ' (read-only)' : ''}`,
      );
      if (snap.error) lines.push(`  ${snap.error}`);
    }
    const first = sources[0].snapshot();
    const name = sources.length > 1 ? `${first.pipelineName} +${sources.length - 1}` : first.pipelineName;
    const icon = level === 'busy' ? '$(loading~spin)' : level === 'error' ? '$(error)' : level === 'warning' ? '$(warning)' : '$(pulse)';
    this.item.text = `${icon} ${name} ${healthy}/${total}`;
    this.item.backgroundColor =
      level === 'error'
        ? new vscode.ThemeColor('statusBarItem.errorBackground')
        : level === 'warning'
          ? new vscode.ThemeColor('statusBarItem.warningBackground')
          : undefined;
    this.item.tooltip = this.tooltip(lines);
    this.show(true);
  }

  private tooltip(lines: string[]): vscode.MarkdownString {
    const md = new vscode.MarkdownString(lines.join('\n\n'), true);
    md.isTrusted = { enabledCommands: ['flowctl.stopPipeline', 'flowctl.restartPipeline', 'flowctl.showOutput', 'flowctl.runPipeline', `${SERVICES_VIEW_ID}.focus`] };
    md.appendMarkdown(
      '\n\n---\n\n' +
        [
          `[$(list-tree) Services](command:${SERVICES_VIEW_ID}.focus)`,
          '[$(debug-stop) Stop](command:flowctl.stopPipeline)',
          '[$(debug-restart) Restart](command:flowctl.restartPipeline)',
          '[$(output) Output](command:flowctl.showOutput)',
        ].join(' · '),
    );
    return md;
  }

  private shown = false;

  private show(on: boolean): void {
    this.shown = on;
    if (on) this.item.show();
    else this.item.hide();
  }

  /** The text users see ('' while hidden). */
  get text(): string {
    return this.shown ? this.item.text : '';
  }

  dispose(): void {
    this.coalescer.dispose();
    this.subscription.dispose();
    this.item.dispose();
  }
}
