// The one context object of the extension (rust-analyzer's Ctx pattern). Two disposal lifetimes:
// the extension lifetime (`pushExtCleanup` → ExtensionContext.subscriptions) and the lifetime of
// each run (owned by its RunSession and disposed when the run ends).
import * as path from 'node:path';
import * as vscode from 'vscode';
import { allComponents } from '../core/pipeline/model';
import type { RunSnapshot } from '../core/events';
import { MergedLog } from '../core/logs/mergedLog';
import { ConnectedControlPlane, type ConnectTarget } from './connect';
import type { PipelineDiagnostics } from './diagnostics';
import { DeployRecords } from './deployRecords';
import { Notifications } from './notifications';
import { openPipelineDocument } from './pipelineDocs';
import { isActiveState } from './presentation';
import { RunModel } from './runModel';
import { RunSession } from './session';
import { readSettings, runnerOptions } from './settings';
import { specSignature, StalenessWatcher } from './staleness';
import { ComponentTerminals } from './terminals';

export class FlowctlContext implements vscode.Disposable {
  readonly model = new RunModel();
  readonly output: vscode.LogOutputChannel;
  /** One terminal per component for the editor session (every run writes into it). */
  readonly terminals: ComponentTerminals;
  /** Every component's lines, merged and bounded (the "All Logs" view). */
  readonly log: MergedLog;
  readonly notifications: Notifications;
  /** Deploy to Swarm / Remove from Swarm of this window, per stack. */
  readonly deploys = new DeployRecords();
  readonly staleness: StalenessWatcher;
  /** Runs started per pipeline file in this editor session (for the separator lines). */
  private readonly runCounts = new Map<string, number>();
  private timestamps = readSettings().terminalTimestamps;
  private readonly sessions = new Map<string, RunSession>();
  private connection: ConnectedControlPlane | undefined;
  private connectionTimer: NodeJS.Timeout | undefined;
  private readonly starting = new Set<string>();
  diagnostics!: PipelineDiagnostics;
  /** Most recently started session (the one the test API and status-bar actions address). */
  private latest: RunSession | undefined;

