// Debug Component (command flowctl.debugComponent; Services view, graph node menu, CodeLens): the
// runner restarts that one component under a debugger (core/debug), VS Code attaches to it, and when the
// debug session ends (or Stop Debugging Component, flowctl.stopDebuggingComponent) the component is
// restarted normally. While it lasts the tree, graph and lenses mark the component `debugging`. The rest of the pipeline keeps running; the
// runner holds the data for the component while it restarts and resumes it after.
import * as path from 'node:path';
import * as crypto from 'node:crypto';
import * as vscode from 'vscode';
import type { ComponentDebugger, DebugPlan, DebugTarget, FinishResult } from '../../core/debug';
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
  /** Settles when the component is back to normal after its debug session ended. */
  done: Promise<FinishResult | undefined>;
  settle(r: FinishResult | undefined): void;
}

/** How long Stop Debugging waits for the component to be restarted normally. */
const STOP_WAIT_MS = 90_000;

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
          unmark(d, 'run-ended');
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

  /** Clears the `debugging` mark (unless another Debug of the component began meanwhile). */
  function unmark(d: Debugged, result?: FinishResult): void {
    if (!byComponent.has(keyOf(d.file, d.id))) ctx.session(d.file)?.setDebugging(d.id, false);
    d.settle(result);
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
        title: 'Stop Debugging',
        run: () => vscode.commands.executeCommand('flowctl.stopDebuggingComponent', { key: session.file, id }),
      });
    }
    const controller = await controllerOf(session);
    let settle: (r: FinishResult | undefined) => void = () => undefined;
    const done = new Promise<FinishResult | undefined>((resolve) => (settle = resolve));
    const d: Debugged = { token: crypto.randomBytes(12).toString('hex'), file: session.file, id, done, settle };
    byComponent.set(keyOf(session.file, id), d);
    session.setDebugging(id, true);
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
      unmark(d);
      throw err;
    }
  }

  /** Ends the debug session of a component; resolves when it runs normally again. */
  async function stopDebugging(arg: unknown): Promise<FinishResult | undefined> {
    const ref = refOf(arg) ?? (await pickDebugged());
    if (!ref) return undefined;
    const d = byComponent.get(keyOf(ref.key, ref.id));
    if (!d) throw new DebugUserError(`${ref.id} is not being debugged`);
    if (!d.session) throw new DebugUserError(`${ref.id} is still being restarted under its debugger`, 'wait until VS Code has attached, then stop it');
    return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `flowctl: restarting ${ref.id} without the debugger…` }, async () => {
      await vscode.debug.stopDebugging(d.session);
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), STOP_WAIT_MS)));
      try {
        const result = await Promise.race([d.done, late]);
        if (!result) throw new DebugUserError(`${ref.id} was not restarted within ${STOP_WAIT_MS / 1000} s of its debug session ending`, 'see its terminal and the flowctl output');
        return result;
      } finally {
        clearTimeout(timer);
      }
    });
  }

  async function pickDebugged(): Promise<{ key: string; id: string } | undefined> {
    const all = [...byComponent.values()];
    if (all.length === 0) throw new DebugUserError('no component is being debugged');
    if (all.length === 1) return { key: all[0].file, id: all[0].id };
    const pick = await vscode.window.showQuickPick(
      all.map((d) => ({ label: d.id, description: vscode.workspace.asRelativePath(d.file), d })),
      { placeHolder: 'Stop debugging which component?' },
    );
    return pick && { key: pick.d.file, id: pick.d.id };
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
    register('flowctl.stopDebuggingComponent', stopDebugging),
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
      if (!c) return unmark(d, 'run-ended');
      void c.finish(d.id, 'VS Code debug session ended').then(
        (result) => unmark(d, result),
        () => unmark(d, 'run-ended'),
      );
    }),
  );
  return { active: () => [...byComponent.keys()], lastError: () => lastError };
}

function describe(err: unknown): { message: string; fix?: string; action?: { title: string; run(): Thenable<unknown> } } {
  if (err instanceof DebugUserError) return { message: err.message, fix: err.fix, action: err.action };
  if (isDebugError(err)) return { message: err.message.split('\n')[0], fix: err.fix?.split('\n')[0] };
  return { message: String((err as Error)?.message ?? err) };
}
