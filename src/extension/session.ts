// One pipeline run in this window. Everything that lives as long as the run (runner subscription,
// component terminals, task executions) is owned here and disposed when the run ends — the
// "current run" disposal lifetime, next to the extension lifetime owned by FlowctlContext.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ComponentPhase, ComponentView, RunnerEvent, RunSnapshot } from '../core/events';
import type { PipelineRunner, RunnerOptions } from '../core/runnerTypes';
import { ComponentTerminal } from './componentTerminal';
import { formatDuration, stateLabel } from './presentation';
import type { ModelSource, RunModel } from './runModel';

export const TASK_TYPE = 'flowctl';

export interface FlowctlTaskDefinition extends vscode.TaskDefinition {
  type: typeof TASK_TYPE;
  component: string;
  file?: string;
}

type RunnerModule = typeof import('../core/runner');
let runnerModule: Promise<RunnerModule> | undefined;

/** The runner (grpc, supervisor, storage) is required only when the first run starts. */
export function loadRunnerModule(): Promise<RunnerModule> {
  return (runnerModule ??= import('../core/runner'));
}

export class RunSession implements ModelSource, vscode.Disposable {
  readonly readonly = false;
  private readonly runDisposables: vscode.Disposable[] = [];
  private readonly terminals = new Map<string, ComponentTerminal>();
  private readonly lastPhase = new Map<string, ComponentPhase>();
  private disposed = false;
  private startedAt = Date.now();
  /** Resolves when the run has ended and its resources are released. */
  readonly ended: Promise<RunSnapshot>;

  private constructor(
    readonly file: string,
    readonly runner: PipelineRunner,
    private readonly model: RunModel,
    private readonly output: vscode.LogOutputChannel,
    private readonly workspaceFolder: vscode.WorkspaceFolder | undefined,
  ) {
    this.pushRunCleanup(runner.onEvent((e) => this.onEvent(e)));
    this.ended = runner.done.then(
      (snap) => this.end(snap),
      (err) => this.end({ ...runner.snapshot(), state: 'failed', error: String(err?.message ?? err) }),
    );
  }

