// Debug Component (command flowctl.debugComponent; Services view, graph node menu, CodeLens): the
// runner restarts that one component under a debugger (core/debug), VS Code attaches to it, and when the
// debug session ends the component is restarted normally. The rest of the pipeline keeps running; the
// runner holds the data for the component while it restarts and resumes it after.
import * as path from 'node:path';
import * as crypto from 'node:crypto';
import * as vscode from 'vscode';
import type { ComponentDebugger, DebugPlan, DebugTarget } from '../../core/debug';
import type { PipelineRunner } from '../../core/runnerTypes';
import type { FlowctlContext } from '../context';
import type { RunSession } from '../session';
import { debuggerExtensionFor, DebugUserError, isDebugError } from './debuggers';

/** Property of the attach configuration that ties a VS Code debug session to a component. */
export const DEBUG_MARKER = '__flowctlDebug';

/** One component being debugged in this window. */
interface Debugged {
  token: string;
  file: string;
  id: string;
  session?: vscode.DebugSession;
  target?: DebugTarget;
}

export interface DebugResult {
  id: string;
  file: string;
  target: DebugTarget;
  /** Name of the VS Code debug session. */
  sessionName: string;
}

export interface DebugFeature {
  /** `file#id` of every component being debugged in this window. */
  active(): string[];
  /** The last error the command showed (message and fix), for tests. */
  lastError(): string | undefined;
}

type CoreDebug = typeof import('../../core/debug');
let coreDebug: Promise<CoreDebug> | undefined;
const loadCore = () => (coreDebug ??= import('../../core/debug'));

function refOf(arg: unknown): { key: string; id: string } | undefined {
  const a = arg as { key?: unknown; id?: unknown } | undefined;
  return a && typeof a === 'object' && typeof a.key === 'string' && typeof a.id === 'string' ? { key: a.key, id: a.id } : undefined;
}

