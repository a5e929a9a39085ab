// The commands (category "flowctl"). They accept what the UI hands them: a Uri (CodeLens, editor
// title), a tree node or `{key, id}` (tree, CodeLens), or nothing (palette → sensible default or a pick).
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { FlowctlContext } from './context';
import { connectCandidates, type ConnectedControlPlane, type ConnectTarget } from './connect';
import { openPipelineDocument, parseDocument, toRange } from './pipelineDocs';
import type { RunSession } from './session';
import type { ServiceNode } from './servicesTree';
import { readSettings, resolveSettingPath } from './settings';
import { registerDeployCommands } from './deploy';
import { registerReportingCommand } from './reportingCommand';

type ComponentRef = { key: string; id: string };

/** { address, pipeline?, file? } from a caller (other fields are not taken from arguments). */
function connectArg(arg: unknown): ConnectTarget | undefined {
  if (!arg || typeof arg !== 'object' || typeof (arg as { address?: unknown }).address !== 'string') return undefined;
  const a = arg as { address: string; pipeline?: unknown; file?: unknown };
  return {
    address: a.address,
    ...(typeof a.pipeline === 'string' ? { pipeline: a.pipeline } : {}),
    ...(typeof a.file === 'string' ? { file: a.file } : {}),
  };
}

function isComponentRef(arg: unknown): arg is ComponentRef {
  return !!arg && typeof arg === 'object' && typeof (arg as ComponentRef).id === 'string' && typeof (arg as ComponentRef).key === 'string';
}

/** The pipeline file a command is about. */
export async function pickPipelineFile(ctx: FlowctlContext, arg: unknown, purpose: 'run' | 'running'): Promise<string | undefined> {
  if (arg instanceof vscode.Uri) return arg.fsPath;
  if (typeof arg === 'string') return arg;
  if (arg && typeof arg === 'object' && (arg as ServiceNode).kind === 'source') return (arg as { key: string }).key;
  if (isComponentRef(arg)) return arg.key;
  // A pipeline or run item of the Runs view.
  if (arg && typeof arg === 'object' && ((arg as { kind?: unknown }).kind === 'run' || (arg as { kind?: unknown }).kind === 'pipeline') && typeof (arg as { file?: unknown }).file === 'string') {
    return (arg as { file: string }).file;
  }
  const editor = vscode.window.activeTextEditor;
  if (editor && editor.document.uri.scheme === 'file') {
    const parsed = await parseDocument(editor.document);
    if (parsed.isPipeline && (purpose === 'run' || ctx.session(editor.document.fileName))) return editor.document.fileName;
  }
  if (purpose === 'running') {
    const runs = ctx.runs();
    if (runs.length <= 1) return runs[0]?.file;
    const pick = await vscode.window.showQuickPick(
      runs.map((s) => ({ label: s.name(), description: vscode.workspace.asRelativePath(s.file), file: s.file })),
      { placeHolder: 'Which pipeline?' },
    );
    return pick?.file;
  }
  const found = await vscode.workspace.findFiles('**/flow.{yml,yaml}', '**/node_modules/**', 50);
  if (found.length === 1) return found[0].fsPath;
  if (found.length === 0) {
    void vscode.window.showWarningMessage('flowctl: open a pipeline file (flow.yml) to run it.');
    return undefined;
  }
  const pick = await vscode.window.showQuickPick(
    found.map((u) => ({ label: vscode.workspace.asRelativePath(u), file: u.fsPath })),
    { placeHolder: 'Which pipeline file?' },
  );
  return pick?.file;
}

/** The session and component a component command is about. */
async function pickComponent(ctx: FlowctlContext, arg: unknown): Promise<{ session: RunSession; id: string } | undefined> {
  if (isComponentRef(arg)) {
    const session = ctx.session(arg.key);
    if (!session) throw new Error(`the pipeline ${path.basename(arg.key)} is not running`);
    return { session, id: arg.id };
  }
  const file = await pickPipelineFile(ctx, undefined, 'running');
  const session = file ? ctx.session(file) : undefined;
  if (!session) {
    void vscode.window.showInformationMessage('flowctl: no pipeline is running.');
    return undefined;
  }
  if (typeof arg === 'string') return { session, id: arg };
  const id = await vscode.window.showQuickPick([...session.componentIds()], { placeHolder: 'Which component?' });
  return id ? { session, id } : undefined;
}

