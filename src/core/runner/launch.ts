// Starting one component: its environment (the flowctl contract), a driver handle (a fresh one when its
// spec changed or the last start was a one-time override), the start, and the registration it owes.
import type { ComponentOverride } from '../runnerTypes';
import { componentEnv, runSpecOf } from '../drivers/factory';
import { registrationTimeoutMessage } from './messages';
import { onProcessEvent } from './processFacts';
import { checkRunEnd } from './runEnd';
import { RUN_DEFAULTS, mustRegister, type Comp, type Run } from './run';

/** Environment variables every component gets from the runner; a one-time override cannot change them. */
const CONTRACT_ENV = ['ENABLE_FLOWCTL', 'FLOWCTL_ENDPOINT', 'FLOWCTL_HEARTBEAT_INTERVAL', 'FLOWCTL_SERVICE_ID', 'FLOWCTL_COMPONENT_ID'];

/** Starts a component (its first start, a start by hand, the second half of a restart). */
export async function launch(run: Run, c: Comp, override?: ComponentOverride): Promise<void> {
  const cp = run.cp;
  if (run.ending || !cp) return;
  const id = c.spec.id;
  run.sequencer.cancel(id);
  c.state.launching();
  run.table.update(id, { waitingFor: [], problem: undefined });
  if (c.driver.kind === 'external') {
    // A hub starts nothing: the component is expected to register from wherever it runs, whenever it
    // comes (an image being pulled, a pod being scheduled): no registration timeout.
    if (!c.handle) {
      const handle = c.driver.create({ id, runId: run.runId!, pipeline: run.pipeline!.metadata.name, cwd: run.pipeline!.dir, env: {} });
      c.handle = handle;
      c.handleSub = handle.events.on((e) => onProcessEvent(run, c, handle, e));
    }
    c.spawnedAt = Date.now();
    c.handle.start();
    run.table.update(id, { problem: mustRegister(c.spec) ? 'waiting for it to register from where it runs' : undefined });
    if (!mustRegister(c.spec)) c.state.registeredNow();
    run.sequencer.update();
    return;
  }
  if (!c.handle || override || c.overridden || c.stale) {
    // A changed spec may run another way now (a command given to an image-only component, or taken away).
    const kind = run.kindOf(c.spec);
    const env = await componentEnv(
      kind,
      { id, role: c.spec.role, env: c.spec.env, config: c.spec.config, healthPort: c.spec.health_port },
      { endpoint: cp.endpoint, extraEnv: run.options.env },
    );
    for (const [k, v] of Object.entries(override?.env ?? {})) if (!CONTRACT_ENV.includes(k)) env[k] = v;
    if (run.ending) return;
    if (c.handle) {
      c.handleSub?.dispose();
      c.driver.release?.(id);
    }
    if (kind !== c.driver.kind) c.driver = run.driverOf(kind);
    run.table.update(id, { driver: kind, image: kind === 'docker' ? c.spec.image : undefined, containerId: undefined });
    const network = run.options.network ?? 'host';
    // Bridge containers reach an embedded control plane through its unix socket, mounted into them.
    const controlSocket = kind === 'docker' && network === 'bridge' ? await cp.containerSocket?.() : undefined;
    if (run.ending) return;
    const handle = c.driver.create(
      runSpecOf(c.spec, { runId: run.runId!, pipeline: run.pipeline!, kind, env, logFile: run.logs?.fileOf(id), override, network, controlSocket }),
    );
    c.handle = handle;
    c.handleSub = handle.events.on((e) => onProcessEvent(run, c, handle, e));
    c.overridden = !!override;
    c.stale = false;
    if (override) {
      const cmd = [...(override.command ?? c.spec.command ?? []), ...(override.args ?? c.spec.args ?? [])];
      const env = override.env ? ` (+ env ${Object.keys(override.env).join(', ')})` : '';
      run.notice('info', `${id}: this start uses an override: ${cmd.join(' ')}${env}; the next restart uses the pipeline file again`, id);
    }
  }
  c.spawnedAt = Date.now();
  c.handle!.start();
  run.marks.firstSpawn ??= performance.now();
  run.marks.lastSpawn = performance.now();
  if (!mustRegister(c.spec)) {
    // Black boxes (spec.pipelines) are started, not required to register (as flowctl).
    if (c.handle!.state === 'running') c.state.registeredNow();
    run.sequencer.update();
    return;
  }
  armRegistrationTimer(run, c);
}

/** launch() threw (the environment could not be built, the driver refused the spec). */
export function launchFailed(run: Run, c: Comp, err: unknown): void {
  const message = `component ${c.spec.id} could not start: ${err instanceof Error ? err.message : String(err)}`;
  c.state.spawnFailed();
  run.table.update(c.spec.id, { problem: message });
  run.notice('error', message, c.spec.id);
  run.startup?.failure.reject(new Error(message));
  run.dp?.expect(c.spec.id, false);
  checkRunEnd(run);
}

/**
 * A started component must register within the registration timeout: during start-up the start fails;
 * later (a restart) it is reported, and events held for it are no longer held back for it.
 */
export function armRegistrationTimer(run: Run, c: Comp): void {
  clearTimeout(c.regTimer);
  const timeoutMs = run.options.registrationTimeoutMs ?? RUN_DEFAULTS.registrationTimeoutMs;
  c.regTimer = setTimeout(() => {
    if (c.state.registered || c.state.state !== 'starting') return;
    const message = timeoutMessage(run, c, timeoutMs);
    if (run.startup) {
      run.startup.failure.reject(new Error(message));
      return;
    }
    run.table.update(c.spec.id, { problem: `did not register within ${Math.round(timeoutMs / 1000)}s` });
    run.notice('warning', message, c.spec.id);
    // Nobody knows when it comes: events held for it drop (counted) instead of holding its upstream.
    run.dp?.expect(c.spec.id, false);
  }, timeoutMs);
  c.regTimer.unref();
}

function timeoutMessage(run: Run, c: Comp, timeoutMs: number): string {
  const h = c.handle;
  const strangers = run.cp?.list().filter((r) => !run.componentOf.has(r.serviceId) && (r.registeredAt ?? 0) >= (run.startedAt ?? 0));
  return registrationTimeoutMessage({
    id: c.spec.id,
    timeoutMs,
    pid: h?.state === 'running' ? h.pid : undefined,
    exitCode: h?.exitCode,
    strangers: strangers ?? [],
    endpoint: run.cp?.endpoint,
    tail: h?.tail(10) ?? [],
  });
}
