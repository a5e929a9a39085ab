// Actions on one component (the user's restart / stop / start): each goes through the component's state
// machine, touches only the edges that end or start at it, and runs after the previous action on the
// same component has finished.
import type { RestartOptions } from '../runnerTypes';
import { HealthStatus } from '../controlplane/model';
import type { StopIntent } from './componentState';
import { launch } from './launch';
import { notOursMessage } from '../drivers/external';
import type { Comp, Run } from './run';

/** Throws when the run cannot take component actions (not started, ending, ended). */
export function checkLive(run: Run, action: string): void {
  if (run.ending || run.state === 'idle' || run.state === 'stopped' || run.state === 'failed') {
    throw new Error(`cannot ${action}: the run is ${run.state === 'idle' ? 'not started' : run.ending ? 'stopping' : run.state}`);
  }
}

/** Actions on one component run one after the other. */
export function serialize(c: Comp, fn: () => Promise<void>): Promise<void> {
  const next = c.action.then(fn, fn);
  c.action = next.catch(() => undefined);
  return next;
}

/**
 * Stops one component: the edges into it hold, it finishes what it has (processor: flushes its outputs;
 * sink: answers its Consume; source: ends its stream when its process stops), then its process stops
 * with the grace period. Only its own edges change.
 */
export async function stopProcess(run: Run, c: Comp, intent: StopIntent, opts: { quiesce?: boolean } = {}): Promise<void> {
  const id = c.spec.id;
  clearTimeout(c.regTimer);
  c.state.stopping(intent);
  const expectBack = intent === 'restart';
  run.dp?.expect(id, expectBack);
  if (opts.quiesce !== false) await run.hurry(run.dp?.quiesce(id, run.graceMs()) ?? Promise.resolve());
  // A hub (external components) has no process to stop: the component only stops getting (or giving) events.
  if (c.driver.kind !== 'external') await c.handle?.stop(run.graceMs());
  run.dp?.down(id, expectBack);
  if (c.serviceId) run.cp?.markExited(c.serviceId);
  c.state.stopFinished();
  run.table.update(id, { pid: undefined, health: HealthStatus.UNKNOWN, problem: undefined, flow: undefined, waitingOn: undefined });
}

/** A hub does not run its components: actions on them are the orchestrator's. */
function checkOurs(c: Comp, action: string): void {
  if (c.driver.kind === 'external') throw new Error(notOursMessage(c.spec.id, action));
}

export function stopComponent(run: Run, id: string): Promise<void> {
  const c = run.comp(id);
  checkLive(run, `stop ${id}`);
  checkOurs(c, 'stop');
  return serialize(c, async () => {
    if (run.ending) return;
    if (c.state.state === 'pending' || c.state.state === 'waiting') {
      run.sequencer.cancel(id);
      c.state.stopping('user');
      c.state.stopFinished();
      run.table.update(id, { waitingFor: [] });
      run.notice('info', `${id} will not start (stopped by hand)`, id);
      return;
    }
    if (c.state.down) return;
    run.notice('info', `stopping ${id}`, id);
    await stopProcess(run, c, 'user');
    run.notice('info', `${id} stopped`, id);
  });
}

export function startComponent(run: Run, id: string): Promise<void> {
  const c = run.comp(id);
  checkLive(run, `start ${id}`);
  checkOurs(c, 'start');
  return serialize(c, async () => {
    if (run.ending || !c.state.down) return;
    run.notice('info', `starting ${id}`, id);
    await launch(run, c);
  });
}

/** Stop with the grace period, then start again (under `options.override` for this one start). */
export function restartComponent(run: Run, id: string, options?: RestartOptions, why = ''): Promise<void> {
  const c = run.comp(id);
  checkLive(run, `restart ${id}`);
  checkOurs(c, 'restart');
  return serialize(c, () => restart(run, c, options, why));
}

export async function restart(run: Run, c: Comp, options?: RestartOptions, why = ''): Promise<void> {
  const id = c.spec.id;
  if (run.ending) return;
  run.notice('info', `restarting ${id}${why}`, id);
  if (!c.state.down) await stopProcess(run, c, 'restart');
  if (run.ending) return;
  c.restarts++;
  run.table.update(id, { restarts: c.restarts });
  await launch(run, c, options?.override);
}
