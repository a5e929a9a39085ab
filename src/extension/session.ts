// One pipeline run in this window. What lives as long as the run (the runner subscription) is owned
// here and disposed when the run ends — the "current run" disposal lifetime, next to the extension
// lifetime owned by FlowctlContext. The component terminals and the merged log are NOT run-owned:
// they belong to the editor session, and every run writes into them.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ComponentView, RunnerEvent, RunSnapshot, RunState } from '../core/events';
import type { ApplyResult, PipelineRunner, RunnerOptions } from '../core/runnerTypes';
import type { MergedLog } from '../core/logs/mergedLog';
import type { MetricHistory } from '../core/history/metricHistory';
import { CounterRates } from '../core/present/metrics';
import { ComponentBatch } from './componentBatch';
import { EAGER_TERMINAL_LIMIT } from './limits';
import { formatDuration, stateLabel } from './presentation';
import type { ModelSource, RunModel } from './runModel';
import type { ComponentTerminals, TerminalEntry } from './terminals';
import type { ComponentTerminal } from './componentTerminal';

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

/** What a run reports to the rest of the extension (crash notifications). */
export interface SessionHooks {
  /** A component ended on its own with an error (or is restarting after one); not a stop or restart the user asked for. */
  crashed(session: RunSession, id: string, view: ComponentView): void;
}

export interface SessionServices {
  model: RunModel;
  output: vscode.LogOutputChannel;
  terminals: ComponentTerminals;
  log: MergedLog;
  hooks: SessionHooks;
  /** The how-many-th run of this file in this editor session (1 = first). */
  runNumber: number;
}

/** Component changes (heartbeats, phases, metrics) reach the views in batches at most this often (ms). */
export const COMPONENT_BATCH_MS = 50;

/** How long a component's exit counts as asked for after the user stopped or restarted it. */
const EXPECTED_EXIT_MS = 60_000;

export class RunSession implements ModelSource, vscode.Disposable {
  readonly readonly = false;
  private readonly runDisposables: vscode.Disposable[] = [];
  /** This file's open component terminals (a live map owned by ComponentTerminals). */
  private readonly terminalMap: Map<string, TerminalEntry>;
  /** The latest view of every component, fed by the runner's component events (O(1) per event). */
  private readonly views = new Map<string, ComponentView>();
  private readonly rates = new Map<string, CounterRates>();
  /** Components whose view changed, told to the model in batches (one notification per batch, not per heartbeat). */
  private readonly changedComponents: ComponentBatch;
  /** Components the user stopped or restarted (their next exit is not a crash), with when. */
  private readonly expectedExit = new Map<string, number>();
  /** Components that were starting or running and whose end is not judged yet (see judgeEnd). */
  private readonly up = new Set<string>();
  /** Apply calls in progress. */
  private applying = 0;
  private ids: string[] = [];
  private idsView: readonly string[] = [];
  /** Ids declared by the pipeline file (known before the runner reports them), in file order, with roles. */
  private declared = new Map<string, { index: number; role: string }>();
  private cached: RunSnapshot | undefined;
  /**
   * The run-level part of the picture (state, endpoint, totals, edges), from the runner's last full
   * snapshot: refreshed by every metrics tick (which brings one) and when the state, endpoint or set of
   * components changes. A heartbeat only changes one component: the picture is then this part plus the
   * latest views (references, no copies); copying all of a thousand views at every heartbeat was the
   * status bar's, lenses' and graph's main cost.
   */
  private runPart: RunSnapshot | undefined;
  private runState: RunState = 'idle';
  private pipelineName = '';
  private disposed = false;
  private startedAt = Date.now();
  /** True when the run has too many components for a terminal each: they open on demand. */
  lazyTerminals = false;
  /** The pipeline as it was when the run started (or last applied); see markSaved(). */
  specSignature = '';
  /** flow.yml was saved with other contents than the run uses (the lens offers Apply). */
  stale = false;
  /** Resolves when the run has ended and its resources are released. */
  readonly ended: Promise<RunSnapshot>;