/** A component of the connected run (a tree item's `{key: 'connect:…', id}`), if that is what `arg` is. */
function connectedComponent(ctx: FlowctlContext, arg: unknown): { conn: ConnectedControlPlane; id: string } | undefined {
  if (!isComponentRef(arg) || !arg.key.startsWith('connect:')) return undefined;
  const conn = ctx.connected;
  if (!conn || conn.key !== arg.key) throw new Error('that control plane is not connected any more');
  return { conn, id: arg.id };
}

/** Restart/stop/start a component of the connected run (its runner service), then show the change. */
async function actRemote(ctx: FlowctlContext, target: { conn: ConnectedControlPlane; id: string }, action: 'restart' | 'stop' | 'start'): Promise<void> {
  await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: `flowctl: ${action} ${target.id}` }, () => target.conn.act(action, target.id));
  ctx.output.info(`[${target.id}] ${action} done through the runner service at ${target.conn.target.runnerAddress}`);
  await ctx.refresh();
}

export function registerCommands(ctx: FlowctlContext, hooks: { revealInTree(ref: ComponentRef): Promise<void>; refreshTree(): void; showAllLogs(): unknown }): void {
  const register = (id: string, fn: (...args: any[]) => unknown) => ctx.pushExtCleanup(registerReportingCommand(ctx, id, fn));

  registerDeployCommands(ctx, register);

  register('flowctl.runPipeline', async (arg?: unknown) => {
    const file = await pickPipelineFile(ctx, arg, 'run');
    return file ? ctx.startRun(file) : undefined;
  });

  register('flowctl.stopPipeline', async (arg?: unknown) => {
    const conn = ctx.connected;
    if (conn && arg && typeof arg === 'object' && (arg as ServiceNode).kind === 'source' && (arg as { key: string }).key === conn.key) {
      // The connected run's own item: stop that run (it is the user's) or, watch-only, just disconnect.
      if (!conn.controllable) return ctx.disconnect();
      const name = conn.snapshot().pipelineName;
      const answer = await vscode.window.showWarningMessage(`Stop the run of ${name}? It runs in another process (${conn.target.address}).`, { modal: true }, 'Stop Run');
      if (answer !== 'Stop Run') return undefined;
      await conn.stopRun('stopped from VS Code (connected)');
      void vscode.window.showInformationMessage(`flowctl: asked ${name} to stop.`);
      return ctx.refresh();
    }
    const file = await pickPipelineFile(ctx, arg, 'running');
    if (!file || !ctx.session(file)) {
      if (ctx.connected) {
        ctx.disconnect();
        return undefined;
      }
      void vscode.window.showInformationMessage('flowctl: no pipeline is running.');
      return undefined;
    }
    return ctx.stopRun(file, 'stopped from VS Code');
  });

  register('flowctl.restartPipeline', async (arg?: unknown) => {
    const file = await pickPipelineFile(ctx, arg, 'running');
    return file ? ctx.restartRun(file) : undefined;
  });

  register('flowctl.restartComponent', async (arg?: unknown) => {
    const remote = connectedComponent(ctx, arg);
    if (remote) return actRemote(ctx, remote, 'restart');
    const target = await pickComponent(ctx, arg);
    if (target) await target.session.restartComponent(target.id);
  });

  register('flowctl.stopComponent', async (arg?: unknown) => {
    const remote = connectedComponent(ctx, arg);
    if (remote) return actRemote(ctx, remote, 'stop');
    const target = await pickComponent(ctx, arg);
    if (target) await target.session.stopComponent(target.id);
  });

  register('flowctl.startComponent', async (arg?: unknown) => {
    const remote = connectedComponent(ctx, arg);
    if (remote) return actRemote(ctx, remote, 'start');
    const target = await pickComponent(ctx, arg);
    if (target) await target.session.startComponent(target.id);
  });

  register('flowctl.allowExternalComponent', async (arg?: unknown) => {
    const target = await pickComponent(ctx, arg);
    if (!target) return undefined;
    const ids = target.session.allowExternal(target.id);
    void vscode.window.showInformationMessage(
      `flowctl: a process you start yourself (e.g. under a debugger) may now register as "${target.id}" on this run. ` +
        `Stop the run's own ${target.id} first. Allowed now: ${ids.join(', ')}`,
    );
    return ids;
  });

  // Show Logs: the component's terminal, with the keyboard in it.
  register('flowctl.showComponentLogs', async (arg?: unknown) => {
    // A connected run's component has no terminal here: its log file (on this machine) opens instead.
    const remote = connectedComponent(ctx, arg);
    if (remote) return vscode.commands.executeCommand('flowctl.openLogFile', arg);
    const target = await pickComponent(ctx, arg);
    if (target) await target.session.showLogs(target.id);
  });

  // A click on a component in the Services view: its terminal comes forward, the keyboard stays in the tree.
  register('flowctl.revealComponentTerminal', async (arg?: unknown) => {
    const target = await pickComponent(ctx, arg);
    if (target) target.session.showTerminal(target.id, true);
  });

  register('flowctl.showAllLogs', () => hooks.showAllLogs());

  register('flowctl.applyPipeline', async (arg?: unknown) => {
    const file = await pickPipelineFile(ctx, arg, 'running');
    const session = file ? ctx.session(file) : undefined;
    if (!session) {
      void vscode.window.showInformationMessage('flowctl: no pipeline is running.');
      return undefined;
    }
    return ctx.staleness.apply(session);
  });

  register('flowctl.revealComponent', async (arg?: unknown) => {
    if (!isComponentRef(arg) || !arg.key || arg.key.startsWith('connect:')) return;
    const doc = await openPipelineDocument(arg.key);
    const parsed = await parseDocument(doc);
    const view = ctx.session(arg.key)?.view(arg.id);
    const spec = parsed.pipeline && [...parsed.pipeline.spec.sources, ...parsed.pipeline.spec.processors, ...parsed.pipeline.spec.sinks, ...parsed.pipeline.spec.pipelines].find((c) => c.id === arg.id);
    const pos = spec?.position ?? view?.position;
    const editor = await vscode.window.showTextDocument(doc, { preview: false });
    if (pos) {
      const range = toRange({ line: pos.line, column: pos.column });
      editor.selection = new vscode.Selection(range.start, range.start);
      editor.revealRange(range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
    }
  });

  register('flowctl.revealInTree', async (arg?: unknown) => {
    if (isComponentRef(arg)) await hooks.revealInTree(arg);
    else await vscode.commands.executeCommand('flowctl.services.focus');
  });

  register('flowctl.validatePipeline', async (arg?: unknown) => {
    const file = await pickPipelineFile(ctx, arg, 'run');
    if (!file) return undefined;
    const doc = await openPipelineDocument(file);
    const parsed = await ctx.diagnostics.validate(doc);
    if (!parsed.isPipeline) {
      void vscode.window.showWarningMessage(`flowctl: ${path.basename(file)} is not a pipeline file.`);
      return parsed;
    }
    const errors = parsed.diagnostics.filter((d) => d.severity === 'error').length;
    const warnings = parsed.diagnostics.filter((d) => d.severity === 'warning').length;
    if (errors || warnings) {
      await vscode.commands.executeCommand('workbench.actions.view.problems');
      void vscode.window.showWarningMessage(`flowctl: ${path.basename(file)}: ${errors} error(s), ${warnings} warning(s).`);
    } else {
      void vscode.window.showInformationMessage(`flowctl: ${path.basename(file)} is valid.`);
    }
    return parsed;
  });

  register('flowctl.connect', async (arg?: unknown) => {
    // A caller may pass "host:port", or { address, pipeline?, file? } (Deploy to Swarm names what it deployed).
    let target: ConnectTarget | undefined = typeof arg === 'string' ? { address: arg } : connectArg(arg);
    if (!target) {
      const { candidates, endpointFile } = await connectCandidates();
      const items: (vscode.QuickPickItem & { target?: ConnectTarget })[] = candidates.map((c) => ({ ...c }));
      items.push({ label: '$(edit) Enter host:port…', detail: candidates.length ? undefined : `No running control plane is listed in ${endpointFile}` });
      const pick = await vscode.window.showQuickPick(items, { placeHolder: 'Control plane to connect to', matchOnDetail: true });
      if (!pick) return undefined;
      if (pick.target) {
        target = pick.target;
      } else {
        const address = await vscode.window.showInputBox({
          prompt: 'Control plane address (host:port)',
          value: '127.0.0.1:8080',
          validateInput: (v) => (/^[^\s:]+:\d{1,5}$|^\[[0-9a-f:]+\]:\d{1,5}$/i.test(v.trim()) ? undefined : 'Expected host:port, e.g. 127.0.0.1:8080'),
        });
        if (!address) return undefined;
        target = { address: address.trim() };
      }
    } else {
      // An address from a caller: the endpoint file may still tell which run is there (name, file, TLS).
      const known = (await connectCandidates()).candidates.find((c) => c.target.address === target!.address);
      if (known) target = { ...target, ...known.target };
    }
    const address = target.address;
    // The endpoint entry's TLS files win; the flowctl.tls.* settings fill in what it does not say.
    const s = readSettings();
    const base = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? process.cwd();
    const file = path.join(base, 'flow.yml');
    const fromSettings = {
      caFile: s.caFile ? resolveSettingPath(s.caFile, file) : undefined,
      certFile: s.certFile ? resolveSettingPath(s.certFile, file) : undefined,
      keyFile: s.keyFile ? resolveSettingPath(s.keyFile, file) : undefined,
    };
    const useTls = !!target.tls || !!s.caFile;
    const conn = await ctx.connect({
      ...target,
      tls: useTls
        ? {
            ...(fromSettings.caFile ? { caFile: fromSettings.caFile } : {}),
            ...(fromSettings.certFile && fromSettings.keyFile ? { certFile: fromSettings.certFile, keyFile: fromSettings.keyFile } : {}),
            ...(target.tls ?? {}),
          }
        : null,
    });
    const snap = conn.snapshot();
    if (snap.error) void vscode.window.showWarningMessage(`flowctl: could not list the services at ${address}: ${snap.error}`);
    else await vscode.commands.executeCommand('flowctl.services.focus');
    return snap;
  });

  register('flowctl.disconnect', () => ctx.disconnect());

  register('flowctl.copyEndpoint', async () => {
    const endpoint = ctx.session()?.snapshot().endpoint ?? ctx.connected?.target.address;
    if (!endpoint) {
      void vscode.window.showInformationMessage('flowctl: no control plane is running.');
      return undefined;
    }
    await vscode.env.clipboard.writeText(endpoint);
    void vscode.window.showInformationMessage(`flowctl: copied ${endpoint}`);
    return endpoint;
  });

  register('flowctl.refresh', async () => {
    await ctx.refresh();
    hooks.refreshTree();
  });

  register('flowctl.showOutput', () => ctx.output.show());

  register('flowctl.openLogFile', async (arg?: unknown) => {
    const remote = connectedComponent(ctx, arg);
    const target = remote ? undefined : await pickComponent(ctx, arg);
    const logFile = remote ? remote.conn.view(remote.id)?.logFile : target && target.session.view(target.id)?.logFile;
    if (!logFile || !fs.existsSync(logFile)) throw new Error('no log file for this component yet');
    await vscode.window.showTextDocument(vscode.Uri.file(logFile), { preview: true });
  });
}