  constructor(readonly ext: vscode.ExtensionContext) {
    this.output = vscode.window.createOutputChannel('flowctl', { log: true });
    this.log = new MergedLog({ capacity: readSettings().logsMaxLines });
    this.notifications = new Notifications(this.output);
    this.terminals = new ComponentTerminals(
      {
        interrupt: (file, id) => this.session(file)?.stopFromTerminal(id, 'Ctrl+C'),
        closed: (file, id) => {
          if (this.session(file)) this.output.info(`[${id}] terminal closed; the component keeps running (Show Logs opens it again, Ctrl+C in it stops the component)`);
        },
      },
      () => this.timestamps,
    );
    this.staleness = new StalenessWatcher((file) => this.session(file), this.model, this.notifications, this.output);
    this.pushExtCleanup(
      this.output,
      this.model,
      this.terminals,
      this.staleness,
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('flowctl.terminal.timestamps')) this.timestamps = readSettings().terminalTimestamps;
      }),
    );
    ext.subscriptions.push(this);
  }

  pushExtCleanup(...items: vscode.Disposable[]): void {
    this.ext.subscriptions.push(...items);
  }

  runs(): RunSession[] {
    return [...this.sessions.values()];
  }

  session(file?: string): RunSession | undefined {
    if (file) return this.sessions.get(path.resolve(file));
    return this.latest && this.sessions.has(this.latest.file) ? this.latest : this.runs().at(-1);
  }

  /**
   * Validates and runs a pipeline file. Invalid files show their problems instead of starting.
   * Returns the session, or undefined when nothing was started.
   */
  async startRun(file: string, opts: { confirmSecond?: boolean; dbPath?: string } = {}): Promise<RunSession | undefined> {
    file = path.resolve(file);
    const existing = this.sessions.get(file);
    if (existing || this.starting.has(file)) {
      void vscode.window.showInformationMessage(`flowctl: ${path.basename(file)} is already running.`);
      return existing;
    }
    const others = this.runs().filter((s) => isActiveState(s.state));
    if (others.length > 0 && opts.confirmSecond !== true) {
      const answer = await vscode.window.showWarningMessage(
        `The pipeline ${others[0].name()} is already running in this window. Run ${path.basename(file)} as well?`,
        { modal: true },
        'Run Both',
        'Stop and Run',
      );
      if (!answer) return undefined;
      if (answer === 'Stop and Run') await this.stopAll('replaced by another pipeline');
    }
    this.starting.add(file);
    try {
      const doc = await openPipelineDocument(file);
      if (doc.isDirty) await doc.save();
      const parsed = await this.diagnostics.validate(doc);
      if (!parsed.isPipeline) throw new Error(`${path.basename(file)} is not a flowctl pipeline file.`);
      if (!parsed.ok || !parsed.pipeline) {
        const errors = parsed.diagnostics.filter((d) => d.severity === 'error').length;
        const problems = errors === 1 ? '1 error' : `${errors} errors`;
        this.output.error(`Not running ${file}: ${problems} in the pipeline file.`);
        void vscode.window.showErrorMessage(`flowctl: ${path.basename(file)} has ${problems}; fix ${errors === 1 ? 'it' : 'them'} before running.`, 'Show Problems').then((a) => {
          if (a === 'Show Problems') void vscode.commands.executeCommand('workbench.actions.view.problems');
        });
        return undefined;
      }
      const settings = readSettings(doc.uri);
      const options = runnerOptions(file, settings);
      // With persistence (the default) the run uses its pipeline's run store under FLOWCTL_HOME, the
      // one `flowctl run` uses (one per pipeline file): the Runs view lists runs from both.
      if (opts.dbPath && !options.noPersistence) options.dbPath = opts.dbPath;
      this.model.setFailure(undefined);
      const runNumber = (this.runCounts.get(file) ?? 0) + 1;
      this.runCounts.set(file, runNumber);
      const session = await RunSession.create(options, {
        model: this.model,
        output: this.output,
        terminals: this.terminals,
        log: this.log,
        hooks: { crashed: (s, id, view) => this.notifications.crashed(s, id, view) },
        runNumber,
      });
      session.specSignature = specSignature(parsed.pipeline);
      this.sessions.set(file, session);
      this.latest = session;
      void session.ended.then(() => {
        if (this.sessions.get(file) === session) this.sessions.delete(file);
      });
      try {
        await session.start(
          allComponents(parsed.pipeline).map((c) => ({ id: c.id, role: c.role })),
          parsed.pipeline.metadata.name,
        );
      } catch (err) {
        const message = String((err as Error)?.message ?? err);
        this.output.error(`Pipeline ${path.basename(file)} failed to start: ${message}`);
        await session.ended;
        this.model.setFailure({ file, pipelineName: parsed.pipeline.metadata.name, error: message, time: Date.now() });
        void vscode.window.showErrorMessage(`flowctl: ${parsed.pipeline.metadata.name || path.basename(file)} failed to start: ${message.split('\n')[0]}`, 'Show Output').then((a) => {
          if (a) this.output.show();
        });
        return undefined;
      }
      return session;
    } finally {
      this.starting.delete(file);
    }
  }

  async stopRun(file?: string, reason?: string): Promise<RunSnapshot | undefined> {
    const session = this.session(file);
    if (!session) return undefined;
    return session.stop(reason);
  }

  async restartRun(file?: string): Promise<RunSession | undefined> {
    const session = this.session(file);
    const target = session?.file ?? file;
    if (!target) return undefined;
    if (session) await session.stop('restarting');
    return this.startRun(target, { confirmSecond: true });
  }

  /** Stops every run of this window; resolves when every process and control plane is gone. */
  async stopAll(reason = 'VS Code window closing', graceMs?: number): Promise<void> {
    await Promise.allSettled(this.runs().map((s) => s.stop(reason, graceMs)));
  }

  get connected(): ConnectedControlPlane | undefined {
    return this.connection;
  }

  /** Shows a control plane running elsewhere (read-only), refreshed every few seconds. */
  async connect(target: ConnectTarget): Promise<ConnectedControlPlane> {
    this.disconnect();
    const conn = new ConnectedControlPlane(target);
    await conn.refresh();
    this.connection = conn;
    this.model.add(conn);
    this.connectionTimer = setInterval(() => {
      void conn.refresh().then((r) => {
        if (this.connection !== conn) return;
        if (r.set) this.model.notify(conn.key);
        else for (const id of r.changed) this.model.notifyComponent(conn.key, id);
      });
    }, 3000);
    this.output.info(`Connected to the control plane at ${target.address}${conn.snapshot().error ? ` (error: ${conn.snapshot().error})` : ''}`);
    return conn;
  }

  disconnect(): void {
    if (this.connectionTimer) clearInterval(this.connectionTimer);
    this.connectionTimer = undefined;
    if (this.connection) {
      this.model.remove(this.connection.key);
      this.connection.dispose();
    }
    this.connection = undefined;
  }

  async refresh(): Promise<void> {
    if (this.connection) await this.connection.refresh();
    this.model.notify();
  }

  dispose(): void {
    this.disconnect();
    // Processes are stopped by deactivate() (awaited); this only drops run-lifetime resources.
    for (const s of this.runs()) s.dispose();
  }
}
