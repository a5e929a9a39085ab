// Entry point of the VS Code extension: a thin adapter over the core runner. Activation wires the
// UI (Services view, status bar, CodeLens, diagnostics, commands, tasks) and stays fast: the runner,
// gRPC and the pipeline loader are required lazily, when a run starts or a pipeline file is parsed.
const moduleLoadedAt = performance.now();

import * as vscode from 'vscode';
import type { RunSnapshot } from '../core/events';
import type { PipelineRunner } from '../core/runnerTypes';
import { AllLogsPanel } from './allLogs';
import { coalesce } from './coalesce';
import { PipelineCodeLensProvider } from './codeLens';
import { registerCommands } from './commands';
import { FlowctlContext } from './context';
import { PipelineDiagnostics } from './diagnostics';
import { registerLanguageFeatures } from './language';
import { parseDocument } from './pipelineDocs';
import { ServicesTreeProvider, type ServiceNode, type TreeItemData } from './servicesTree';
import { PipelineStatusBar, SERVICES_VIEW_ID } from './statusBar';
import { readSettings } from './settings';
import { registerTaskProvider } from './tasks';
import { isActiveState } from './presentation';
import { installInterruptHandlers } from './interrupt';
import type { DeployRecord } from './deployRecords';
import type { ShownNotification } from './notifications';
import { ComponentTerminalLinks } from './terminalLinks';
import type { TerminalEntry } from './terminals';
import { registerGraph, type GraphFeature } from './graph/register';
import { registerRuns, type RunsFeature } from './runs/register';
import { registerDebug, type DebugFeature } from './debug/register';
import { registerDocumentation } from './documentation';

/** What activate() returns; the in-host tests drive the extension through it. */
export interface FlowctlExtensionApi {
  runner(): PipelineRunner | undefined;
  snapshot(): RunSnapshot | undefined;
  treeItems(): Promise<TreeItemData[]>;
  statusBarText(): string;
  /** How long activate() took (ms), bundle evaluation included. */
  activationMs: number;
  /** The context object (sessions, model, output); for tests. */
  readonly context: FlowctlContext;
  /**
   * Tree refreshes actually delivered and model changes seen (coalescing figures); of the
   * refreshes, how many re-sent the whole tree, and how many items the partial ones re-sent.
   */
  treeStats(): { refreshes: number; modelChanges: number; fullRefreshes: number; itemsRefreshed: number };
  /** The module's deactivate(): stops every run of this window (what VS Code calls on shutdown). */
  deactivate(): Promise<void>;
  /** The component terminals of the session (one per component, kept across runs). */
  terminals(): TerminalEntry[];
  /** Notifications the extension showed (newest last), with the user's choice once made. */
  notifications(): readonly ShownNotification[];
  /** Deploy to Swarm / Remove from Swarm of this window: state and progress lines per stack. */
  deploys(): readonly DeployRecord[];
  /** What screen readers announce for the status bar item, and its Markdown tooltip. */
  statusBarAccessibility(): { label: string; tooltip: string };
  /** Context keys as last set by the extension (welcome views and menus depend on them). */
  contextKeys(): Record<string, boolean>;
  /** The merged log view, if open. */
  allLogsPanel(): AllLogsPanel | undefined;
  /** The terminal link provider (file:line in component terminals). */
  readonly terminalLinks: ComponentTerminalLinks;
  /** The pipeline graph and metrics chart panels (tests and bench:extension read their figures). */
  readonly graph: GraphFeature;
  /** The Runs view. */
  readonly runs: RunsFeature;
  /** Debug Component (components being debugged). */
  readonly debug: DebugFeature;
}

let current: FlowctlContext | undefined;

