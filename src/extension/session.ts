// One pipeline run in this window. Everything that lives as long as the run (runner subscription,
// component terminals, task executions) is owned here and disposed when the run ends — the
// "current run" disposal lifetime, next to the extension lifetime owned by FlowctlContext.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ComponentView, RunnerEvent, RunSnapshot, RunState } from '../core/events';
import type { PipelineRunner, RunnerOptions } from '../core/runnerTypes';
import type { MetricHistory } from '../core/history/metricHistory';
import { ComponentTerminal } from './componentTerminal';
import { EAGER_TERMINAL_LIMIT } from './limits';
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

export { EAGER_TERMINAL_LIMIT };

export class RunSession implements ModelSource, vscode.Disposable {
  readonly readonly = false;
  private readonly runDisposables: vscode.Disposable[] = [];
  private readonly terminals = new Map<string, ComponentTerminal>();
  /** Task executions being started (VS Code creates the terminal, then calls the pty's open()). */
  private readonly executions = new Map<ComponentTerminal, Thenable<vscode.TaskExecution | undefined>>();
  /** The latest view of every component, fed by the runner's component events (O(1) per event). */
  private readonly views = new Map<string, ComponentView>();
  private ids: string[] = [];
  private idsView: readonly string[] = [];
  /** Ids declared by the pipeline file (known before the runner reports them). */
  private declared = new Set<string>();
  private cached: RunSnapshot | undefined;
  private runState: RunState = 'idle';
  private pipelineName = '';
  private disposed = false;
  private startedAt = Date.now();
  /** True when the run has too many components for a terminal each: they open on demand. */
  lazyTerminals = false;
  /** Resolves when the run has ended and its resources are released. */
  readonly ended: Promise<RunSnapshot>;

