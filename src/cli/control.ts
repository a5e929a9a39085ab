// What `flowctl restart|stop|start <component-id>` and `flowctl stop` (the whole run) do: find the run
// (runTarget.ts), call its runner service, wait until the component is back (or the run has ended), and
// say what happened — or why not, with exit code 1.
import { UsageError, type ParsedArgs } from './args';
import type { EndpointFlags } from './client';
import { endpointFlagSpecs } from './commands/status';
import { connectRun, elapsed, explain, waitForComponent, waitForEntryGone, waitForExit, type RunTarget } from './runTarget';
import type { ComponentView } from '../core/events';
import type { ComponentActionResult } from '../core/runctl/client';
import { jsonForTerminal, sanitizeField } from '../core/text/terminal';

export const controlFlags = {
  ...endpointFlagSpecs,
  'control-plane-addr': { type: 'string', hidden: true, description: 'control plane host:port (legacy)' },
  wait: { type: 'boolean', default: true, description: 'wait until the component has registered again (restart, start) or the run has ended (stop without an id)' },
  timeout: { type: 'duration', default: 60_000, description: 'how long to wait for the action' },
  json: { type: 'boolean', default: false, description: 'print JSON' },
} as const;

type Flags = ParsedArgs<typeof controlFlags>['flags'];
export type ComponentAction = 'restart' | 'stop' | 'start';

const PAST: Record<ComponentAction, string> = { restart: 'restarted', stop: 'stopped', start: 'started' };

function out(line: string): void {
  process.stdout.write(line + '\n');
}

function pidText(pid: number | undefined): string {
  return pid ? String(pid) : '-';
}

/** What runs it: `pid 123`, or for a container component `container 3f2a1b9c0d4e` (its short id). */
function whoText(v: ComponentView | undefined): string {
  if (v?.driver === 'docker') return `container ${v.containerId ? sanitizeField(v.containerId.slice(0, 12)) : '-'}`;
  return `pid ${pidText(v?.pid)}`;
}

/** `pid 1 → 2`, `container a → b`. */
function changeText(before: ComponentView | undefined, after: ComponentView | undefined): string {
  const was = whoText(before);
  const now = whoText(after);
  return was.split(' ')[0] === now.split(' ')[0] ? `${was} → ${now.slice(now.indexOf(' ') + 1)}` : `${was} → ${now}`;
}

function how(v: ComponentView): string {
  if (v.exitSignal) return `was killed by ${v.exitSignal}`;
  if (typeof v.exitCode === 'number') return `exited with code ${v.exitCode}`;
  return 'ended';
}

function brief(v: ComponentView | undefined) {
  return v
    ? { phase: v.phase, pid: v.pid ?? null, health: v.health, restarts: v.restarts, registeredAt: v.registeredAt ?? null, ...(v.containerId ? { containerId: v.containerId } : {}) }
    : null;
}

/** Running again: registered after `before` was (components under spec.pipelines never register: a new process is enough). */
function backAgain(id: string, action: ComponentAction, before: ComponentView | undefined) {
  return (v: ComponentView): ComponentView | Error | undefined => {
    if (v.phase === 'exited') return new Error(`${id} ${how(v)} after the ${action}${v.problem ? ` (${sanitizeField(v.problem)})` : ''}; see its log${v.logFile ? ` ${v.logFile}` : ''}`);
    if (v.phase === 'running' && (v.registeredAt ?? 0) > (before?.registeredAt ?? 0)) return v;
    if (v.role === 'pipeline' && ((v.pid && v.pid !== before?.pid) || (v.containerId && v.containerId !== before?.containerId))) return v;
    return undefined;
  };
}

