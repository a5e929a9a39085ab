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

  /**
   * Re-renders now (also used by tests to avoid waiting for the coalescer). Runs once per coalesced
   * burst of changes (≤ 4/s), O(components); the item is only touched when its text, colour or
   * tooltip really changed (each touch is a message to the workbench).
   */
  update(): void {
    const runs = this.model.runs();
    const sources = runs.length ? runs : this.model.sources();
    const failure = this.model.lastFailure;
    if (sources.length === 0) {
      if (failure) {
        this.render(`$(error) ${failure.pipelineName || 'pipeline'} failed`, 'statusBarItem.errorBackground', [`**${failure.pipelineName}** failed: ${failure.error}`]);
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
    let firstName = '';
    for (const s of sources) {
      const snap = s.snapshot();
      if (!firstName) firstName = snap.pipelineName;
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
    const name = sources.length > 1 ? `${firstName} +${sources.length - 1}` : firstName;
    const icon = level === 'busy' ? '$(loading~spin)' : level === 'error' ? '$(error)' : level === 'warning' ? '$(warning)' : '$(pulse)';
    const background = level === 'error' ? 'statusBarItem.errorBackground' : level === 'warning' ? 'statusBarItem.warningBackground' : undefined;
    this.render(`${icon} ${name} ${healthy}/${total}`, background, lines);
    this.show(true);
  }

  private lastText: string | undefined;
  private lastBackground: string | undefined;
  private lastTooltip: string | undefined;

  private render(text: string, background: string | undefined, tooltipLines: string[]): void {
    if (text !== this.lastText) this.item.text = this.lastText = text;
    if (background !== this.lastBackground) {
      this.lastBackground = background;
      this.item.backgroundColor = background ? new vscode.ThemeColor(background) : undefined;
    }
    const tooltip = tooltipLines.join('\n\n');
    if (tooltip !== this.lastTooltip) {
      this.lastTooltip = tooltip;
      this.item.tooltip = this.tooltip(tooltipLines);
    }
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
    if (this.shown === on) return;
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
