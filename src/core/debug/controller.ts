// Debugging one component of a live run: it is restarted under a debugger (the runner holds the edges
// into it while it is down and resumes them when it is back; the rest of the pipeline keeps running),
// the debugger's address is found, and when the debug session ends it is restarted normally. One debug
// session per component at a time. Front ends (the extension) attach their debugger in between.
import type { ComponentView, RunnerEvent } from '../events';
import type { PipelineRunner } from '../runnerTypes';
import { findCommand } from '../pipeline/commands';
import type { DebugTarget } from './attach';
import { parseInspectorLine, portListens } from './listener';
import { DebugError, LOOPBACK, planDebug, type DebugPlan } from './plan';
import { programFacts } from './probe';
import { checkNeeds, freeLoopbackPort } from './tools';

export type Say = (id: string, level: 'info' | 'warning' | 'error', message: string) => void;

/** What finish() did. */
export type FinishResult = 'restarted' | 'stopped-by-hand' | 'already-normal' | 'run-ended' | 'not-debugging';

interface Active {
  state: 'starting' | 'attached' | 'ending';
  plan: DebugPlan;
  target?: DebugTarget;
}

const PHASE_WORDS: Partial<Record<ComponentView['phase'], string>> = {
  pending: 'it has not started yet',
  waiting: 'it waits for its dependencies',
  starting: 'it is still starting',
  restarting: 'it is restarting',
  exited: 'it has exited',
  stopping: 'it is stopping',
  stopped: 'it was stopped',
};

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

export class ComponentDebugger {
  private readonly active = new Map<string, Active>();

  constructor(
    private readonly runner: PipelineRunner,
    private readonly say: Say = () => undefined,
  ) {}

  isDebugging(id: string): boolean {
    return this.active.has(id);
  }

  /** The target of a component being debugged (once its debugger listens). */
  target(id: string): DebugTarget | undefined {
    return this.active.get(id)?.target;
  }

  /**
   * Everything that can be checked without touching the component: the run and the component are
   * running, it runs as a process, how to start it under a debugger, and that the debugger is there.
   * Throws DebugError with a message and a fix.
   */
  async prepare(id: string): Promise<DebugPlan> {
    const snap = this.runner.snapshot();
    const view = snap.components.find((c) => c.id === id);
    if (!view) throw new DebugError('not-running', `no component "${id}" in this run of ${snap.pipelineName || 'the pipeline'}`);
    if (snap.state !== 'running') throw new DebugError('not-running', `cannot debug ${id}: the run is ${snap.state}`, snap.state === 'starting' ? 'wait until the pipeline runs' : 'run the pipeline first');
    if (this.active.has(id)) throw new DebugError('busy', `${id} is already being debugged`, 'stop that debug session first (it restarts the component normally)');
    if (view.phase !== 'running') {
      throw new DebugError('not-running', `cannot debug ${id}: ${PHASE_WORDS[view.phase] ?? `it is ${view.phase}`}`, 'debug a component while it runs (start or restart it first)');
    }
    const info = this.runner.componentStartInfo?.(id);
    if (!info) throw new DebugError('unsupported', `this run cannot tell how it starts ${id}`);
    if (info.driver === 'docker') {
      throw new DebugError('container', `cannot debug ${id}: it runs in a container (docker driver), and debugging containers is not supported`, 'run it as a local process (a `command`, driver: process) to debug it');
    }
    if (info.driver === 'external') {
      throw new DebugError('unsupported', `cannot debug ${id}: this run does not start it (--components external); it runs elsewhere`, 'debug it where it runs, or run the pipeline with managed components');
    }
    const spec = info.spec;
    const env: NodeJS.ProcessEnv = { ...process.env, ...this.runner.options.env, ...spec.env };
    const command = spec.command ?? [];
    const found = command[0] ? findCommand(command[0], info.cwd, env) : undefined;
    const resolved = found?.kind === 'ok' ? found.path : undefined;
    const planned = planDebug({
      id,
      command,
      args: spec.args,
      debug: spec.debug,
      cwd: info.cwd,
      facts: resolved ? programFacts(resolved) : {},
      resolvedProgram: resolved,
      freePort: await freeLoopbackPort(),
      nodeOptions: env.NODE_OPTIONS,
    });
    if (!planned.ok) throw planned.error;
    await checkNeeds(planned.plan.needs, info.cwd, env);
    return planned.plan;
  }