  private constructor(
    readonly file: string,
    readonly runner: PipelineRunner,
    private readonly model: RunModel,
    private readonly output: vscode.LogOutputChannel,
    private readonly workspaceFolder: vscode.WorkspaceFolder | undefined,
  ) {
    for (const v of runner.snapshot().components) this.views.set(v.id, v);
    this.ids = [...this.views.keys()];
    this.idsView = this.ids.slice();
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

  /** The run's state (O(1)). */
  get state(): RunState {
    return this.runState;
  }

  /** The runner's picture, copied at most once per batch of changes (it copies every component). */
  snapshot(): RunSnapshot {
    return (this.cached ??= this.runner.snapshot());
  }

  componentIds(): readonly string[] {
    if (this.idsView.length !== this.ids.length) this.idsView = this.ids.slice();
    return this.idsView;
  }

  view(id: string): ComponentView | undefined {
    return this.views.get(id);
  }

  get history(): MetricHistory | undefined {
    return this.runner.history;
  }

  /** Components under a debugger (Debug Component), shown as such in the tree, graph and lenses. */
  private readonly debugged = new Set<string>();

  debugging(id: string): boolean {
    return this.debugged.has(id);
  }

  setDebugging(id: string, on: boolean): void {
    if (on === this.debugged.has(id)) return;
    if (on) this.debugged.add(id);
    else this.debugged.delete(id);
    this.model.notifyComponent(this.key, id);
  }

  /** Registers a disposable that dies with this run. */
  pushRunCleanup(d: vscode.Disposable): void {
    if (this.disposed) d.dispose();
    else this.runDisposables.push(d);
  }

  /**
   * Starts the run. Terminals do not hold it up: for up to EAGER_TERMINAL_LIMIT components one
   * terminal each is requested (all at once, not awaited; lines queue in each until VS Code opens
   * it); for more, terminals open on demand and the runner keeps every component's log tail.
   * Rejects (after cleanup) if the start fails.
   */
  async start(componentIds: string[], pipelineName?: string): Promise<void> {
    this.startedAt = Date.now();
    if (pipelineName) this.pipelineName = pipelineName;
    const ids = this.ids.length ? this.ids : componentIds;
    this.declared = new Set(componentIds);
    this.model.add(this);
    this.lazyTerminals = ids.length > EAGER_TERMINAL_LIMIT;
    if (this.lazyTerminals) {
      this.output.info(
        `${ids.length} components (more than ${EAGER_TERMINAL_LIMIT}): terminals open on demand — Show Logs or a click on a component in the Services view opens its terminal with the last lines of its log.`,
      );
    } else {
      ids.forEach((id, i) => this.openTerminal(id, i === 0));
    }
    this.output.info(`Starting pipeline ${this.name()} (${this.file})`);
    await this.runner.start();
  }

  name(): string {
    if (!this.pipelineName) this.pipelineName = this.runner.snapshot().pipelineName;
    return this.pipelineName || path.basename(path.dirname(this.file));
  }

  terminalFor(id: string): ComponentTerminal | undefined {
    const t = this.terminals.get(id);
    return t && !t.isClosed ? t : undefined;
  }

  async restartComponent(id: string): Promise<void> {
    this.requireComponent(id);
    if (!this.terminalFor(id) && !this.lazyTerminals) this.openTerminal(id, true);
    this.terminalFor(id)?.notice(`restart requested`);
    await this.runner.restartComponent(id);
  }

  async stopComponent(id: string): Promise<void> {
    this.requireComponent(id);
    this.terminalFor(id)?.notice(`stop requested`);
    await this.runner.stopComponent(id);
  }

  /**
   * Lets a process started by hand (e.g. under a debugger) register as component `id` on this run's
   * control plane; processes outside the run are refused otherwise. Answers the ids allowed now.
   */
  allowExternal(id: string): string[] {
    this.requireComponent(id);
    const ids = this.runner.allowExternal(id, true);
    this.terminalFor(id)?.notice(`a process started by hand may now register as ${id}`);
    return ids;
  }

  /** Brings the component's terminal to the front (opening it with the log tail if it is not open). */
  async showLogs(id: string): Promise<void> {
    this.requireComponent(id);
    let term = this.terminalFor(id);
    if (!term) {
      // The tail goes in first, synchronously: lines that arrive meanwhile queue after it.
      this.openTerminal(id, true, this.runner.logTail(id, 200));
      await this.executions.get(this.terminals.get(id)!);
      return;
    }
    await this.executions.get(term);
    term = this.terminalFor(id);
    const shown = term && findComponentTerminal(id);
    if (shown) shown.show(false);
  }

  /** graceMs shortens the SIGTERM → SIGKILL grace (VS Code waits only a few seconds for deactivate). */
  async stop(reason = 'stopped from VS Code', graceMs?: number): Promise<RunSnapshot> {
    if (graceMs !== undefined) this.runner.options.shutdownGraceMs = Math.min(this.runner.options.shutdownGraceMs ?? graceMs, graceMs);
    await this.runner.stop(reason);
    return this.ended;
  }

  private requireComponent(id: string): void {
    if (!this.views.has(id) && !this.declared.has(id)) throw new Error(`No component "${id}" in ${this.name()}.`);
  }

  /**
   * Creates the component's pseudoterminal now (it queues lines, bounded, until VS Code opens it)
   * and asks VS Code for the terminal without waiting for it.
   */
  private openTerminal(id: string, reveal: boolean, tail?: string[]): void {
    const lazy = this.lazyTerminals;
    const pty = new ComponentTerminal(id, {
      onInterrupt: () => this.stopFromTerminal(id, 'Ctrl+C'),
      onUserClose: () => {
        if (this.terminals.get(id) === pty) this.terminals.delete(id);
        // An on-demand terminal is a log view: closing it leaves the component running.
        if (!lazy) this.stopFromTerminal(id, 'terminal closed');
      },
    });
    if (tail) {
      pty.notice(`last lines of ${id}:`);
      for (const line of tail) pty.line(line);
    }
    this.terminals.set(id, pty);
    this.pushRunCleanup({ dispose: () => pty.finish(this.exitCodeOf(id)) });
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
    const execution = vscode.tasks.executeTask(task).then(
      (e) => e,
      (err) => {
        if (this.terminals.get(id) === pty) this.terminals.delete(id);
        this.output.warn(`Could not open a terminal for ${id}: ${String((err as Error)?.message ?? err)}`);
        return undefined;
      },
    );
    this.executions.set(pty, execution);
    void Promise.resolve(execution).then(() => this.executions.delete(pty));
  }

  private stopFromTerminal(id: string, why: string): void {
    const view = this.views.get(id);
    if (this.disposed || !view || view.phase === 'stopped' || view.phase === 'exited' || view.phase === 'stopping') return;
    this.output.info(`[${id}] stopping (${why})`);
    this.runner.stopComponent(id).catch((err) => this.output.error(`[${id}] stop failed: ${String(err?.message ?? err)}`));
  }

  private exitCodeOf(id: string): number {
    const view = this.views.get(id);
    return typeof view?.exitCode === 'number' ? view.exitCode : 0;
  }

  /** Every runner event lands here (heartbeats ~1,000/s, log lines up to 100,000/s): O(1) each. */
  private onEvent(e: RunnerEvent): void {
    switch (e.type) {
      case 'log':
        this.terminals.get(e.componentId)?.line(e.line, e.stream);
        return; // logs do not change the model
      case 'component':
        this.componentChanged(e.view);
        return;
      case 'state':
        this.runState = e.state;
        this.cached = undefined;
        this.output.info(`Pipeline ${this.name()}: ${e.previous} → ${e.state}${e.error ? ` (${e.error})` : ''}`);
        break;
      case 'controlPlane':
        this.cached = undefined;
        this.output.info(`Control plane listening on ${e.endpoint}`);
        break;
      case 'notice': {
        const where = e.componentId ? `[${e.componentId}] ` : '';
        this.output[e.level === 'warning' ? 'warn' : e.level](`${where}${e.message}`);
        if (e.componentId) this.terminals.get(e.componentId)?.notice(e.message, e.level);
        return; // notices do not change the model
      }
      case 'metrics':
        // A fresh snapshot the runner made anyway: it is the cache until the next change. The
        // totals it carries are not shown anywhere live; the history got a sample, which the
        // components' sparklines show: one O(1) notification per component (views re-render only
        // the items whose text changed).
        this.cached = e.snapshot;
        if (this.runner.history) for (const id of this.ids) this.model.notifyComponent(this.key, id);
        return;
    }
    this.model.notify(this.key);
  }

  /**
   * Keeps the component's view and writes phase transitions the runner does not already announce
   * as notices (waiting, started, stopped) into its terminal. Registered/unhealthy/restarted/exited
   * come as notices.
   */
  private componentChanged(view: ComponentView): void {
    const prev = this.views.get(view.id);
    this.views.set(view.id, view);
    this.cached = undefined;
    if (prev) this.model.notifyComponent(this.key, view.id);
    else {
      this.ids.push(view.id);
      this.model.notify(this.key); // the set of components changed
    }
    if (prev?.phase === view.phase) return;
    const term = this.terminals.get(view.id);
    if (!term) return;
    if (view.phase === 'waiting' && view.waitingFor.length) term.notice(`waiting for ${view.waitingFor.join(', ')} to register`);
    else if (view.phase === 'starting') term.notice(`started${view.pid ? ` (pid ${view.pid})` : ''}`);
    else if (view.phase === 'stopped') term.notice('stopped');
  }

  private end(snap: RunSnapshot): RunSnapshot {
    if (this.disposed) return snap;
    this.runState = snap.state;
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