export function registerDebug(ctx: FlowctlContext): DebugFeature {
  const controllers = new WeakMap<PipelineRunner, ComponentDebugger>();
  const byToken = new Map<string, Debugged>();
  const byComponent = new Map<string, Debugged>();
  const keyOf = (file: string, id: string) => `${file}#${id}`;
  let lastError: string | undefined;

  const say = (session: RunSession) => (id: string, level: 'info' | 'warning' | 'error', message: string) => {
    session.terminalFor(id)?.notice(message, level);
    ctx.output[level === 'warning' ? 'warn' : level](`[${id}] ${message}`);
  };

  async function controllerOf(session: RunSession): Promise<ComponentDebugger> {
    let c = controllers.get(session.runner);
    if (!c) {
      const { ComponentDebugger } = await loadCore();
      c = new ComponentDebugger(session.runner, say(session));
      controllers.set(session.runner, c);
      const made = c;
      // The run ended: its debug sessions end with their processes; nothing to restart.
      void session.ended.then(() => {
        made.clear();
        for (const d of [...byComponent.values()].filter((x) => x.file === session.file)) {
          forget(d);
          if (d.session) void vscode.debug.stopDebugging(d.session);
        }
      });
    }
    return c;
  }

  function forget(d: Debugged): void {
    byToken.delete(d.token);
    if (byComponent.get(keyOf(d.file, d.id)) === d) byComponent.delete(keyOf(d.file, d.id));
  }

  /** The session and component the command is about (a tree item, graph node or lens, an id, or a pick). */
  async function target(arg: unknown): Promise<{ session: RunSession; id: string } | undefined> {
    const ref = refOf(arg);
    if (ref) {
      if (ref.key.startsWith('connect:')) {
        throw new DebugUserError(
          `cannot debug ${ref.id}: it belongs to a control plane this window is connected to (read-only)`,
          'debug it in the VS Code window that runs its pipeline (or run the pipeline here)',
        );
      }
      const session = ctx.session(ref.key);
      if (!session) throw new DebugUserError(`cannot debug ${ref.id}: ${path.basename(ref.key)} is not running in this window`, 'run the pipeline first');
      return { session, id: ref.id };
    }
    const runs = ctx.runs();
    if (runs.length === 0) {
      if (ctx.connected) throw new DebugUserError('cannot debug a component of a connected control plane (read-only)', 'debug it in the VS Code window that runs its pipeline');
      throw new DebugUserError('no pipeline is running in this window', 'run a pipeline, then debug one of its components');
    }
    const session =
      runs.length === 1
        ? runs[0]
        : (await vscode.window.showQuickPick(runs.map((s) => ({ label: s.name(), description: vscode.workspace.asRelativePath(s.file), s })), { placeHolder: 'Debug a component of which pipeline?' }))?.s;
    if (!session) return undefined;
    if (typeof arg === 'string') return { session, id: arg };
    const running = session.componentIds().filter((id) => session.view(id)?.phase === 'running');
    const id = await vscode.window.showQuickPick(running.length ? [...running] : [...session.componentIds()], { placeHolder: 'Debug which component?' });
    return id ? { session, id } : undefined;
  }

  async function debugComponent(arg: unknown): Promise<DebugResult | undefined> {
    const picked = await target(arg);
    if (!picked) return undefined;
    const { session, id } = picked;
    const existing = byComponent.get(keyOf(session.file, id));
    if (existing) {
      throw new DebugUserError(`${id} is already being debugged`, 'stop its debug session first; the component is then restarted normally', {
        title: 'Show Debug View',
        run: () => vscode.commands.executeCommand('workbench.view.debug'),
      });
    }
    const controller = await controllerOf(session);
    const d: Debugged = { token: crypto.randomBytes(12).toString('hex'), file: session.file, id };
    byComponent.set(keyOf(session.file, id), d);
    try {
      return await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `flowctl: debugging ${id}` },
        async (progress) => {
          progress.report({ message: 'checking how to debug it…' });
          const plan: DebugPlan = await controller.prepare(id);
          const extension = debuggerExtensionFor(plan.runtime);
          progress.report({ message: `restarting it under ${plan.debugger}…` });
          session.terminalFor(id)?.notice(`debug requested (${plan.runtime})`);
          const t = await controller.start(plan);
          d.target = t;
          progress.report({ message: `attaching to ${t.host}:${t.port}…` });
          const { attachConfiguration } = await loadCore();
          const name = `flowctl: ${id}`;
          const config = attachConfiguration(t, { name, pythonType: extension.debugType, extra: { [DEBUG_MARKER]: d.token } }) as vscode.DebugConfiguration;
          byToken.set(d.token, d);
          const folder = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(session.file));
          const started = await vscode.debug.startDebugging(folder, config);
          if (!started) {
            forget(d);
            await controller.finish(id, 'VS Code could not attach');
            throw new DebugUserError(`VS Code could not attach to ${id} at ${t.host}:${t.port}`, `see the Debug Console and the ${extension.label} output`);
          }
          return { id, file: session.file, target: t, sessionName: name };
        },
      );
    } catch (err) {
      forget(d);
      throw err;
    }
  }

  const register = (command: string, fn: (arg?: unknown) => unknown) =>
    vscode.commands.registerCommand(command, async (arg?: unknown) => {
      try {
        return await fn(arg);
      } catch (err) {
        const { message, fix, action } = describe(err);
        lastError = `${message}${fix ? ` (${fix})` : ''}`;
        ctx.output.error(`${command}: ${message}${fix ? ` — ${fix}` : ''}`);
        const buttons = action ? [action.title] : [];
        void vscode.window.showErrorMessage(`flowctl: ${message}${fix ? ` (${fix})` : ''}`, ...buttons).then((b) => {
          if (b && action) void action.run();
        });
        return undefined;
      }
    });

  ctx.pushExtCleanup(
    register('flowctl.debugComponent', debugComponent),
    vscode.debug.onDidStartDebugSession((s) => {
      const d = byToken.get(String(s.configuration?.[DEBUG_MARKER] ?? ''));
      if (!d || s.parentSession || d.session) return;
      d.session = s;
      const run = ctx.session(d.file);
      run?.terminalFor(d.id)?.notice(`debug: VS Code attached (debug session "${s.name}"); stop the debug session to run ${d.id} normally again`);
    }),
    vscode.debug.onDidTerminateDebugSession((s) => {
      const d = byToken.get(String(s.configuration?.[DEBUG_MARKER] ?? ''));
      if (!d || s.parentSession || (d.session && d.session !== s)) return;
      forget(d);
      const run = ctx.session(d.file);
      const c = run && controllers.get(run.runner);
      if (c) void c.finish(d.id, 'VS Code debug session ended');
    }),
  );
  return { active: () => [...byComponent.keys()], lastError: () => lastError };
}

function describe(err: unknown): { message: string; fix?: string; action?: { title: string; run(): Thenable<unknown> } } {
  if (err instanceof DebugUserError) return { message: err.message, fix: err.fix, action: err.action };
  if (isDebugError(err)) return { message: err.message.split('\n')[0], fix: err.fix?.split('\n')[0] };
  return { message: String((err as Error)?.message ?? err) };
}
