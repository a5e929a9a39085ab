// `flowctl` tasks in tasks.json ({"type": "flowctl", "component": "…", "file": "flow.yml"}): running
// one starts the pipeline if it is not running yet and brings that component's terminal forward.
// (The per-component terminals of a run are created by RunSession itself.)
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { FlowctlContext } from './context';
import { TASK_TYPE, type FlowctlTaskDefinition } from './session';

class LauncherTerminal implements vscode.Pseudoterminal {
  private readonly writeEmitter = new vscode.EventEmitter<string>();
  private readonly closeEmitter = new vscode.EventEmitter<number>();
  readonly onDidWrite = this.writeEmitter.event;
  readonly onDidClose = this.closeEmitter.event;

  constructor(
    private readonly ctx: FlowctlContext,
    private readonly def: FlowctlTaskDefinition,
    private readonly folder: string | undefined,
  ) {}

  open(): void {
    void this.run();
  }

  close(): void {}

  private async run(): Promise<void> {
    const write = (s: string) => this.writeEmitter.fire(s.replace(/\n/g, '\r\n') + '\r\n');
    try {
      const rel = this.def.file ?? 'flow.yml';
      const file = path.isAbsolute(rel) ? rel : path.resolve(this.folder ?? process.cwd(), rel);
      let session = this.ctx.session(file);
      if (!session) {
        write(`Starting ${file}…`);
        session = await this.ctx.startRun(file);
      }
      if (!session) throw new Error(`the pipeline ${file} did not start`);
      await session.showLogs(this.def.component);
      write(`${this.def.component} runs in its own terminal.`);
      this.closeEmitter.fire(0);
    } catch (err) {
      write(`\x1b[31mflowctl: ${String((err as Error)?.message ?? err)}\x1b[0m`);
      this.closeEmitter.fire(1);
    }
  }
}

export function registerTaskProvider(ctx: FlowctlContext): vscode.Disposable {
  return vscode.tasks.registerTaskProvider(TASK_TYPE, {
    provideTasks: () => [],
    resolveTask(task) {
      const def = task.definition as FlowctlTaskDefinition;
      if (!def.component) return undefined;
      const folder = typeof task.scope === 'object' ? task.scope.uri.fsPath : vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
      return new vscode.Task(
        def,
        task.scope ?? vscode.TaskScope.Workspace,
        task.name || def.component,
        TASK_TYPE,
        new vscode.CustomExecution(async (resolved) => new LauncherTerminal(ctx, resolved as FlowctlTaskDefinition, folder)),
      );
    },
  });
}
