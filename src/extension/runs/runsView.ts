// The Runs view (flowctl.runs): past and current runs of the workspace's pipelines, newest first,
// read from each pipeline's run store (the per-pipeline LMDB under FLOWCTL_HOME that `flowctl run`
// and this extension's runs write their run records to). Per run: status icon, start time,
// duration, events, the components that failed and why; Open Logs, Open Config (the pipeline file as
// the run stored it), Re-run; a live run: Stop and Show Graph; a failed component: its log file.
//
// Stores are read only while the view is visible (on show, when a run of this window starts or ends,
// and every few seconds for runs started elsewhere), read-only and never for a pipeline this window
// is running: its store is locked by that run, and nobody else can add to it meanwhile, so what was
// read before the run started is still complete; the live run itself comes from its session.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { PipelineRun } from '../../core/controlplane/model';
import { RunStatus } from '../../core/controlplane/model';
import { coalesce, type Coalescer } from '../coalesce';
import type { FlowctlContext } from '../context';
import { pipelineLoader } from '../pipelineDocs';
import { runDescription, runIcon, runTooltip, startLabel } from './runPresentation';

export const RUNS_VIEW_ID = 'flowctl.runs';
/** Runs listed per pipeline. */
export const RUNS_PER_PIPELINE = 50;
const POLL_MS = 5000;

export type RunNode =
  | { kind: 'pipeline'; file: string }
  | { kind: 'run'; file: string; run: PipelineRun; live: boolean }
  | { kind: 'failure'; runId: string; id: string; why: string };

interface PipelineRuns {
  file: string;
  name: string;
  runs: PipelineRun[];
  error?: string;
}

/** Plain data of the view's items (the in-host tests read it). */
export interface RunItemData {
  id: string;
  label: string;
  description: string;
  icon?: string;
  contextValue?: string;
  children: RunItemData[];
}

type Modules = [typeof import('../../core/history/runStore'), typeof import('../../core/runner/openControlPlane')];
let modules: Promise<Modules> | undefined;
function loadModules(): Promise<Modules> {
  return (modules ??= Promise.all([import('../../core/history/runStore'), import('../../core/runner/openControlPlane')]));
}

