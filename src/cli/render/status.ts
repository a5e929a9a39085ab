// `flowctl status` output (reference §6), plus per-component event counts from the active run.
import { HEALTH_STATUS_NAMES, HealthStatus } from '../../core/controlplane/model';
import type { Palette } from './color';
import { formatLastHeartbeat, formatStatusDuration, timestampMs } from './format';
import { sanitizeField as f } from '../../core/text/terminal';

/** A ComponentStatusResponse as proto-loader decodes it (keepCase, enums as numbers). */
export interface WireComponentStatus {
  component: {
    id: string;
    type: number;
    endpoint: string;
    input_event_types: string[];
    output_event_types: string[];
  } | null;
  status: number;
  last_heartbeat: { seconds: number; nanos: number } | null;
  registered_at: { seconds: number; nanos: number } | null;
  metrics: Record<string, string>;
}

export interface EventCounts {
  events_in: number;
  events_out: number;
}

function overall(components: WireComponentStatus[]): 'UNHEALTHY' | 'DEGRADED' | 'STARTING' | 'RUNNING' {
  if (components.some((c) => c.status === HealthStatus.UNHEALTHY)) return 'UNHEALTHY';
  if (components.some((c) => c.status === HealthStatus.DEGRADED)) return 'DEGRADED';
  if (components.some((c) => c.status === HealthStatus.STARTING)) return 'STARTING';
  return 'RUNNING';
}

function statusColor(p: Palette, status: number): (s: string) => string {
  switch (status) {
    case HealthStatus.HEALTHY:
      return p.green;
    case HealthStatus.STARTING:
      return p.cyan;
    case HealthStatus.DEGRADED:
      return p.yellow;
    case HealthStatus.UNHEALTHY:
      return p.red;
    default:
      return (s) => s;
  }
}

export function renderStatus(
  components: WireComponentStatus[],
  opts: { pipelineName?: string; palette: Palette; now?: number; counts?: Record<string, EventCounts>; rates?: Record<string, string> },
): string {
  const p = opts.palette;
  const now = opts.now ?? Date.now();
  if (components.length === 0) {
    return 'No components registered with control plane\nStart a pipeline with: flowctl run pipeline.yaml\n';
  }
  const out: string[] = [];
  out.push(opts.pipelineName ? `Pipeline: ${f(opts.pipelineName)}` : 'Pipeline Status');
  const word = overall(components);
  const color = { UNHEALTHY: p.red, DEGRADED: p.yellow, STARTING: p.cyan, RUNNING: p.green }[word];
  out.push(`Status: ${color(word)}`);
  const n = (s: number) => components.filter((c) => c.status === s).length;
  const parts = [`${n(HealthStatus.HEALTHY)} healthy`];
  if (n(HealthStatus.STARTING)) parts.push(`${n(HealthStatus.STARTING)} starting`);
  if (n(HealthStatus.DEGRADED)) parts.push(`${n(HealthStatus.DEGRADED)} degraded`);
  if (n(HealthStatus.UNHEALTHY)) parts.push(`${n(HealthStatus.UNHEALTHY)} unhealthy`);
  out.push(`Components: ${components.length} total (${parts.join(', ')})`);
  out.push('');
  const sections: Array<[string, number]> = [
    ['SOURCES', 1],
    ['PROCESSORS', 2],
    ['CONSUMERS', 3],
  ];
  for (const [title, type] of sections) {
    const group = components.filter((c) => c.component?.type === type);
    if (!group.length) continue;
    out.push(`${title} (${group.length})`);
    for (const c of group) {
      const info = c.component!;
      out.push(`  ${f(info.id)} (${statusColor(p, c.status)(HEALTH_STATUS_NAMES[c.status] ?? String(c.status))})`);
      if (info.endpoint) out.push(`    Endpoint: ${f(info.endpoint)}`);
      const registered = timestampMs(c.registered_at);
      if (registered) out.push(`    Uptime: ${formatStatusDuration(now - registered)}`);
      out.push(`    Last heartbeat: ${formatLastHeartbeat(timestampMs(c.last_heartbeat) || undefined, now)}`);
      if (info.input_event_types?.length) out.push(`    Input types: ${info.input_event_types.map((t) => f(t)).join(', ')}`);
      if (info.output_event_types?.length) out.push(`    Output types: ${info.output_event_types.map((t) => f(t)).join(', ')}`);
      const counts = opts.counts?.[info.id];
      if (counts) out.push(`    Events: ${f(counts.events_in)} in, ${f(counts.events_out)} out`);
      const rate = opts.rates?.[info.id];
      if (rate) out.push(`    Rate: ${f(rate)}`);
      const keys = Object.keys(c.metrics ?? {}).sort();
      if (keys.length) {
        out.push('    Metrics:');
        for (const k of keys) out.push(`      ${f(k)}: ${f(c.metrics[k])}`);
      }
    }
    out.push('');
  }
  return out.join('\n') + '\n';
}
