// Conversions between the wire shapes (proto-loader objects: keepCase, longs as Number, enums as
// numbers, defaults filled) and the plain model in model.ts. Only the service adapters use these.
import {
  ComponentType,
  HealthStatus,
  RunStatus,
  ServiceType,
  emptyRunMetrics,
  type ComponentInfo,
  type ComponentMetrics,
  type PipelineRun,
  type RunMetrics,
  type ServiceRecord,
} from './model';

export interface WireTimestamp {
  seconds: number;
  nanos: number;
}

/** Longest id (service id, component id, run id) we accept; longer ones are INVALID_ARGUMENT. */
export const MAX_ID_LENGTH = 512;

export function isKnownComponentType(t: number): boolean {
  return Number.isInteger(t) && t >= ComponentType.UNSPECIFIED && t <= ComponentType.CONSUMER;
}

export function isKnownHealthStatus(s: number): boolean {
  return Number.isInteger(s) && s >= HealthStatus.UNKNOWN && s <= HealthStatus.STOPPING;
}

export function isKnownServiceType(t: number): boolean {
  return Number.isInteger(t) && t >= ServiceType.UNSPECIFIED && t <= ServiceType.PIPELINE;
}

export function isKnownRunStatus(s: number): boolean {
  return Number.isInteger(s) && s >= RunStatus.UNKNOWN && s <= RunStatus.STOPPED;
}

export function toTimestamp(ms: number): WireTimestamp | null {
  if (!ms) return null;
  const seconds = Math.floor(ms / 1000);
  return { seconds, nanos: Math.round((ms - seconds * 1000) * 1e6) };
}

/** ms since the epoch, or undefined for an unset timestamp. */
export function fromTimestamp(ts: WireTimestamp | null | undefined): number | undefined {
  if (!ts) return undefined;
  const ms = Number(ts.seconds) * 1000 + Math.floor(Number(ts.nanos || 0) / 1e6);
  return Number.isFinite(ms) ? ms : undefined;
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : v == null ? '' : String(v);
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.map(str) : [];
}

function stringMap(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (v && typeof v === 'object') for (const [k, val] of Object.entries(v)) out[k] = str(val);
  return out;
}

/** A ComponentInfo from a wire (or partial, in-process) object: every field present, copies only. */
export function componentInfoFromWire(raw: Partial<ComponentInfo> | null | undefined): ComponentInfo {
  const c = raw ?? {};
  return {
    id: str(c.id),
    name: str(c.name),
    description: str(c.description),
    version: str(c.version),
    type: Number(c.type ?? 0),
    input_event_types: strings(c.input_event_types),
    output_event_types: strings(c.output_event_types),
    endpoint: str(c.endpoint),
    metadata: stringMap(c.metadata),
  };
}

/** flowctl.v1.ComponentStatusResponse. */
export function statusResponseToWire(r: ServiceRecord): Record<string, unknown> {
  return {
    component: r.info,
    status: r.status,
    last_heartbeat: toTimestamp(r.lastHeartbeat),
    metrics: r.metrics,
    registered_at: toTimestamp(r.registeredAt),
  };
}

// ---- legacy (package flowctl) -------------------------------------------------------------------

/** Legacy ServiceType → v1 ComponentType (SINK → CONSUMER; PIPELINE and unknown → UNSPECIFIED). */
export function serviceTypeToComponentType(t: number): number {
  switch (t) {
    case ServiceType.SOURCE:
      return ComponentType.SOURCE;
    case ServiceType.PROCESSOR:
      return ComponentType.PROCESSOR;
    case ServiceType.SINK:
      return ComponentType.CONSUMER;
    default:
      return ComponentType.UNSPECIFIED;
  }
}

/** v1 ComponentType → legacy ServiceType (CONSUMER → SINK). */
export function componentTypeToServiceType(t: number): number {
  switch (t) {
    case ComponentType.SOURCE:
      return ServiceType.SOURCE;
    case ComponentType.PROCESSOR:
      return ServiceType.PROCESSOR;
    case ComponentType.CONSUMER:
      return ServiceType.SINK;
    default:
      return ServiceType.UNSPECIFIED;
  }
}

const NUMERIC = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** Legacy ServiceStatus: real health, heartbeat time, ids and metrics (legacy doubles win over parsed v1 strings). */
export function serviceStatusToWire(r: ServiceRecord): Record<string, unknown> {
  const metrics: Record<string, number> = {};
  for (const k in r.metrics) {
    const v = r.metrics[k];
    if (NUMERIC.test(v)) metrics[k] = Number(v);
  }
  if (r.legacy) for (const k in r.legacy.metrics) metrics[k] = r.legacy.metrics[k];
  return {
    service_id: r.serviceId,
    service_type: r.legacy ? r.legacy.serviceType : componentTypeToServiceType(r.info.type),
    is_healthy: r.status === HealthStatus.HEALTHY,
    last_heartbeat: toTimestamp(r.lastHeartbeat),
    metrics,
    component_id: r.info.id,
  };
}

export function pipelineRunToWire(run: PipelineRun): Record<string, unknown> {
  return {
    run_id: run.runId,
    pipeline_id: run.pipelineId,
    pipeline_name: run.pipelineName,
    status: run.status,
    start_time: toTimestamp(run.startTime),
    end_time: toTimestamp(run.endTime),
    config_yaml: run.configYaml,
    metrics: run.metrics,
    error: run.error,
    component_ids: run.componentIds,
  };
}

function num(v: unknown): number {
  const n = Number(v ?? 0);
  return Number.isFinite(n) ? n : 0;
}

function componentMetricsFromWire(raw: Partial<ComponentMetrics> | null | undefined): ComponentMetrics {
  const m = raw ?? {};
  return {
    events_in: num(m.events_in),
    events_out: num(m.events_out),
    bytes_in: num(m.bytes_in),
    bytes_out: num(m.bytes_out),
    processing_time_ms: num(m.processing_time_ms),
    ...(m.events_dropped !== undefined ? { events_dropped: num(m.events_dropped) } : {}),
  };
}

export function runMetricsFromWire(raw: Partial<RunMetrics> | null | undefined): RunMetrics {
  const out = emptyRunMetrics();
  if (!raw) return out;
  out.events_processed = num(raw.events_processed);
  out.events_per_second = num(raw.events_per_second);
  out.bytes_processed = num(raw.bytes_processed);
  if (raw.events_dropped !== undefined) out.events_dropped = num(raw.events_dropped);
  if (raw.component_metrics && typeof raw.component_metrics === 'object') {
    for (const [k, v] of Object.entries(raw.component_metrics)) out.component_metrics[k] = componentMetricsFromWire(v);
  }
  return out;
}