  static async create(options: RunnerOptions, model: RunModel, output: vscode.LogOutputChannel): Promise<RunSession> {
    const { createRunner } = await loadRunnerModule();
    const runner = createRunner(options);
    const folder = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(options.file));
    return new RunSession(options.file, runner, model, output, folder);
  }

  get key(): string {
    return this.file;
  }

  snapshot(): RunSnapshot {
    return this.runner.snapshot();
  }

  /** Registers a disposable that dies with this run. */
  pushRunCleanup(d: vscode.Disposable): void {
    if (this.disposed) d.dispose();
    else this.runDisposables.push(d);
  }

  /** Opens one terminal per component, then starts the run. Rejects (after cleanup) if the start fails. */
  async start(componentIds: string[]): Promise<void> {
    this.startedAt = Date.now();
    this.model.add(this);
    const ids = this.runner.snapshot().components.map((c) => c.id);
    for (const [i, id] of (ids.length ? ids : componentIds).entries()) await this.openTerminal(id, i === 0);
    this.output.info(`Starting pipeline ${this.name()} (${this.file})`);
    await this.runner.start();
  }

  name(): string {
    return this.runner.snapshot().pipelineName || path.basename(path.dirname(this.file));
  }

  terminalFor(id: string): ComponentTerminal | undefined {
    const t = this.terminals.get(id);
    return t && !t.isClosed ? t : undefined;
  }

  componentIds(): string[] {
    return this.runner.snapshot().components.map((c) => c.id);
  }

  async restartComponent(id: string): Promise<void> {
    this.requireComponent(id);
    if (!this.terminalFor(id)) await this.openTerminal(id, true);
    this.terminalFor(id)?.notice(`restart requested`);
    await this.runner.restartComponent(id);
  }

  async stopComponent(id: string): Promise<void> {
    this.requireComponent(id);
    this.terminalFor(id)?.notice(`stop requested`);
    await this.runner.stopComponent(id);
  }

  /** Brings the component's terminal to the front (re-opening it with the log tail if it was closed). */
  async showLogs(id: string): Promise<void> {
    this.requireComponent(id);
    if (!this.terminalFor(id)) {
      await this.openTerminal(id, true);
      const t = this.terminalFor(id);
      if (t) {
        t.notice(`last lines of ${id}:`);
        for (const line of this.runner.logTail(id, 200)) t.line(line);
      }
      return;
    }
    const term = findComponentTerminal(id);
    if (term) term.show(false);
  }

  /** graceMs shortens the SIGTERM → SIGKILL grace (VS Code waits only a few seconds for deactivate). */
  async stop(reason = 'stopped from VS Code', graceMs?: number): Promise<RunSnapshot> {
    if (graceMs !== undefined) this.runner.options.shutdownGraceMs = Math.min(this.runner.options.shutdownGraceMs ?? graceMs, graceMs);
    await this.runner.stop(reason);
    return this.ended;
  }

  private requireComponent(id: string): void {
    if (!this.runner.snapshot().components.some((c) => c.id === id)) throw new Error(`No component "${id}" in ${this.name()}.`);
  }

  private async openTerminal(id: string, reveal: boolean): Promise<void> {
    const pty = new ComponentTerminal(id, {
      onInterrupt: () => this.stopFromTerminal(id, 'Ctrl+C'),
      onUserClose: () => {
        this.terminals.delete(id);
        this.stopFromTerminal(id, 'terminal closed');
      },
    });
    this.terminals.set(id, pty);
    const def: FlowctlTaskDefinition = { type: TASK_TYPE, component: id, file: this.file };
    const task = new vscode.Task(def, this.workspaceFolder ?? vscode.TaskScope.Workspace, id, TASK_TYPE, new vscode.CustomExecution(async () => pty));
    task.isBackground = true;
    task.presentationOptions = {
      reveal: reveal ? vscode.TaskRevealKind.Always : vscode.TaskRevealKind.Silent,
      panel: vscode.TaskPanelKind.Dedicated,
      focus: false,
      echo: false,
      showReuseMessage: false,
      clear: true,
    };
    try {
      const execution = await vscode.tasks.executeTask(task);
      this.pushRunCleanup({ dispose: () => pty.finish(this.exitCodeOf(id)) });
      void execution;
    } catch (err) {
      this.terminals.delete(id);
      this.output.warn(`Could not open a terminal for ${id}: ${String((err as Error)?.message ?? err)}`);
    }
  }

  private stopFromTerminal(id: string, why: string): void {
    const view = this.runner.snapshot().components.find((c) => c.id === id);
    if (this.disposed || !view || view.phase === 'stopped' || view.phase === 'exited' || view.phase === 'stopping') return;
    this.output.info(`[${id}] stopping (${why})`);
    this.runner.stopComponent(id).catch((err) => this.output.error(`[${id}] stop failed: ${String(err?.message ?? err)}`));
  }

  private exitCodeOf(id: string): number {
    const view = this.runner.snapshot().components.find((c) => c.id === id);
    return typeof view?.exitCode === 'number' ? view.exitCode : 0;
  }

  private onEvent(e: RunnerEvent): void {
    switch (e.type) {
      case 'log':
        this.terminals.get(e.componentId)?.line(e.line, e.stream);
        return; // logs do not change the model
      case 'component':
        this.componentChanged(e.view);
        break;
      case 'state':
        this.output.info(`Pipeline ${this.name()}: ${e.previous} → ${e.state}${e.error ? ` (${e.error})` : ''}`);
        break;
      case 'controlPlane':
        this.output.info(`Control plane listening on ${e.endpoint}`);
        break;
      case 'notice': {
        const where = e.componentId ? `[${e.componentId}] ` : '';
        this.output[e.level === 'warning' ? 'warn' : e.level](`${where}${e.message}`);
        if (e.componentId) this.terminals.get(e.componentId)?.notice(e.message, e.level);
        break;
      }
      case 'metrics':
        break;
    }
    this.model.notify(this.key);
  }

  /**
   * Writes phase transitions the runner does not already announce as notices (waiting, started,
   * stopped) into the component's terminal. Registered/unhealthy/restarted/exited come as notices.
   */
  private componentChanged(view: ComponentView): void {
    const prevPhase = this.lastPhase.get(view.id);
    this.lastPhase.set(view.id, view.phase);
    if (prevPhase === view.phase) return;
    const term = this.terminals.get(view.id);
    if (!term) return;
    if (view.phase === 'waiting' && view.waitingFor.length) term.notice(`waiting for ${view.waitingFor.join(', ')} to register`);
    else if (view.phase === 'starting') term.notice(`started${view.pid ? ` (pid ${view.pid})` : ''}`);
    else if (view.phase === 'stopped') term.notice('stopped');
  }

  private end(snap: RunSnapshot): RunSnapshot {
    if (this.disposed) return snap;
    const took = formatDuration(Date.now() - (snap.startedAt ?? this.startedAt));
    const lines = [`Run of ${snap.pipelineName || this.name()} ended: ${snap.state}${snap.error ? ` (${snap.error})` : ''} after ${took}; ${snap.eventsProcessed} events processed.`];
    for (const c of snap.components) {
      const dropped = this.terminals.get(c.id)?.droppedLines ?? 0;
      lines.push(`  ${c.id.padEnd(20)} ${stateLabel(c).padEnd(22)} restarts ${c.restarts}${dropped ? `, ${dropped} terminal lines dropped` : ''}`);
    }
    this.output.info(lines.join('\n'));
    if (snap.state === 'failed') {
      this.model.setFailure({ file: this.file, pipelineName: snap.pipelineName, error: snap.error ?? 'the run failed', time: Date.now() });
    }
    this.dispose();
    return snap;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const d of this.runDisposables.splice(0).reverse()) {
      try {
        d.dispose();
      } catch {
        /* keep disposing */
      }
    }
    this.terminals.clear();
    this.model.remove(this.key);
  }
}

/** The terminal VS Code created for a component task (named after the component). */
export function findComponentTerminal(id: string): vscode.Terminal | undefined {
  return vscode.window.terminals.find((t) => t.name === id || t.name === `Task - ${id}` || t.name === `${TASK_TYPE}: ${id}`);
}
