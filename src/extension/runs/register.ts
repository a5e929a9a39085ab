// Wires the Runs view: the tree, its commands (Open Logs, Open Config, Re-run, Refresh, and on a
// failed component Open Component Log) and the read-only `flowctl-run:` documents that show a run's
// stored pipeline file.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { PipelineRun } from '../../core/controlplane/model';
import { safeJoin } from '../../core/safePath';
import type { FlowctlContext } from '../context';
import { registerReportingCommand } from '../reportingCommand';
import { RUNS_VIEW_ID, RunsProvider, type RunNode } from './runsView';

export const RUN_CONFIG_SCHEME = 'flowctl-run';
/** Log files Open Logs opens at most (the rest are listed in the message). */
const MAX_LOG_FILES = 12;

export interface RunsFeature {
  provider: RunsProvider;
  view: vscode.TreeView<RunNode>;
  /** Files the last Open Logs / Open Component Log opened (tests). */
  lastOpenedLogs: string[];
}

/** The failed component a command is about: a failure item, or `{ runId, id }`. */
function failureOf(arg: unknown): { runId: string; id: string } | undefined {
  const a = arg as { kind?: unknown; runId?: unknown; id?: unknown } | undefined;
  return a && typeof a === 'object' && typeof a.runId === 'string' && typeof a.id === 'string' ? { runId: a.runId, id: a.id } : undefined;
}

/** The run a command is about: a tree node, or a run id. */
function runOf(provider: RunsProvider, arg: unknown): { file: string; run: PipelineRun } | undefined {
  if (arg && typeof arg === 'object' && (arg as RunNode).kind === 'run') return { file: (arg as { file: string }).file, run: (arg as { run: PipelineRun }).run };
  if (typeof arg === 'string') return provider.find(arg);
  return undefined;
}

export function configUri(file: string, run: PipelineRun): vscode.Uri {
  // Readable in the tab title: `flow.yml (run 1a2b3c4d)`; the run id is the query.
  return vscode.Uri.from({ scheme: RUN_CONFIG_SCHEME, path: `/${path.basename(path.dirname(file))}/${path.basename(file)} (run ${run.runId.slice(0, 8)})`, query: run.runId });
}