  private constructor(
    readonly file: string,
    readonly runner: PipelineRunner,
    private readonly services: SessionServices,
    private readonly workspaceFolder: vscode.WorkspaceFolder | undefined,
  ) {
    this.terminalMap = services.terminals.forFile(file);
    this.changedComponents = new ComponentBatch((ids) => this.services.model.notifyComponents(this.key, ids), COMPONENT_BATCH_MS);
    for (const v of runner.snapshot().components) this.views.set(v.id, v);
    this.ids = [...this.views.keys()];
    this.idsView = this.ids.slice();
    this.pushRunCleanup(runner.onEvent((e) => this.onEvent(e)));
    this.ended = runner.done.then(
      (snap) => this.end(snap),
      (err) => this.end({ ...runner.snapshot(), state: 'failed', error: String(err?.message ?? err) }),
    );
  }

  static async create(options: RunnerOptions, services: SessionServices): Promise<RunSession> {
    const { createRunner } = await loadRunnerModule();
    const runner = createRunner(options);
    const folder = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(options.file));
    return new RunSession(options.file, runner, services, folder);
  }

  get key(): string {
    return this.file;
  }

  get runNumber(): number {
    return this.services.runNumber;
  }

  /** The workspace folder of the pipeline file, if any. */
  get folder(): vscode.WorkspaceFolder | undefined {
    return this.workspaceFolder;
  }

  /** The run's state (O(1)). */
  get state(): RunState {
    return this.runState;
  }

  /**
   * The run's picture, made at most once per batch of changes: the run-level part (see runPart) and
   * the latest view of every component, in pipeline order. Do not modify it.
   */
  snapshot(): RunSnapshot {
    if (this.cached) return this.cached;
    if (!this.runPart) return (this.cached = this.runPart = this.runner.snapshot());
    const components: ComponentView[] = [];
    for (const id of this.ids) {
      const v = this.views.get(id);
      if (v) components.push(v);
    }
    return (this.cached = { ...this.runPart, components });
  }

  componentIds(): readonly string[] {
    if (this.idsView.length !== this.ids.length) this.idsView = this.ids.slice();
    return this.idsView;
  }

  view(id: string): ComponentView | undefined {
    return this.views.get(id);
  }

  /** Per-second rates of the component's counter metrics, between its last two heartbeats. */
  metricRates(id: string): ReadonlyMap<string, number> | undefined {
    return this.rates.get(id)?.current;
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
    this.services.model.notifyComponent(this.key, id);
  }

  /** Registers a disposable that dies with this run. */
  pushRunCleanup(d: vscode.Disposable): void {
    if (this.disposed) d.dispose();
    else this.runDisposables.push(d);
  }

  /**
   * Starts the run. Terminals do not hold it up: for up to EAGER_TERMINAL_LIMIT components each gets
   * its session terminal (created if needed, not awaited; lines queue until VS Code opens it) with a
   * separator line for this run; for more, terminals open on demand and the runner keeps every
   * component's log tail. Rejects (after cleanup) if the start fails.
   */
  async start(components: Array<{ id: string; role: string }>, pipelineName?: string): Promise<void> {
    this.startedAt = Date.now();
    if (pipelineName) this.pipelineName = pipelineName;
    components.forEach((c, index) => this.declared.set(c.id, { index, role: c.role }));
    const ids = this.ids.length ? this.ids : components.map((c) => c.id);
    this.services.model.add(this);
    this.lazyTerminals = ids.length > EAGER_TERMINAL_LIMIT;
    const heading = `${this.name()} · run ${this.runNumber}`;
    this.services.log.push(this.startedAt, 'flowctl', this.name(), 'flowctl', `── run ${this.runNumber} of ${this.name()} started (${this.file})`, 'info');
    if (this.lazyTerminals) {
      this.output.info(
        `${ids.length} components (more than ${EAGER_TERMINAL_LIMIT}): terminals open on demand — Show Logs or a click on a component in the Services view opens its terminal with the last lines of its log.`,
      );
      for (const id of ids) this.terminalMap.get(id)?.pty.separator(heading);
    } else {
      const first = this.runNumber === 1 && this.terminalMap.size === 0;
      for (const id of ids) this.ensureTerminal(id).pty.separator(heading, this.startedAt);
      // The first run of the session shows its first component (without taking the keyboard).
      if (first && ids.length) this.services.terminals.reveal(this.file, ids[0], true);
    }
    this.output.info(`Starting pipeline ${this.name()} (${this.file}), run ${this.runNumber}`);
    await this.runner.start();
  }

  name(): string {
    if (!this.pipelineName) this.pipelineName = this.runner.snapshot().pipelineName;
    return this.pipelineName || path.basename(path.dirname(this.file));
  }

  /** The component's open terminal (its Pseudoterminal), if any. */
  terminalFor(id: string): ComponentTerminal | undefined {
    const e = this.terminalMap.get(id);
    return e && !e.pty.isClosed ? e.pty : undefined;
  }

  async restartComponent(id: string): Promise<void> {
    this.requireComponent(id);
    this.expectedExit.set(id, Date.now());
    if (!this.lazyTerminals) this.ensureTerminal(id, true);
    this.terminalFor(id)?.notice('restart requested');
    await this.runner.restartComponent(id);
  }

  async stopComponent(id: string): Promise<void> {
    this.requireComponent(id);
    this.expectedExit.set(id, Date.now());
    this.terminalFor(id)?.notice('stop requested');
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

  async startComponent(id: string): Promise<void> {
    this.requireComponent(id);
    if (!this.lazyTerminals) this.ensureTerminal(id, true);
    this.terminalFor(id)?.notice('start requested');
    await this.runner.startComponent(id);
  }

  /**
   * Brings the component's terminal forward, opening it (with the last lines of its log) if it is not
   * open. `preserveFocus`: the keyboard stays where it is (a click in the tree); Show Logs takes it.
   */
  showTerminal(id: string, preserveFocus: boolean): void {
    this.requireComponent(id);
    this.ensureTerminal(id, true);
    this.services.terminals.reveal(this.file, id, preserveFocus);
  }

  /** Show Logs: the terminal, with the keyboard in it. */
  async showLogs(id: string): Promise<void> {
    this.showTerminal(id, false);
  }

  /** Re-reads flow.yml and applies it to the live run (the runner restarts only what changed). */
  async apply(): Promise<ApplyResult> {
    // The components Apply restarts or removes exit because the user asked for it: no crash toasts meanwhile.
    this.applying++;
    let result: ApplyResult;
    try {
      result = await this.runner.applyPipeline();
    } finally {
      this.applying--;
    }
    // An added component's first lines may have come before its terminal: a new terminal starts with its log tail.
    for (const id of result.added) if (!this.lazyTerminals) this.ensureTerminal(id, true);
    this.output.info(
      `Applied ${path.basename(this.file)} to ${this.name()}: restarted ${result.restarted.join(', ') || 'none'}; added ${result.added.join(', ') || 'none'}; removed ${result.removed.join(', ') || 'none'}; ${result.unchanged.length} unchanged.`,
    );
    for (const id of result.restarted) this.terminalFor(id)?.separator(`${id} restarted with the changed flow.yml`);
    return result;
  }

  /** graceMs shortens the SIGTERM → SIGKILL grace (VS Code waits only a few seconds for deactivate). */
  async stop(reason = 'stopped from VS Code', graceMs?: number): Promise<RunSnapshot> {
    if (graceMs !== undefined) this.runner.options.shutdownGraceMs = Math.min(this.runner.options.shutdownGraceMs ?? graceMs, graceMs);
    for (const id of this.ids) this.expectedExit.set(id, Date.now());
    await this.runner.stop(reason);
    return this.ended;
  }

  /** Process groups of the components still alive (pid = group id: each runs in its own session). */
  livePids(): number[] {
    const pids: number[] = [];
    for (const v of this.views.values()) {
      if (v.pid && v.driver !== 'docker' && v.phase !== 'exited' && v.phase !== 'stopped') pids.push(v.pid);
    }
    return pids;
  }

  private get output(): vscode.LogOutputChannel {
    return this.services.output;
  }

  private requireComponent(id: string): void {
    if (!this.views.has(id) && !this.declared.has(id)) throw new Error(`No component "${id}" in ${this.name()}.`);
  }

  /** The component's session terminal, created (with the log tail when `withTail`) if it is not open. */
  private ensureTerminal(id: string, withTail = false): TerminalEntry {
    const known = this.declared.get(id);
    return this.services.terminals.ensure(this.file, id, {
      pipeline: this.name(),
      index: known?.index ?? this.ids.indexOf(id),
      role: known?.role ?? this.views.get(id)?.role,
      tail: withTail ? () => this.runner.logTail(id, 200) : undefined,
    });
  }

  /** Ctrl+C in the component's terminal. */
  stopFromTerminal(id: string, why: string): void {
    const view = this.views.get(id);
    if (this.disposed || !view || view.phase === 'stopped' || view.phase === 'exited' || view.phase === 'stopping') return;
    this.output.info(`[${id}] stopping (${why})`);
    this.expectedExit.set(id, Date.now());
    this.runner.stopComponent(id).catch((err) => this.output.error(`[${id}] stop failed: ${String(err?.message ?? err)}`));
  }

  /**
   * Every runner event lands here (heartbeats ~1,000/s, log lines up to 100,000/s): O(1) each; component
   * changes reach the model in batches (COMPONENT_BATCH_MS).
   */
  private onEvent(e: RunnerEvent): void {
    switch (e.type) {
      case 'log':
        this.terminalMap.get(e.componentId)?.pty.line(e.line, e.stream, e.time);
        this.services.log.push(e.time, e.componentId, this.pipelineName, e.stream, e.line);
        return; // logs do not change the model
      case 'component':
        this.componentChanged(e.view);
        return;
      case 'componentRemoved':
        this.componentRemoved(e.id);
        break;
      case 'state':
        this.runState = e.state;
        this.cached = this.runPart = undefined;
        this.output.info(`Pipeline ${this.name()}: ${e.previous} → ${e.state}${e.error ? ` (${e.error})` : ''}`);
        break;
      case 'controlPlane':
        this.cached = this.runPart = undefined;
        this.output.info(`Control plane listening on ${e.endpoint}`);
        break;
      case 'notice': {
        const where = e.componentId ? `[${e.componentId}] ` : '';
        this.output[e.level === 'warning' ? 'warn' : e.level](`${where}${e.message}`);
        if (e.componentId) this.terminalMap.get(e.componentId)?.pty.notice(e.message, e.level, e.time);
        this.services.log.push(e.time, e.componentId ?? 'flowctl', this.name(), 'flowctl', `[flowctl] ${e.message}`, e.level);
        return; // notices do not change the model
      }
      case 'metrics':
        // A fresh snapshot the runner made anyway: it is the cache until the next change. The
        // totals it carries are not shown anywhere live; the history got a sample, which the
        // components' sparklines show: one O(1) notification per component (views re-render only
        // the items whose text changed).
        this.cached = this.runPart = e.snapshot;
        if (this.runner.history) {
          // Every component's sparkline got a sample: one notification naming them all.
          this.changedComponents.clear();
          this.services.model.notifyComponents(this.key, this.componentIds());
        }
        return;
    }
    // A change of the whole run covers the component changes still waiting.
    this.changedComponents.clear();
    this.services.model.notify(this.key);
  }

  /**
   * Keeps the component's view, its counter rates, and writes what the runner does not already
   * announce as notices into its terminal (waiting, started, a separator when it runs again, stopped);
   * reports crashes.
   */
  private componentChanged(view: ComponentView): void {
    const prev = this.views.get(view.id);
    this.views.set(view.id, view);
    this.cached = undefined;
    if (view.lastHeartbeat && view.lastHeartbeat !== prev?.lastHeartbeat) {
      let r = this.rates.get(view.id);
      if (!r) this.rates.set(view.id, (r = new CounterRates()));
      r.observe(view.metrics, view.lastHeartbeat);
    }
    if (prev) this.changedComponents.add(view.id);
    else {
      this.ids.push(view.id);
      this.changedComponents.clear();
      this.services.model.notify(this.key); // the set of components changed
    }
    this.judgeEnd(view);
    if (prev?.phase === view.phase && prev?.pid === view.pid) return;
    if (view.phase === 'running') this.expectedExit.delete(view.id);
    const term = this.terminalMap.get(view.id)?.pty;
    if (!term) return;
    if (view.pid && prev?.pid && view.pid !== prev.pid) term.separator(`${view.id} restarted · pid ${view.pid} · run ${this.runNumber}`);
    if (prev?.phase === view.phase) return;
    if (view.phase === 'waiting' && view.waitingFor.length) term.notice(`waiting for ${view.waitingFor.join(', ')} to register`);
    else if (view.phase === 'starting' && !(prev?.pid && view.pid !== prev.pid)) term.notice(`started${view.pid ? ` (pid ${view.pid})` : ''}`);
    else if (view.phase === 'stopped') term.notice('stopped');
  }

  /** Apply took the component out of the run (removed from flow.yml): its terminal stays, and says so. */
  private componentRemoved(id: string): void {
    if (!this.views.delete(id)) return;
    this.rates.delete(id);
    this.expectedExit.delete(id);
    this.up.delete(id);
    this.declared.delete(id);
    this.ids = this.ids.filter((x) => x !== id);
    this.cached = this.runPart = undefined;
    this.terminalFor(id)?.notice(`removed from ${this.name()} (${path.basename(this.file)} applied)`);
  }

  /**
   * Reports a crash: a component that was up ended on its own with an error (or is restarting after
   * one), not by a stop or restart the user asked for. The runner announces the new phase first and
   * the exit code or signal in the next update: the end is judged once both are known.
   */
  private judgeEnd(view: ComponentView): void {
    const id = view.id;
    if (view.phase === 'running' || view.phase === 'starting') {
      this.up.add(id);
      return;
    }
    if (!this.up.has(id)) return;
    if (view.phase === 'exited' || view.phase === 'restarting') {
      const known = !!view.exitSignal || (view.exitCode !== undefined && view.exitCode !== null);
      if (!known) return;
      this.up.delete(id);
      if (!view.exitSignal && view.exitCode === 0) return; // finished
      if (this.runState !== 'running' || this.applying > 0) return;
      const asked = this.expectedExit.get(id);
      if (asked === undefined || Date.now() - asked > EXPECTED_EXIT_MS) this.services.hooks.crashed(this, id, view);
      return;
    }
    this.up.delete(id); // stopping, stopped: an end someone asked for
  }

  private end(snap: RunSnapshot): RunSnapshot {
    if (this.disposed) return snap;
    this.runState = snap.state;
    const took = formatDuration(Date.now() - (snap.startedAt ?? this.startedAt));
    const summary = `run ${this.runNumber} of ${snap.pipelineName || this.name()} ended: ${snap.state}${snap.error ? ` (${snap.error.split('\n')[0]})` : ''} after ${took}`;
    const lines = [`${summary}; ${snap.eventsProcessed} events processed.`];
    for (const c of snap.components) {
      const dropped = this.terminalFor(c.id)?.droppedLines ?? 0;
      lines.push(`  ${c.id.padEnd(20)} ${stateLabel(c).padEnd(22)} restarts ${c.restarts}${dropped ? `, ${dropped} terminal lines dropped` : ''}`);
    }
    this.output.info(lines.join('\n'));
    // The terminals stay (they belong to the editor session): say that this run is over.
    for (const c of snap.components) this.terminalFor(c.id)?.notice(summary, snap.state === 'failed' ? 'error' : 'info');
    this.services.log.push(Date.now(), 'flowctl', this.name(), 'flowctl', `── ${summary}`, snap.state === 'failed' ? 'error' : 'info');
    if (snap.state === 'failed') {
      this.services.model.setFailure({ file: this.file, pipelineName: snap.pipelineName, error: snap.error ?? 'the run failed', time: Date.now() });
    }
    this.dispose();
    return snap;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.changedComponents.dispose();
    for (const d of this.runDisposables.splice(0).reverse()) {
      try {
        d.dispose();
      } catch {
        /* keep disposing */
      }
    }
    this.services.model.remove(this.key);
  }
}
