// Notifications the extension raises on its own: a component crashed (Restart / Show Logs; rate-
// limited; setting flowctl.notifications.crashes), flow.yml changed while it runs (Apply). Every toast
// goes through `show`, which keeps the last few (the test API reads them: a toast's buttons cannot be
// clicked from the extension host).
import * as vscode from 'vscode';
import type { ComponentView } from '../core/events';
import { NotificationRateLimit } from './rateLimit';
import type { RunSession } from './session';

export type NotificationKind = 'crash' | 'changed' | 'applied' | 'apply-failed' | 'deployed' | 'removed';

export interface ShownNotification {
  kind: NotificationKind;
  level: 'info' | 'warning' | 'error';
  message: string;
  items: string[];
  time: number;
  /** The button the user picked, once they did (undefined while open or when dismissed). */
  choice?: string;
}

const KEEP = 50;

export class Notifications {
  private readonly recent: ShownNotification[] = [];
  private readonly crashLimit = new NotificationRateLimit({ perKeyMs: 60_000, maxPerWindow: 3, windowMs: 60_000 });

  constructor(private readonly output: vscode.LogOutputChannel) {}

  /** The last notifications shown (newest last). */
  get shown(): readonly ShownNotification[] {
    return this.recent;
  }

  show(kind: NotificationKind, level: ShownNotification['level'], message: string, ...items: string[]): Thenable<string | undefined> {
    const record: ShownNotification = { kind, level, message, items, time: Date.now() };
    this.recent.push(record);
    if (this.recent.length > KEEP) this.recent.shift();
    const fn = level === 'error' ? vscode.window.showErrorMessage : level === 'warning' ? vscode.window.showWarningMessage : vscode.window.showInformationMessage;
    return fn(message, ...items).then((choice) => {
      record.choice = choice;
      return choice;
    });
  }

  /** A component ended on its own with an error: say so, with Restart and Show Logs. */
  crashed(session: RunSession, id: string, view: ComponentView): void {
    const how = view.exitSignal ? `was killed by ${view.exitSignal}` : view.exitCode !== undefined && view.exitCode !== null ? `exited with code ${view.exitCode}` : (view.problem ?? 'stopped');
    const restarting = view.phase === 'restarting';
    this.output.warn(`[${id}] crashed: ${how}${restarting ? ' (restarting)' : ''}`);
    if (!vscode.workspace.getConfiguration('flowctl', vscode.Uri.file(session.file)).get<boolean>('notifications.crashes', true)) return;
    const decision = this.crashLimit.check(`${session.file}#${id}`);
    if (!decision.show) {
      this.output.info(`[${id}] crash notification held back (rate limit: one per component per minute, three a minute in all)`);
      return;
    }
    const more = decision.suppressed ? ` (${decision.suppressed} more crash${decision.suppressed === 1 ? '' : 'es'} since the last notice: see Output)` : '';
    const message = `flowctl: ${id} ${how}${restarting ? ' — restarting' : ''} (${session.name()}).${more}`;
    const items = restarting ? ['Show Logs'] : ['Restart', 'Show Logs'];
    void this.show('crash', 'warning', message, ...items).then(async (choice) => {
      try {
        if (choice === 'Restart') {
          if (session.state !== 'running') throw new Error(`${session.name()} is not running any more`);
          await session.restartComponent(id);
        } else if (choice === 'Show Logs') {
          session.showTerminal(id, false);
        }
      } catch (err) {
        void vscode.window.showErrorMessage(`flowctl: ${String((err as Error)?.message ?? err)}`);
      }
    });
  }
}