export function activate(extContext: vscode.ExtensionContext): FlowctlExtensionApi {
  const started = performance.now();
  const ctx = new FlowctlContext(extContext);
  current = ctx;

  // The packaged docs/: `flowctl: Open Documentation`, and links from diagnostics to the key's entry.
  ctx.pushExtCleanup(registerDocumentation(extContext.extensionUri));
  // Diagnostics (the validator is loaded on the first YAML document).
  ctx.diagnostics = new PipelineDiagnostics(300, (err) => ctx.output.warn(`validation failed: ${String((err as Error)?.message ?? err)}`));
  ctx.pushExtCleanup(ctx.diagnostics);
  // Quick fixes, completion and hovers for pipeline files (language/).
  ctx.pushExtCleanup(...registerLanguageFeatures());

  // Services view.
  const tree = new ServicesTreeProvider(ctx.model);
  const treeView = vscode.window.createTreeView<ServiceNode>(SERVICES_VIEW_ID, { treeDataProvider: tree, showCollapseAll: true });
  tree.setVisible(treeView.visible);
  ctx.pushExtCleanup(
    tree,
    treeView,
    treeView.onDidChangeVisibility((e) => tree.setVisible(e.visible)),
    treeView.onDidExpandElement((e) => tree.setExpanded(e.element, true)),
    treeView.onDidCollapseElement((e) => tree.setExpanded(e.element, false)),
  );

  // Status bar and CodeLens.
  const statusBar = new PipelineStatusBar(ctx.model);
  const codeLens = new PipelineCodeLensProvider(ctx.model, () => readSettings().codeLensEnabled);
  ctx.pushExtCleanup(
    statusBar,
    codeLens,
    vscode.languages.registerCodeLensProvider([{ language: 'yaml', scheme: 'file' }, { pattern: '**/flow.{yml,yaml}', scheme: 'file' }], codeLens),
  );

  // Context keys for menus and welcome views, and the failure message above the tree. Set only when
  // they change (each setContext is a message to the workbench; this runs up to 4 times a second).
  const contextValues = new Map<string, boolean>();
  const setContext = (key: string, value: boolean) => {
    if (contextValues.get(key) === value) return;
    contextValues.set(key, value);
    void vscode.commands.executeCommand('setContext', key, value);
  };
  const updateContext = () => {
    const sources = ctx.model.sources();
    const running = ctx.runs().some((s) => isActiveState(s.state));
    const failure = ctx.model.lastFailure;
    setContext('flowctl.running', running);
    setContext('flowctl.hasServices', sources.length > 0);
    setContext('flowctl.connected', !!ctx.connected);
    setContext('flowctl.lastRunFailed', !!failure && sources.length === 0);
    const message = failure && sources.length === 0 ? `Last run of ${failure.pipelineName || 'the pipeline'} failed: ${failure.error.split('\n')[0]}` : undefined;
    if (treeView.message !== message) treeView.message = message;
  };
  const contextCoalescer = coalesce(updateContext, 50, 250);
  ctx.pushExtCleanup(ctx.model.onDidChange(() => contextCoalescer.trigger()), { dispose: () => contextCoalescer.dispose() });
  updateContext();

  // "A pipeline file is open": any visible editor shows one (the active editor is undefined while
  // the Services view or a terminal has the focus, which is exactly when the welcome view is read).
  let editorCheck = 0;
  const updateEditorContext = async () => {
    const check = ++editorCheck;
    let isPipeline = false;
    for (const editor of vscode.window.visibleTextEditors) {
      if (editor.document.uri.scheme !== 'file') continue;
      try {
        if ((await parseDocument(editor.document)).isPipeline) {
          isPipeline = true;
          break;
        }
      } catch {
        /* not a pipeline */
      }
    }
    if (check === editorCheck) setContext('flowctl.pipelineFileOpen', isPipeline);
  };
  ctx.pushExtCleanup(
    vscode.window.onDidChangeVisibleTextEditors(() => void updateEditorContext()),
    vscode.window.onDidChangeActiveTextEditor(() => void updateEditorContext()),
    vscode.workspace.onDidSaveTextDocument(() => void updateEditorContext()),
    vscode.workspace.onDidOpenTextDocument(() => void updateEditorContext()),
  );
  void updateEditorContext();

  registerCommands(ctx, {
    revealInTree: async (ref) => {
      const node: ServiceNode = tree.nodeFor(ref.key, ref.id);
      await treeView.reveal(node, { select: true, focus: true }).then(undefined, () => vscode.commands.executeCommand(`${SERVICES_VIEW_ID}.focus`));
    },
    refreshTree: () => tree.refresh(),
    showAllLogs: () => {
      AllLogsPanel.show(extContext.extensionUri, ctx.log, ctx.model, ctx.output);
    },
  });
  ctx.pushExtCleanup(registerTaskProvider(ctx), { dispose: () => AllLogsPanel.instance?.dispose() });

  // file:line links in the component terminals.
  const terminalLinks = new ComponentTerminalLinks(ctx.terminals);
  ctx.pushExtCleanup(vscode.window.registerTerminalLinkProvider(terminalLinks));

  // Ctrl+C of a VS Code server reaches the extension host without a deactivate(): stop the runs first.
  ctx.pushExtCleanup(
    installInterruptHandlers({
      stopAll: (reason, graceMs) => ctx.stopAll(reason, graceMs),
      livePids: () => ctx.runs().flatMap((s) => s.livePids()),
      log: (m) => ctx.output.warn(m),
    }),
  );
  const runs = registerRuns(ctx);
  const debug = registerDebug(ctx);
  const graph = registerGraph(ctx, {
    revealInTree: async (ref) => {
      await treeView.reveal(tree.nodeFor(ref.key, ref.id), { select: true, focus: false }).then(undefined, () => undefined);
    },
  });

  // Leftovers of a window that crashed while a pipeline ran: found through the runner's state files.
  setTimeout(() => void reapLeftovers(ctx), 0);

  const activationMs = performance.now() - started;
  const withLoad = performance.now() - moduleLoadedAt;
  ctx.output.info(`flowctl activated in ${activationMs.toFixed(1)} ms (${withLoad.toFixed(1)} ms since the bundle was evaluated)`);

  return {
    runner: () => ctx.session()?.runner,
    snapshot: () => ctx.session()?.snapshot(),
    treeItems: () => tree.itemsData(),
    statusBarText: () => {
      statusBar.update();
      return statusBar.text;
    },
    activationMs,
    context: ctx,
    treeStats: () => ({
      refreshes: tree.refreshCount,
      modelChanges: ctx.model.changeCount,
      fullRefreshes: tree.fullRefreshCount,
      itemsRefreshed: tree.itemsRefreshed,
    }),
    deactivate,
    terminals: () => ctx.terminals.all(),
    notifications: () => ctx.notifications.shown,
    deploys: () => ctx.deploys.all,
    statusBarAccessibility: () => {
      statusBar.update();
      return { label: statusBar.accessibleLabel, tooltip: statusBar.tooltipText };
    },
    contextKeys: () => Object.fromEntries(contextValues),
    allLogsPanel: () => AllLogsPanel.instance,
    terminalLinks,
    graph,
    runs,
    debug,
  };
}

