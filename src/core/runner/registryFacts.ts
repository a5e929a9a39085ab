// What the control plane's registry says about the run's components: a registration (matched to a
// component, which then opens its own edges), heartbeats, health changes, unregistrations.
import type { RegistryEvent } from '../events';
import { HealthStatus, type ServiceRecord } from '../controlplane/model';
import { matchRegistration, type Candidate } from './registrations';
import type { Run } from './run';

export function onRegistryEvent(run: Run, e: RegistryEvent): void {
  // A hub: replicas beyond the first are its own (data-plane nodes of their component's group).
  const hub = run.hub;
  if (hub && e.type !== 'runChanged') {
    const sid = e.record.serviceId;
    if (e.type === 'registered') hub.noteRegistration(e.record);
    if (hub.isReplica(sid)) {
      if (e.type === 'registered') hub.replicaRegistered(e.record);
      else if (e.type === 'unregistered') hub.replicaGone(sid);
      else if (e.type === 'healthChanged') hub.replicaHealth(e.record);
      return;
    }
    if (e.type === 'unregistered' && run.componentOf.get(sid) === sid) {
      // The first replica left (its container stopped): its edges hold until a replica registers as it again.
      run.dp?.down(sid, true);
    }
  }
  switch (e.type) {
    case 'registered':
      void onRegistered(run, e.record);
      break;
    case 'heartbeat': {
      const id = run.componentOf.get(e.record.serviceId);
      if (id) run.table.update(id, { lastHeartbeat: e.record.lastHeartbeat, metrics: { ...e.record.metrics }, health: e.record.status });
      break;
    }
    case 'healthChanged': {
      const id = run.componentOf.get(e.record.serviceId);
      if (!id) break;
      if (e.reason === 'exited') {
        run.table.update(id, { health: e.record.status });
        break;
      }
      run.table.update(id, { health: e.record.status, problem: e.reason === 'stale' ? 'no heartbeat within the heartbeat TTL' : undefined });
      if (e.record.status === HealthStatus.UNHEALTHY && run.comps.get(id)?.state.state === 'running') {
        run.notice('warning', `${id} is unhealthy${e.reason === 'stale' ? ': no heartbeat within the heartbeat TTL' : ''}`, id);
      } else if (e.record.status === HealthStatus.HEALTHY && e.previous === HealthStatus.UNHEALTHY) {
        run.notice('info', `${id} is healthy again`, id);
      }
      break;
    }
    case 'unregistered': {
      const id = run.componentOf.get(e.record.serviceId);
      if (id) {
        run.table.update(id, { health: HealthStatus.UNKNOWN });
        run.notice('info', `${id} unregistered`, id);
      }
      break;
    }
    case 'runChanged':
      break;
  }
}

async function onRegistered(run: Run, record: ServiceRecord): Promise<void> {
  const cp = run.cp;
  if (!cp) return;
  const candidates = (): Candidate[] => [...run.comps.values()].map((c) => ({ id: c.spec.id, pid: c.handle?.pid, spawnedAt: c.spawnedAt }));
  const match = await matchRegistration(record, new Set(run.comps.keys()), candidates, cp.port);
  if (!match) {
    run.notice('warning', `a component registered as "${record.serviceId}" that is not part of this pipeline`);
    return;
  }
  const id = match.id;
  const c = run.comps.get(id);
  // A record older than the process (an earlier run's, kept by persistence or another control plane) is not this one.
  if (!c || c.spawnedAt === undefined || record.registeredAt + 1000 < c.spawnedAt) return;
  // Only a starting (or running: registering again) process registers; one we are stopping does not come back.
  const s = c.state.state;
  if (s !== 'starting' && s !== 'running') return;
  const again = s === 'running' && c.serviceId === record.serviceId;
  if (c.serviceId && c.serviceId !== record.serviceId) run.componentOf.delete(c.serviceId);
  c.serviceId = record.serviceId;
  c.accepts = record.info.input_event_types?.length ? [...record.info.input_event_types] : c.spec.input_event_types;
  run.componentOf.set(record.serviceId, id);
  clearTimeout(c.regTimer);
  const viaLegacy = record.legacy ? ' through the legacy flowctl.ControlPlane API' : '';
  const how =
    record.serviceId === id
      ? ''
      : match.how === 'process'
        ? ` under id "${record.serviceId}" (matched by its process)`
        : ` under id "${record.serviceId}" (matched by ${match.how === 'metadata' ? 'FLOWCTL_COMPONENT_ID in its metadata' : 'component id'})`;
  c.state.registeredNow();
  run.table.update(id, {
    serviceId: record.serviceId,
    endpoint: record.info.endpoint || record.legacy?.healthEndpoint,
    registeredAt: record.registeredAt,
    lastHeartbeat: record.lastHeartbeat,
    health: record.status,
    metrics: { ...record.metrics },
    problem: undefined,
  });
  if (!again) run.notice('info', `${id} registered${how}${viaLegacy}`, id);
  if (run.state === 'starting') run.marks.lastRegistration = performance.now();
  run.sequencer.update();
  // Its edges: open as soon as it is reachable (only its own; nothing else is touched).
  if (run.dp && c.spec.role !== 'pipeline') {
    if (record.legacy) {
      run.notice('info', `${id} registered through the legacy API; it wires its own data (not through flowctl)`, id);
      run.dp.exclude(id);
      c.wiring = Promise.resolve(false);
    } else {
      const accepts = record.info.input_event_types?.length ? record.info.input_event_types : undefined;
      c.wiring = run.dp.up(id, record.info.endpoint || undefined, accepts);
    }
  }
  run.progress.fire();
}
