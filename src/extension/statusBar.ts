// Status bar: pipeline name and healthy/total (`$(pulse) demo 4/4`), a warning/error background
// when something is unhealthy, exited or starved of data, a spinner while starting; click focuses the
// Services view. The counts come from summarizeRun() — the same source as the CodeLens and the tree.
// Screen readers get a plain sentence (accessibilityInformation), not the Markdown tooltip.
import * as vscode from 'vscode';
import { coalesce, type Coalescer } from './coalesce';
import { escapeMd, summarizeRun } from './presentation';
import type { RunLevel } from '../core/present/component';
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
   * burst of changes (≤ 4/s), O(components); the item is only touched when its text, colour,
   * tooltip or label really changed (each touch is a message to the workbench).
   */
  update(): void {
    const runs = this.model.runs();
    const sources = runs.length ? runs : this.model.sources();
    const failure = this.model.lastFailure;
    if (sources.length === 0) {
      if (failure) {
        const name = failure.pipelineName || 'pipeline';
        this.render(`$(error) ${name} failed`, 'statusBarItem.errorBackground', [`**${escapeMd(name)}** failed: ${escapeMd(failure.error)}`], `flowctl: ${name} failed: ${failure.error.split('\n')[0]}`);
        this.show(true);
      } else {
        this.show(false);
      }
      return;
    }
    let healthy = 0;
    let total = 0;
    let level: RunLevel = 'ok';
    const rank: Record<RunLevel, number> = { ok: 0, stopped: 1, busy: 2, warning: 3, error: 4 };
    const lines: string[] = [];
    const spoken: string[] = [];
    let firstName = '';
    for (const s of sources) {
      const snap = s.snapshot();
      if (!firstName) firstName = snap.pipelineName;
      const summary = summarizeRun(snap);
      healthy += summary.healthy;
      total += summary.total;
      if (rank[summary.level] > rank[level]) level = summary.level;
      lines.push(
        `**${escapeMd(snap.pipelineName)}** — ${snap.state}, ${summary.healthy}/${summary.total} healthy${snap.endpoint ? `, control plane \`${snap.endpoint}\`` : ''}${s.readonly ? ' (read-only)' : ''}`,
      );
      for (const w of summary.waiting) lines.push(`$(warning) ${escapeMd(w.id)}: waiting for ${escapeMd(w.on.join(', ') || 'input')}`);
      for (const id of summary.idle) lines.push(`$(warning) ${escapeMd(id)}: idle, 0 ev/s`);
      for (const id of summary.failed) lines.push(`$(error) ${escapeMd(id)}: ${escapeMd(s.view(id)?.problem ?? 'failed')}`);
      if (snap.error) lines.push(`  ${escapeMd(snap.error)}`);
      spoken.push(
        `${snap.pipelineName} ${snap.state}${s.readonly ? ', read-only' : ''}, ${summary.healthy} of ${summary.total} components healthy` +
          (summary.waiting.length ? `, ${summary.waiting.map((w) => `${w.id} waiting for ${w.on.join(' and ') || 'input'}`).join(', ')}` : '') +
          (summary.failed.length ? `, ${summary.failed.join(' and ')} failed` : ''),
      );
    }
    const name = sources.length > 1 ? `${firstName} +${sources.length - 1}` : firstName;
    const icon = level === 'busy' ? '$(loading~spin)' : level === 'error' ? '$(error)' : level === 'warning' ? '$(warning)' : '$(pulse)';
    const background = level === 'error' ? 'statusBarItem.errorBackground' : level === 'warning' ? 'statusBarItem.warningBackground' : undefined;
    this.render(`${icon} ${name} ${healthy}/${total}`, background, lines, `flowctl pipeline: ${spoken.join('; ')}. Activate to show the Services view.`);
    this.show(true);
  }

  private lastText: string | undefined;
  private lastBackground: string | undefined;
  private lastTooltip: string | undefined;
  private lastLabel: string | undefined;

  private render(text: string, background: string | undefined, tooltipLines: string[], accessibleLabel: string): void {
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
    if (accessibleLabel !== this.lastLabel) {
      this.lastLabel = accessibleLabel;
      this.item.accessibilityInformation = { label: accessibleLabel, role: 'button' };
    }
  }

  private tooltip(lines: string[]): vscode.MarkdownString {
    const md = new vscode.MarkdownString(lines.join('\n\n'), true);
    md.isTrusted = { enabledCommands: ['flowctl.stopPipeline', 'flowctl.restartPipeline', 'flowctl.showOutput', 'flowctl.showAllLogs', 'flowctl.runPipeline', `${SERVICES_VIEW_ID}.focus`] };
    md.appendMarkdown(
      '\n\n---\n\n' +
        [
          `[$(list-tree) Services](command:${SERVICES_VIEW_ID}.focus)`,
          '[$(list-flat) All Logs](command:flowctl.showAllLogs)',
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

  /** What screen readers announce ('' while hidden). */
  get accessibleLabel(): string {
    return this.shown ? (this.lastLabel ?? '') : '';
  }

  /** The tooltip's Markdown ('' while hidden). */
  get tooltipText(): string {
    return this.shown ? (this.lastTooltip ?? '') : '';
  }

  dispose(): void {
    this.coalescer.dispose();
    this.subscription.dispose();
    this.item.dispose();
  }
}
