// Every flowctl command is registered through here: an error it throws is written to the flowctl output
// channel (with the command's id) and shown to the user, never left as an unhandled rejection.
import * as vscode from 'vscode';
import type { FlowctlContext } from './context';

export function errorText(err: unknown): string {
  return String((err as Error)?.message ?? err);
}

/** Registers command `id`; its errors are reported (see the header). Resolves to undefined after an error. */
export function registerReportingCommand(ctx: FlowctlContext, id: string, fn: (...args: any[]) => unknown): vscode.Disposable {
  return vscode.commands.registerCommand(id, async (...args: unknown[]) => {
    try {
      return await fn(...args);
    } catch (err) {
      ctx.output.error(`${id}: ${errorText(err)}`);
      void vscode.window.showErrorMessage(`flowctl: ${errorText(err)}`);
      return undefined;
    }
  });
}