export class RunsProvider implements vscode.TreeDataProvider<RunNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<RunNode | undefined | void>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly byFile = new Map<string, PipelineRuns>();
  /** The config text of live runs, taken when they were first seen (the file as it was run). */
  private readonly liveConfig = new Map<string, string>();
  private readonly subscriptions: vscode.Disposable[] = [];
  private readonly coalescer: Coalescer;
  private timer: NodeJS.Timeout | undefined;
  private visible = false;
  private liveFiles = new Set<string>();
  private readonly ranHere = new Set<string>();
  private loading: Promise<void> | undefined;
  /** Reads done (for tests). */
  reads = 0;

  constructor(private readonly ctx: FlowctlContext) {
    this.coalescer = coalesce(() => void this.reload(), 300, 1000);
    this.subscriptions.push(
      ctx.model.onDidChange(() => {
        // Only a run starting or ending matters here (cheap check, no reads).
        const live = new Set(ctx.runs().map((s) => s.file));
        for (const f of live) this.ranHere.add(f);
        const same = live.size === this.liveFiles.size && [...live].every((f) => this.liveFiles.has(f));
        if (!same && this.visible) this.coalescer.trigger();
      }),
    );
  }

  setVisible(visible: boolean): void {
    this.visible = visible;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (!visible) return;
    void this.reload();
    this.timer = setInterval(() => void this.reload(), POLL_MS);
  }

  /** Re-reads every pipeline's store (not those this window is running) and refreshes the view. */
  reload(): Promise<void> {
    this.loading ??= this.doReload().finally(() => (this.loading = undefined));
    return this.loading;
  }

  private async pipelineFiles(): Promise<string[]> {
    const found = await vscode.workspace.findFiles('**/flow.{yml,yaml}', '**/node_modules/**', 50);
    const files = new Set(found.map((u) => u.fsPath));
    // Pipelines run in this window stay listed after their run ended, wherever they are.
    for (const s of this.ctx.runs()) this.ranHere.add(s.file);
    for (const f of this.ranHere) files.add(f);
    return [...files].sort();
  }

  private async doReload(): Promise<void> {
    const [{ readRunStore }, { defaultRunDbPath }] = await loadModules();
    const loader = await pipelineLoader();
    const files = await this.pipelineFiles();
    const sessions = new Map(this.ctx.runs().map((s) => [s.file, s]));
    this.liveFiles = new Set(sessions.keys());
    // Stores held by this window's runs (a re-run of an old configuration runs a copy of the file
    // into the original's store): never opened here while held.
    const held = new Set(this.ctx.runs().filter((s) => !s.runner.options.noPersistence).map((s) => path.resolve(s.runner.options.dbPath ?? defaultRunDbPath(s.file, s.name()))));
    for (const file of [...this.byFile.keys()]) if (!files.includes(file)) this.byFile.delete(file);
    for (const file of files) {
      const session = sessions.get(file);
      const previous = this.byFile.get(file);
      let name = previous?.name;
      if (!session || !name) {
        const parsed = await loader.loadPipelineFile(file, { checkCommands: false });
        name = parsed.pipeline?.metadata.name || name || path.basename(path.dirname(file));
      }
      let stored = previous?.runs.filter((r) => r.runId !== session?.snapshot().runId) ?? [];
      let error = previous?.error;
      const store = path.resolve(defaultRunDbPath(file, name));
      if (!session && !held.has(store)) {
        // Synchronous open/read/close: nothing else in this process can open the store in between.
        const read = readRunStore(store, { limit: RUNS_PER_PIPELINE });
        this.reads++;
        stored = read.runs;
        error = read.error;
      }
      const runs = session ? [this.liveRun(session.file, name), ...stored.filter((r) => r.status !== RunStatus.RUNNING && r.status !== RunStatus.STARTING)] : stored;
      this.byFile.set(file, { file, name, runs: runs.filter((r): r is PipelineRun => !!r), error });
    }
    this.changed.fire();
  }

  /** The run this window is running, from its session (the store is locked by it). */
  private liveRun(file: string, name: string): PipelineRun | undefined {
    const session = this.ctx.session(file);
    if (!session) return undefined;
    const snap = session.snapshot();
    const runId = snap.runId ?? `live:${file}`;
    if (!this.liveConfig.has(runId)) {
      try {
        // The session saved the document before it started: the file on disk is what runs.
        this.liveConfig.set(runId, fs.readFileSync(file, 'utf8'));
      } catch {
        this.liveConfig.set(runId, '');
      }
    }
    const status = snap.state === 'starting' ? RunStatus.STARTING : snap.state === 'failed' ? RunStatus.FAILED : snap.state === 'stopped' ? RunStatus.STOPPED : RunStatus.RUNNING;
    const failures: Record<string, string> = {};
    for (const c of snap.components) if (c.phase === 'exited' && (c.exitCode !== 0 || c.exitSignal)) failures[c.id] = c.problem ?? 'exited';
    return {
      runId,
      pipelineId: name,
      pipelineName: snap.pipelineName || name,
      status,
      startTime: snap.startedAt ?? Date.now(),
      endTime: 0,
      configYaml: this.liveConfig.get(runId) ?? '',
      metrics: { events_processed: snap.eventsProcessed, events_per_second: snap.eventsPerSecond, bytes_processed: 0, component_metrics: {} },
      error: snap.error ?? '',
      componentIds: snap.components.map((c) => c.id),
      logDir: snap.logDir,
      failures,
    };
  }

  /** The run with this id (from what was last read). */
  find(runId: string): { file: string; run: PipelineRun } | undefined {
    for (const p of this.byFile.values()) {
      const run = p.runs.find((r) => r.runId === runId);
      if (run) return { file: p.file, run };
    }
    return undefined;
  }

  /** Runs of a pipeline file, newest first (what the view shows). */
  runsOf(file: string): PipelineRun[] {
    return this.byFile.get(path.resolve(file))?.runs ?? [];
  }

  getChildren(node?: RunNode): RunNode[] {
    if (!node) {
      const pipelines = [...this.byFile.values()].filter((p) => p.runs.length > 0 || p.error);
      if (pipelines.length === 1) return this.runNodes(pipelines[0]);
      return pipelines.map((p) => ({ kind: 'pipeline', file: p.file }));
    }
    if (node.kind === 'pipeline') {
      const p = this.byFile.get(node.file);
      return p ? this.runNodes(p) : [];
    }
    if (node.kind === 'run') return Object.entries(node.run.failures ?? {}).map(([id, why]) => ({ kind: 'failure', runId: node.run.runId, id, why }));
    return [];
  }

  private runNodes(p: PipelineRuns): RunNode[] {
    const live = this.ctx.session(p.file)?.snapshot().runId;
    return p.runs.map((run) => ({ kind: 'run', file: p.file, run, live: run.runId === live || run.runId === `live:${p.file}` }));
  }

  getTreeItem(node: RunNode): vscode.TreeItem {
    switch (node.kind) {
      case 'pipeline': {
        const p = this.byFile.get(node.file);
        const item = new vscode.TreeItem(p?.name ?? path.basename(node.file), vscode.TreeItemCollapsibleState.Expanded);
        item.id = `runs:${node.file}`;
        item.description = p?.error ? `cannot read its runs: ${p.error}` : vscode.workspace.asRelativePath(node.file);
        item.tooltip = p?.error ?? node.file;
        item.iconPath = new vscode.ThemeIcon(p?.error ? 'warning' : 'server-process');
        item.contextValue = this.ctx.session(node.file) ? 'runsPipeline live' : 'runsPipeline';
        return item;
      }
      case 'run': {
        const failures = Object.keys(node.run.failures ?? {}).length;
        const item = new vscode.TreeItem(startLabel(node.run.startTime), failures ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.None);
        item.id = `run:${node.run.runId}`;
        item.description = runDescription(node.run);
        const md = new vscode.MarkdownString(runTooltip(node.run));
        md.supportThemeIcons = true;
        item.tooltip = md;
        const icon = runIcon(node.run);
        item.iconPath = new vscode.ThemeIcon(icon.id, icon.color ? new vscode.ThemeColor(icon.color) : undefined);
        item.contextValue = node.live ? 'run live' : 'run';
        item.command = { command: 'flowctl.openRunConfig', title: 'Open Config', arguments: [node] };
        return item;
      }
      case 'failure': {
        const item = new vscode.TreeItem(node.id, vscode.TreeItemCollapsibleState.None);
        item.id = `run:${node.runId}/failed/${node.id}`;
        item.description = node.why;
        item.tooltip = `${node.id}: ${node.why}`;
        item.iconPath = new vscode.ThemeIcon('error', new vscode.ThemeColor('list.errorForeground'));
        item.contextValue = 'runFailure';
        item.command = { command: 'flowctl.openRunComponentLog', title: 'Open Component Log', arguments: [node] };
        return item;
      }
    }
  }

  /** Every item as plain data (tests). */
  itemsData(node?: RunNode): RunItemData[] {
    return this.getChildren(node).map((child) => {
      const item = this.getTreeItem(child);
      const icon = item.iconPath instanceof vscode.ThemeIcon ? item.iconPath.id : undefined;
      return {
        id: item.id ?? '',
        label: typeof item.label === 'string' ? item.label : (item.label?.label ?? ''),
        description: typeof item.description === 'string' ? item.description : '',
        icon,
        contextValue: item.contextValue,
        children: this.itemsData(child),
      };
    });
  }

  dispose(): void {
    if (this.timer) clearInterval(this.timer);
    this.coalescer.dispose();
    for (const s of this.subscriptions) s.dispose();
    this.changed.dispose();
  }
}