async function reapLeftovers(ctx: FlowctlContext): Promise<void> {
  try {
    // Containers of a dead window's runs first (only when a record says it had some: no docker call otherwise), then processes.
    const [{ reapDeadRuns }, { flowctlHome }] = await Promise.all([import('../core/drivers/leftovers'), import('../core/paths')]);
    const results = await reapDeadRuns(flowctlHome(), { graceMs: 2000 });
    const reaped = results.flatMap(({ kind, report }) =>
      report.reaped.map((r) => (kind === 'docker' ? `${r.id} (container ${(r.containerId ?? '').slice(0, 12)})` : `${r.id} (pid ${r.pid})`)),
    );
    if (reaped.length > 0) {
      const list = reaped.join(', ');
      ctx.output.warn(`Stopped ${reaped.length} leftover component(s) from a window that did not shut down: ${list}`);
      void vscode.window.showInformationMessage(`flowctl stopped ${reaped.length} leftover component(s) from an earlier session: ${list}.`);
    }
    for (const { kind, report } of results) {
      for (const s of report.skipped) {
        ctx.output.info(`Left alone: ${s.id || s.file || ''} (${kind === 'docker' ? `container ${(s.containerId ?? '').slice(0, 12)}` : `pid ${s.pid}`}): ${s.reason}`);
      }
    }
  } catch (err) {
    ctx.output.warn(`Could not check for leftover processes: ${String((err as Error)?.message ?? err)}`);
  }
}

/** Stops every component and control plane of this window before VS Code unloads the extension. */
export async function deactivate(): Promise<void> {
  const ctx = current;
  current = undefined;
  if (!ctx) return;
  // VS Code gives deactivate only a few seconds: a short grace, then SIGKILL. Anything still left is
  // reaped through the runner's state file on the next activation.
  await ctx.stopAll('VS Code window closing', 2000);
}
