// RunSnapshot (the runner's picture of a run) ⇄ the runner service's Run message. Only what a reader
// may see goes on the wire: no environment, no tokens, no run marker (the snapshot holds none of them,
// and this mapping names every field it copies, so a secret added to the snapshot later stays home).
import type { ComponentView, EdgeView, RunSnapshot, RunState } from '../events';
import type { WireComponent, WireEdge, WireRun } from './proto';

const num = (n: number | undefined | null): number => (typeof n === 'number' && Number.isFinite(n) ? n : 0);
const whole = (n: number | undefined | null): number => Math.max(0, Math.trunc(num(n)));

export function componentToWire(v: ComponentView): WireComponent {
  return {
    id: v.id,
    role: v.role,
    phase: v.phase,
    health: whole(v.health),
    pid: whole(v.pid),
    restarts: whole(v.restarts),
    has_exit_code: typeof v.exitCode === 'number',
    exit_code: typeof v.exitCode === 'number' ? v.exitCode : 0,
    exit_signal: v.exitSignal ?? '',
    service_id: v.serviceId ?? '',
    endpoint: v.endpoint ?? '',
    registered_at_ms: whole(v.registeredAt),
    last_heartbeat_ms: whole(v.lastHeartbeat),
    started_at_ms: whole(v.startedAt),
    metrics: { ...v.metrics },
    waiting_for: [...v.waitingFor],
    events_in: whole(v.eventsIn),
    events_out: whole(v.eventsOut),
    events_per_second: num(v.eventsPerSecond),
    log_file: v.logFile ?? '',
    problem: v.problem ?? '',
    flow: v.flow ?? '',
    waiting_on: [...(v.waitingOn ?? [])],
    events_in_per_second: num(v.eventsInPerSecond),
    events_out_per_second: num(v.eventsOutPerSecond),
    dropped: whole(v.dropped),
    dropped_by: Object.fromEntries(Object.entries(v.droppedBy ?? {}).map(([k, n]) => [k, whole(n)])),
    queued: whole(v.queued),
    driver: v.driver ?? '',
    image: v.image ?? '',
    container_id: v.containerId ?? '',
    line: whole(v.position?.line),
    column: whole(v.position?.column),
  };
}

function edgeToWire(e: EdgeView): WireEdge {
  return {
    from: e.from,
    to: e.to,
    events: whole(e.events),
    events_per_second: num(e.eventsPerSecond),
    dropped: whole(e.dropped),
    queued: whole(e.queued),
    state: e.state,
  };
}

export function runToWire(s: RunSnapshot, runnerPid: number): WireRun {
  return {
    run_id: s.runId ?? '',
    pipeline_name: s.pipelineName,
    file: s.file,
    state: s.state,
    endpoint: s.endpoint ?? '',
    started_at_ms: whole(s.startedAt),
    error: s.error ?? '',
    components: s.components.map(componentToWire),
    edges: (s.edges ?? []).map(edgeToWire),
    events_processed: whole(s.eventsProcessed),
    events_per_second: num(s.eventsPerSecond),
    dropped: whole(s.dropped),
    runner_pid: runnerPid,
    log_dir: s.logDir ?? '',
  };
}

const opt = (s: string | undefined): string | undefined => (s ? s : undefined);
const optNum = (n: number | undefined): number | undefined => (n ? Number(n) : undefined);

export function componentFromWire(w: WireComponent): ComponentView {
  const view: ComponentView = {
    id: w.id,
    role: (w.role || 'processor') as ComponentView['role'],
    phase: (w.phase || 'pending') as ComponentView['phase'],
    health: Number(w.health ?? 0),
    pid: optNum(w.pid),
    exitCode: w.has_exit_code ? Number(w.exit_code) : undefined,
    exitSignal: opt(w.exit_signal),
    restarts: Number(w.restarts ?? 0),
    serviceId: opt(w.service_id),
    endpoint: opt(w.endpoint),
    registeredAt: optNum(w.registered_at_ms),
    lastHeartbeat: optNum(w.last_heartbeat_ms),
    startedAt: optNum(w.started_at_ms),
    metrics: { ...(w.metrics ?? {}) },
    waitingFor: [...(w.waiting_for ?? [])],
    eventsIn: Number(w.events_in ?? 0),
    eventsOut: Number(w.events_out ?? 0),
    eventsPerSecond: Number(w.events_per_second ?? 0),
    logFile: opt(w.log_file),
    position: w.line ? { line: Number(w.line), column: Number(w.column) } : undefined,
    problem: opt(w.problem),
  };
  if (w.flow) view.flow = w.flow as ComponentView['flow'];
  if (w.waiting_on?.length) view.waitingOn = [...w.waiting_on];
  if (w.events_in_per_second) view.eventsInPerSecond = Number(w.events_in_per_second);
  if (w.events_out_per_second) view.eventsOutPerSecond = Number(w.events_out_per_second);
  if (w.dropped) view.dropped = Number(w.dropped);
  if (w.dropped_by && Object.keys(w.dropped_by).length) view.droppedBy = Object.fromEntries(Object.entries(w.dropped_by).map(([k, n]) => [k, Number(n)]));
  if (w.queued) view.queued = Number(w.queued);
  if (w.driver) view.driver = w.driver as ComponentView['driver'];
  if (w.image) view.image = w.image;
  if (w.container_id) view.containerId = w.container_id;
  return view;
}

export interface RemoteRunSnapshot extends RunSnapshot {
  /** The process running the pipeline. */
  runnerPid: number;
}

export function runFromWire(w: WireRun): RemoteRunSnapshot {
  return {
    runId: opt(w.run_id),
    pipelineName: w.pipeline_name,
    file: w.file,
    state: (w.state || 'idle') as RunState,
    endpoint: opt(w.endpoint),
    startedAt: optNum(w.started_at_ms),
    error: opt(w.error),
    components: (w.components ?? []).map(componentFromWire),
    eventsProcessed: Number(w.events_processed ?? 0),
    eventsPerSecond: Number(w.events_per_second ?? 0),
    edges: w.edges?.length
      ? w.edges.map((e) => ({
          from: e.from,
          to: e.to,
          events: Number(e.events),
          eventsPerSecond: Number(e.events_per_second),
          dropped: Number(e.dropped),
          queued: Number(e.queued),
          state: (e.state || 'open') as EdgeView['state'],
        }))
      : undefined,
    dropped: w.dropped ? Number(w.dropped) : undefined,
    logDir: opt(w.log_dir),
    runnerPid: Number(w.runner_pid ?? 0),
  };
}
