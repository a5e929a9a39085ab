// Heartbeat metrics of a registered component, bounded: every name and value has a size limit
// (INVALID_ARGUMENT, nothing applied), a component keeps at most maxMetricNames distinct names, and
// all components together stay within maxRegistryBytes. New names past either cap are refused
// (RESOURCE_EXHAUSTED after the heartbeat was applied); known names are always updated.
import { invalidArgument, resourceExhausted } from './errors';
import { limitNote, type ControlPlaneLimits } from './limits';
import type { ServiceRecord } from './model';

/** What the registry keeps per record for its metrics. */
export interface MetricHolder {
  record: ServiceRecord;
  /** Distinct names kept. */
  metricCount: number;
  /** Keys + values kept, in characters. */
  metricBytes: number;
}

/** Bytes used by all records together (maxRegistryBytes). */
export interface ByteBudget {
  used: number;
}

/** INVALID_ARGUMENT for a name or value over its limit. */
export function checkMetricSizes(metrics: Record<string, string>, limits: ControlPlaneLimits): void {
  for (const key in metrics) {
    if (key.length > limits.maxMetricKeyLength) {
      throw invalidArgument(`a metric name is too long: ${key.length} characters, ${limitNote(limits, 'maxMetricKeyLength')}`);
    }
    const v = metrics[key];
    if (typeof v === 'string' && v.length > limits.maxMetricValueLength) {
      throw invalidArgument(`metric ${JSON.stringify(key)} is too long: ${v.length} characters, ${limitNote(limits, 'maxMetricValueLength')}`);
    }
  }
}

/**
 * Merges checked metrics into the holder's record (request wins), and the legacy doubles into
 * record.legacy.metrics when given. Returns how many new names were refused.
 */
export function mergeMetrics(
  holder: MetricHolder,
  metrics: Record<string, string>,
  doubles: Record<string, number> | undefined,
  limits: ControlPlaneLimits,
  budget: ByteBudget,
): number {
  const target = holder.record.metrics;
  const legacy = doubles ? holder.record.legacy!.metrics : undefined;
  let refused = 0;
  for (const key in metrics) {
    const value = metrics[key]!;
    const old = target[key];
    if (old !== undefined) {
      const delta = value.length - old.length;
      holder.metricBytes += delta;
      budget.used += delta;
    } else {
      const size = key.length + value.length;
      if (holder.metricCount >= limits.maxMetricNames || budget.used + size > limits.maxRegistryBytes) {
        refused++;
        continue;
      }
      holder.metricCount++;
      holder.metricBytes += size;
      budget.used += size;
    }
    target[key] = value;
    if (legacy) legacy[key] = doubles![key]!;
  }
  return refused;
}

/** Legacy registration metrics (doubles), kept within the name limits. */
export function keepLegacyMetrics(target: Record<string, number>, metrics: Record<string, number>, limits: ControlPlaneLimits): void {
  let n = 0;
  for (const key in metrics) {
    if (n++ >= limits.maxMetricNames || key.length > limits.maxMetricKeyLength) continue;
    target[key] = metrics[key]!;
  }
}

export function metricCapError(holder: MetricHolder, refused: number, limits: ControlPlaneLimits): Error {
  const id = holder.record.serviceId;
  const counted = '(the heartbeat counted; known metrics were updated)';
  if (holder.metricCount >= limits.maxMetricNames) {
    return resourceExhausted(
      `${refused} new metric name(s) of ${id} refused: it already has ${holder.metricCount}, ${limitNote(limits, 'maxMetricNames')} ${counted}`,
    );
  }
  return resourceExhausted(`${refused} new metric name(s) of ${id} refused: the registry is full, ${limitNote(limits, 'maxRegistryBytes', 'bytes')} ${counted}`);
}
