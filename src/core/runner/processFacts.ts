// What a component's driver says about its process: spawned (also by its restart policy), output lines,
// exits, failures to start. The component's state machine decides what an exit means: the end of a stop
// we asked for, or an exit of its own (then its edges hold and the user is told).
import type { ProcessEvent } from '../supervisor/process';
import type { ComponentHandle } from '../drivers/types';
import { HealthStatus } from '../controlplane/model';
import { armRegistrationTimer } from './launch';
import { checkRunEnd } from './runEnd';
import { mustRegister, type Comp, type Run } from './run';

export function onProcessEvent(run: Run, c: Comp, handle: ComponentHandle, e: ProcessEvent): void {
  if (c.handle !== handle) return;
  const id = c.spec.id;
  switch (e.type) {
    case 'spawned': {
      const auto = c.state.state === 'backoff';
      c.spawnedAt = Date.now();
      c.state.spawned();
      if (auto) c.restarts++;
      // A container's pid is its init process on this machine (0: not known here, e.g. a remote engine).
      const pid = e.pid > 0 ? e.pid : undefined;
      run.table.update(id, { pid, startedAt: Date.now(), exitCode: undefined, exitSignal: undefined, restarts: c.restarts, ...containerOf(handle) });
      if (auto) {
        run.notice('info', `${id} restarted (pid ${e.pid}, restart ${c.restarts})`, id);
        if (mustRegister(c.spec)) armRegistrationTimer(run, c);
        else c.state.registeredNow();
      }
      break;
    }
    case 'line':
      run.emit({ type: 'log', componentId: id, stream: e.stream, line: e.line, time: e.time });
      break;
    case 'exited':
      onExit(run, c, handle, e);
      break;
    case 'spawnError':
      clearTimeout(c.regTimer);
      c.state.spawnFailed();
      run.table.update(id, { problem: e.message, pid: undefined });
      run.notice('error', `${id}: ${e.message}`, id);
      run.startup?.failure.reject(new Error(`component ${id} could not start: ${e.message}`));
      run.dp?.expect(id, false);
      checkRunEnd(run);
      break;
    case 'stopped':
      break;
  }
}

/** The view fields of a container component: its current container (the tree shows a short id). */
function containerOf(handle: ComponentHandle): { containerId?: string } {
  return handle.containerId !== undefined ? { containerId: handle.containerId } : {};
}

function onExit(run: Run, c: Comp, handle: ComponentHandle, e: Extract<ProcessEvent, { type: 'exited' }>): void {
  const id = c.spec.id;
  clearTimeout(c.regTimer);
  const wasRegistered = c.state.registered;
  const meaning = c.state.exited({ code: e.code, signal: e.signal, willRestart: e.willRestart });
  run.table.update(id, { exitCode: e.code, exitSignal: e.signal, pid: undefined, ...(handle.containerId !== undefined ? { containerId: undefined } : {}) });
  if (meaning === 'expected') return; // we are stopping it: the stop goes on
  const how = e.signal ? `was killed by ${e.signal}` : `exited with code ${e.code}`;
  if (c.serviceId) run.cp?.markExited(c.serviceId);
  run.table.update(id, { health: HealthStatus.UNHEALTHY, problem: how });
  // Its edges hold: with a restart coming, a full buffer pauses its upstream; otherwise the oldest drop (counted).
  run.dp?.down(id, meaning === 'restarting');
  if (meaning === 'restarting') {
    run.notice('warning', `${id} ${how}; restarting in ${Math.round((e.restartInMs ?? 0) / 100) / 10}s (restart ${c.restarts + 1})`, id);
  } else {
    run.notice(meaning === 'exited' ? 'info' : 'error', `${id} ${how}`, id);
  }
  if (run.startup && mustRegister(c.spec) && !wasRegistered && meaning !== 'restarting') {
    const tail = c.handle?.tail(10) ?? [];
    run.startup.failure.reject(
      new Error(
        `component ${id} ${how} before it registered with the control plane` +
          (tail.length ? `\n  last lines of its log:\n${tail.map((l) => `    ${l}`).join('\n')}` : ''),
      ),
    );
  }
  checkRunEnd(run);
}