  /**
   * Restarts the component under the debugger and resolves when the debugger listens (its address).
   * If it does not come up, the component is restarted normally and the promise rejects.
   */
  async start(plan: DebugPlan): Promise<DebugTarget> {
    const id = plan.id;
    if (this.active.has(id)) throw new DebugError('busy', `${id} is already being debugged`);
    const entry: Active = { state: 'starting', plan };
    this.active.set(id, entry);
    let inspector: { host: string; port: number; websocketUrl: string } | undefined;
    let relaunched = false;
    let died: string | undefined;
    const sub = this.runner.onEvent((e: RunnerEvent) => {
      if (e.type === 'log' && e.componentId === id && plan.ready === 'inspector-line' && !inspector) {
        inspector = parseInspectorLine(e.line);
      } else if (e.type === 'component' && e.view.id === id && relaunched && (e.view.phase === 'exited' || e.view.phase === 'restarting')) {
        died ??= e.view.exitSignal ? `it was killed by ${e.view.exitSignal}` : `it exited with code ${e.view.exitCode ?? '?'}`;
      }
    });
    try {
      this.say(id, 'info', `debug: restarting ${id} under ${plan.debugger}: ${plan.commandLine}`);
      await this.runner.restartComponent(id, { override: plan.override });
      relaunched = true;
      const now = this.runner.snapshot().components.find((c) => c.id === id);
      if (now && (now.phase === 'exited' || now.phase === 'restarting')) died ??= `it exited with code ${now.exitCode ?? '?'}`;
      const deadline = Date.now() + plan.listenTimeoutMs;
      let port: number | undefined;
      let websocketUrl: string | undefined;
      for (;;) {
        if (died) throw new DebugError('exited', `${id} did not start under ${plan.debugger}: ${died}`, this.tailHint(id));
        if (plan.ready === 'inspector-line' && inspector) {
          if (!isLoopback(inspector.host)) throw new DebugError('no-listener', `${id}: the inspector listens on ${inspector.host}, not on loopback; refusing to attach`, 'let it listen on 127.0.0.1');
          port = inspector.port;
          websocketUrl = inspector.websocketUrl;
          break;
        }
        if (plan.ready === 'port' && plan.port !== undefined && (await portListens(plan.port, plan.runtime === 'go'))) {
          port = plan.port;
          break;
        }
        if (Date.now() > deadline) {
          throw new DebugError('no-listener', `${id}: ${plan.debugger} did not start listening within ${Math.round(plan.listenTimeoutMs / 1000)} s`, this.tailHint(id));
        }
        await new Promise((r) => setTimeout(r, 100));
      }
      const pid = this.runner.snapshot().components.find((c) => c.id === id)?.pid;
      entry.target = { runtime: plan.runtime, host: LOOPBACK, port, websocketUrl, pid, cwd: plan.cwd, program: plan.program };
      entry.state = 'attached';
      this.say(id, 'info', `debug: ${plan.debugger} listens on ${LOOPBACK}:${port}${pid ? ` (pid ${pid})` : ''}; the editor attaches`);
      return entry.target;
    } catch (err) {
      this.active.delete(id);
      if (relaunched) await this.restartNormally(id, 'its debugger start failed');
      throw err;
    } finally {
      sub.dispose();
    }
  }

  /**
   * The debug session of a component ended (or never attached): restart it normally when it still runs
   * its debugger start; leave it alone when it was stopped by hand, already restarted normally, or the
   * run is over.
   */
  async finish(id: string, why: string): Promise<FinishResult> {
    const entry = this.active.get(id);
    if (!entry || entry.state === 'ending') return 'not-debugging';
    entry.state = 'ending';
    try {
      const snap = this.runner.snapshot();
      if (snap.state !== 'running') return 'run-ended';
      const info = this.runner.componentStartInfo?.(id);
      const view = snap.components.find((c) => c.id === id);
      if (!info || !view) return 'run-ended';
      if (!info.overridden) {
        this.say(id, 'info', `debug: the debug session ended (${why}); ${id} already runs without the debugger`);
        return 'already-normal';
      }
      if (view.phase === 'stopped' || view.phase === 'stopping') {
        this.say(id, 'info', `debug: the debug session ended (${why}); ${id} stays stopped (its next start runs without the debugger)`);
        return 'stopped-by-hand';
      }
      return (await this.restartNormally(id, `the debug session ended (${why})`)) ? 'restarted' : 'run-ended';
    } finally {
      this.active.delete(id);
    }
  }

  /** Forgets every session without touching components (the run is over). */
  clear(): void {
    this.active.clear();
  }

  private async restartNormally(id: string, why: string): Promise<boolean> {
    this.say(id, 'info', `debug: ${why}; restarting ${id} without the debugger`);
    try {
      await this.runner.restartComponent(id);
      const pid = this.runner.snapshot().components.find((c) => c.id === id)?.pid;
      this.say(id, 'info', `debug: ${id} restarted without the debugger${pid ? ` (pid ${pid})` : ''}`);
      return true;
    } catch (err) {
      this.say(id, 'warning', `debug: could not restart ${id} without the debugger: ${(err as Error)?.message ?? err}`);
      return false;
    }
  }

  private tailHint(id: string): string {
    const tail = this.runner.logTail(id, 6).map((l) => l.trim()).filter(Boolean);
    return tail.length ? `its last output:\n${tail.join('\n')}` : 'see its terminal for its output';
  }
}