export function registerRuns(ctx: FlowctlContext): RunsFeature {
  const provider = new RunsProvider(ctx);
  const view = vscode.window.createTreeView<RunNode>(RUNS_VIEW_ID, { treeDataProvider: provider, showCollapseAll: true });
  provider.setVisible(view.visible);
  const feature: RunsFeature = { provider, view, lastOpenedLogs: [] };

  const register = (id: string, fn: (arg?: unknown) => unknown) => registerReportingCommand(ctx, id, fn);

  /** The run's recorded log folder; throws when it has none or it is gone. */
  const logFolderOf = (run: PipelineRun): string => {
    const dir = run.logDir;
    if (!dir) throw new Error(`run ${run.runId.slice(0, 8)} did not record its log folder (it was started by an older flowctl or over gRPC)`);
    if (!fs.existsSync(dir)) throw new Error(`the log folder of run ${run.runId.slice(0, 8)} no longer exists: ${dir}`);
    return dir;
  };
  const warnIfRewritten = (file: string, run: PipelineRun, dir: string): void => {
    const newer = provider.runsOf(file).find((r) => r.startTime > run.startTime && r.logDir === dir);
    if (newer) void vscode.window.showWarningMessage(`flowctl: ${dir} was written again by the later run of ${startLabelOf(newer)}: these files are that run's.`);
  };

  const pick = async (arg: unknown, what: string) => {
    const found = runOf(provider, arg);
    if (found) return found;
    await provider.reload();
    const all = provider.getChildren().flatMap((n) => (n.kind === 'pipeline' ? provider.getChildren(n) : [n])).filter((n): n is Extract<RunNode, { kind: 'run' }> => n.kind === 'run');
    if (!all.length) throw new Error('no runs recorded yet');
    const choice = await vscode.window.showQuickPick(
      all.map((n) => ({ label: provider.getTreeItem(n).label as string, description: `${n.run.pipelineName} · ${provider.getTreeItem(n).description}`, node: n })),
      { placeHolder: `${what}: which run?` },
    );
    return choice ? { file: choice.node.file, run: choice.node.run } : undefined;
  };

  ctx.pushExtCleanup(
    provider,
    view,
    view.onDidChangeVisibility((e) => provider.setVisible(e.visible)),
    vscode.workspace.registerTextDocumentContentProvider(RUN_CONFIG_SCHEME, {
      provideTextDocumentContent: (uri) => {
        const found = provider.find(uri.query);
        if (!found) return `# run ${uri.query} is no longer listed in the Runs view\n`;
        return found.run.configYaml || `# run ${uri.query} stored no pipeline file\n`;
      },
    }),
    register('flowctl.refreshRuns', () => provider.reload()),
    register('flowctl.openRunConfig', async (arg) => {
      const target = await pick(arg, 'Open Config');
      if (!target) return undefined;
      const doc = await vscode.workspace.openTextDocument(configUri(target.file, target.run));
      await vscode.languages.setTextDocumentLanguage(doc, 'yaml').then(undefined, () => undefined);
      await vscode.window.showTextDocument(doc, { preview: true });
      return doc.uri;
    }),
    register('flowctl.openRunLogs', async (arg) => {
      const target = await pick(arg, 'Open Logs');
      if (!target) return undefined;
      const dir = logFolderOf(target.run);
      warnIfRewritten(target.file, target.run, dir);
      const files = fs
        .readdirSync(dir)
        .filter((f) => f.endsWith('.log'))
        .sort()
        .map((f) => path.join(dir, f));
      if (!files.length) throw new Error(`no log files in ${dir}`);
      for (const f of files.slice(0, MAX_LOG_FILES)) await vscode.window.showTextDocument(vscode.Uri.file(f), { preview: false, preserveFocus: true });
      if (files.length > MAX_LOG_FILES) void vscode.window.showInformationMessage(`flowctl: opened ${MAX_LOG_FILES} of ${files.length} log files of ${dir}.`);
      feature.lastOpenedLogs = files.slice(0, MAX_LOG_FILES);
      return files;
    }),
    register('flowctl.openRunComponentLog', async (arg) => {
      const ref = failureOf(arg);
      if (!ref) throw new Error('Open Component Log: choose a failed component of a run in the Runs view');
      const target = provider.find(ref.runId);
      if (!target) throw new Error(`run ${ref.runId.slice(0, 8)} is no longer listed in the Runs view`);
      const dir = logFolderOf(target.run);
      // Component ids are validated; safeJoin refuses one that would leave the folder all the same.
      const file = safeJoin(dir, `${ref.id}.log`);
      if (!fs.existsSync(file)) throw new Error(`${ref.id} left no log file in ${dir}`);
      warnIfRewritten(target.file, target.run, dir);
      const editor = await vscode.window.showTextDocument(vscode.Uri.file(file), { preview: true });
      // Why it failed is usually in its last lines.
      const end = editor.document.lineAt(Math.max(0, editor.document.lineCount - 1)).range.end;
      editor.selection = new vscode.Selection(end, end);
      editor.revealRange(new vscode.Range(end, end), vscode.TextEditorRevealType.InCenterIfOutsideViewport);
      feature.lastOpenedLogs = [file];
      return file;
    }),
    register('flowctl.rerun', async (arg) => {
      const target = await pick(arg, 'Re-run');
      if (!target) return undefined;
      const current = fs.existsSync(target.file) ? fs.readFileSync(target.file, 'utf8') : undefined;
      if (current === target.run.configYaml || !target.run.configYaml) return ctx.startRun(target.file);
      await vscode.commands.executeCommand('vscode.diff', configUri(target.file, target.run), vscode.Uri.file(target.file), `run ${target.run.runId.slice(0, 8)} ↔ ${path.basename(target.file)} now`);
      const answer = await vscode.window.showWarningMessage(
        `${path.basename(target.file)} changed since that run. Run the configuration that run used? It is run from a copy next to the file (removed when the run ends); values the store redacted (env values, secrets) stay redacted.`,
        { modal: true },
        'Run That Configuration',
        'Run the Current File',
      );
      if (answer === 'Run the Current File') return ctx.startRun(target.file);
      if (answer !== 'Run That Configuration') return undefined;
      const copy = path.join(path.dirname(target.file), `.${path.basename(target.file, path.extname(target.file))}.run-${target.run.runId.slice(0, 8)}.yml`);
      fs.writeFileSync(copy, target.run.configYaml, { mode: 0o600 });
      // Recorded in the original's run store, so it is listed with the pipeline's other runs.
      const { defaultRunDbPath } = await import('../../core/runner/openControlPlane');
      const session = await ctx.startRun(copy, { confirmSecond: true, dbPath: defaultRunDbPath(target.file, target.run.pipelineName) });
      const remove = () => fs.rmSync(copy, { force: true });
      if (session) void session.ended.finally(remove);
      else remove();
      return session;
    }),
  );
  return feature;
}

function startLabelOf(run: PipelineRun): string {
  return new Date(run.startTime).toLocaleString();
}