export async function componentCommand(action: ComponentAction, args: ParsedArgs<typeof controlFlags>): Promise<number> {
  const [id, extra] = args.positionals;
  if (!id) throw new UsageError(`usage: flowctl ${action} <component-id> [-f pipeline-file] [flags]`);
  if (extra !== undefined) throw new UsageError(`flowctl ${action} takes one component id (got "${extra}" too)`);
  const f: Flags = args.flags;
  const deadline = Date.now() + f.timeout;
  const t = await connectRun(f as EndpointFlags);
  try {
    const started = performance.now();
    let res: ComponentActionResult;
    try {
      res =
        action === 'restart'
          ? await t.client.restartComponent(id, f.timeout)
          : action === 'stop'
            ? await t.client.stopComponent(id, f.timeout)
            : await t.client.startComponent(id, f.timeout);
    } catch (err) {
      throw explain(err, t);
    }
    const { before } = res;
    const wasUp = before !== undefined && ['running', 'starting', 'restarting'].includes(before.phase);
    const wasDown = before !== undefined && ['stopped', 'exited', 'pending'].includes(before.phase);
    let after = res.after;
    let note: string | undefined;
    if (action === 'start' && wasUp) note = `${sanitizeField(id, 253)} is already running (${whoText(before)})`;
    else if (action === 'stop' && wasDown) note = `${id} was not running (${before?.phase})`;
    else if (action !== 'stop' && f.wait) {
      try {
        after = await waitForComponent(t.client, id, backAgain(id, action, before), Math.max(1000, deadline - Date.now()), `${id} registering again`);
      } catch (err) {
        throw explain(err, t);
      }
    }
    const ms = performance.now() - started;
    const run = await t.client.getRun().catch(() => undefined);
    if (f.json) {
      out(
        jsonForTerminal(
          {
            action,
            component: id,
            pipeline: run?.pipelineName ?? t.entry?.pipeline ?? null,
            file: run?.file ?? t.entry?.file ?? null,
            runnerPid: run?.runnerPid ?? t.entry?.pid ?? null,
            changed: note === undefined,
            before: brief(before),
            after: brief(after),
            durationMs: Math.round(ms),
          },
        ),
      );
      return 0;
    }
    if (note) out(note);
    else if (action === 'restart') out(`restarted ${id} (${changeText(before, after)}) in ${elapsed(ms)}`);
    else if (action === 'stop') out(`stopped ${id} (${whoText(before)}) in ${elapsed(ms)}`);
    else out(`${PAST[action]} ${id} (${whoText(after)}) in ${elapsed(ms)}`);
    return 0;
  } finally {
    t.client.close();
  }
}

/** `flowctl stop` without an id: stops the whole run and waits until it has ended. */
export async function stopRunCommand(args: ParsedArgs<typeof controlFlags>): Promise<number> {
  const f: Flags = args.flags;
  const deadline = Date.now() + f.timeout;
  const t: RunTarget = await connectRun(f as EndpointFlags);
  try {
    const run = await t.client.getRun().catch((err) => {
      throw explain(err, t);
    });
    const name = sanitizeField(run.pipelineName);
    const pid = run.runnerPid || t.entry?.pid;
    const started = performance.now();
    let res: { state: string };
    try {
      res = await t.client.stopRun(`flowctl stop (pid ${process.pid})`);
    } catch (err) {
      throw explain(err, t);
    }
    const report = (state: string, ended: boolean) => {
      const ms = Math.round(performance.now() - started);
      if (f.json) out(jsonForTerminal({ action: 'stop-run', pipeline: run.pipelineName, file: run.file, runId: run.runId ?? null, runnerPid: pid ?? null, state, ended, durationMs: ms }));
      else if (!ended) out(`stopping run ${name} (pid ${pidText(pid)})`);
      else out(`stopped run ${name} (pid ${pidText(pid)}) in ${elapsed(ms)}`);
    };
    if (res.state === 'stopped' || res.state === 'failed') {
      if (f.json) report(res.state, true);
      else out(`run ${name} had already ended (${res.state})`);
      return 0;
    }
    if (!f.wait) {
      report('stopping', false);
      return 0;
    }
    if (!f.json) out(`stopping run ${name} (pid ${pidText(pid)})…`);
    // The runner service's streams end when the run's control plane shuts down (the last step of a stop).
    const watch = t.client.watchRun(() => undefined, { minIntervalMs: 1000 });
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      watch.done.then(
        () => false,
        () => false,
      ),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), Math.max(0, deadline - Date.now())))),
    ]);
    clearTimeout(timer);
    watch.cancel();
    // Then its entry goes (the run's last step); a `flowctl run` process exits right after, an editor's
    // extension host of course does not (so its exit is waited for briefly, never required).
    const gone = timedOut ? false : t.entry ? await waitForEntryGone(t.entry, Math.max(0, deadline - Date.now())) : true;
    if (gone && t.entry) await waitForExit(t.entry, Math.min(2000, Math.max(0, deadline - Date.now())));
    if (!gone) throw new Error(`run ${name} (pid ${pidText(pid)}) is still stopping after ${elapsed(f.timeout)}; it may be waiting for components to exit (use --timeout to wait longer)`);
    report('stopped', true);
    return 0;
  } finally {
    t.client.close();
  }
}
