// Component metrics as people read them. Components report `map<string,string>` with flowctl's
// conventions (the Go SDK's StandardMetrics: processed_count, error_count, processing_latency,
// last_update_time (Unix seconds), uptime_seconds, custom `counter_<name>` / `gauge_<name>`; other
// SDKs add `*_total`, `*_ms`, `last_*_time`…). This turns them into labelled, rounded values with
// units ("Last update  12 s ago", "Processed  12,345  +20/s") and rates computed from counters
// between two reports. Pure (no vscode): the extension renders it, the CLI may too.
import { formatAgo, formatBytes, formatDuration, formatLatency, formatNumber, formatRate, parseTimestamp } from './format';

export type MetricKind = 'counter' | 'gauge' | 'rate' | 'time' | 'duration' | 'latency' | 'bytes' | 'percent' | 'id' | 'text';

export interface PresentedMetric {
  /** The key as reported (stable: use it for ids). */
  key: string;
  /** Humanised name, e.g. `Last update`, `Events GOOG`. */
  label: string;
  /** Rounded value with its unit, e.g. `12,345`, `12 s ago`, `3.4 ms`. */
  value: string;
  /** Per-second change of a counter between the last two reports, e.g. `+20/s` (counters only). */
  rate?: string;
  kind: MetricKind;
  /** The raw string as reported. */
  raw: string;
}

interface Known {
  label: string;
  kind: MetricKind;
  /** Unit of a duration/latency value. */
  unit?: 's' | 'ms';
}

/** flowctl's standard keys (Go SDK StandardMetrics, our SDK, the Node consumer app), in display order. */
const KNOWN: Record<string, Known> = {
  events_per_second: { label: 'Rate (reported)', kind: 'rate' },
  processed_count: { label: 'Processed', kind: 'counter' },
  total_processed: { label: 'Processed', kind: 'counter' },
  success_count: { label: 'Succeeded', kind: 'counter' },
  error_count: { label: 'Errors', kind: 'counter' },
  events_in: { label: 'Events in (reported)', kind: 'counter' },
  events_out: { label: 'Events out (reported)', kind: 'counter' },
  total_events_received: { label: 'Events received', kind: 'counter' },
  total_events_emitted: { label: 'Events emitted', kind: 'counter' },
  processing_latency: { label: 'Processing latency', kind: 'latency', unit: 'ms' },
  processing_latency_ms: { label: 'Processing latency', kind: 'latency', unit: 'ms' },
  average_latency: { label: 'Average latency', kind: 'latency', unit: 'ms' },
  last_update_time: { label: 'Last update', kind: 'time' },
  last_error_time: { label: 'Last error', kind: 'time' },
  last_error: { label: 'Last error message', kind: 'text' },
  uptime_seconds: { label: 'Uptime', kind: 'duration', unit: 's' },
  uptime_ms: { label: 'Uptime', kind: 'duration', unit: 'ms' },
  last_processed_ledger: { label: 'Last processed ledger', kind: 'id' },
  last_sequence: { label: 'Last sequence', kind: 'id' },
};
const KNOWN_ORDER = new Map(Object.keys(KNOWN).map((k, i) => [k, i]));

/** `events_GOOG` → `Events GOOG`, `ledgers_processed` → `Ledgers processed`. */
export function humaniseName(name: string): string {
  const words = name.split(/[_\s.]+/).filter(Boolean);
  if (words.length === 0) return name;
  const first = words[0];
  words[0] = first === first.toLowerCase() ? first.charAt(0).toUpperCase() + first.slice(1) : first;
  return words.join(' ');
}

const classified = new Map<string, Known>();
const CLASSIFIED_MAX = 10_000;

/** What a key means by flowctl's naming conventions (remembered: the same keys come from every component). */
export function classifyMetric(key: string): Known {
  let info = classified.get(key);
  if (!info) {
    if (classified.size >= CLASSIFIED_MAX) classified.clear();
    classified.set(key, (info = classify(key)));
  }
  return info;
}

function classify(key: string): Known {
  const known = KNOWN[key];
  if (known) return known;
  let m: RegExpMatchArray | null;
  if ((m = /^counter_(.+)$/.exec(key))) return { label: humaniseName(m[1]), kind: 'counter' };
  if ((m = /^gauge_(.+)$/.exec(key))) {
    const inner = classify(m[1]);
    return inner.kind === 'counter' ? { ...inner, kind: 'gauge' } : inner;
  }
  if ((m = /^last_(.+)_(time|timestamp|at)$/.exec(key))) return { label: `Last ${humaniseName(m[1]).toLowerCase()}`, kind: 'time' };
  if ((m = /^(.+)_(time|timestamp|at)$/.exec(key))) return { label: humaniseName(m[1]), kind: 'time' };
  if ((m = /^(.+)_(total|count)$/.exec(key))) return { label: humaniseName(m[1]), kind: 'counter' };
  if ((m = /^(.+)_(per_second|per_sec|rate)$/.exec(key))) return { label: humaniseName(m[1]), kind: 'rate' };
  if ((m = /^(.+)_(seconds|secs)$/.exec(key))) return { label: humaniseName(m[1]), kind: 'duration', unit: 's' };
  if ((m = /^(.+)_(ms|millis|milliseconds)$/.exec(key))) return { label: humaniseName(m[1]), kind: 'latency', unit: 'ms' };
  if ((m = /^(.+)_bytes$/.exec(key))) return { label: humaniseName(m[1]), kind: 'bytes' };
  if ((m = /^(.+)_(percent|pct)$/.exec(key))) return { label: humaniseName(m[1]), kind: 'percent' };
  return { label: humaniseName(key), kind: 'gauge' };
}

const MAX_TEXT = 80;

function numeric(raw: string): number | undefined {
  if (!/^\s*[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?\s*$/i.test(raw)) return undefined;
  const n = Number(raw);
  return Number.isFinite(n) ? n : undefined;
}

function shortText(raw: string): string {
  const oneLine = raw.replace(/\s+/g, ' ').trim();
  return oneLine.length > MAX_TEXT ? `${oneLine.slice(0, MAX_TEXT - 1)}…` : oneLine;
}

/** One metric's value with its unit (the raw text when it does not fit the convention). */
export function formatMetricValue(info: Known, raw: string, now = Date.now()): string {
  const n = numeric(raw);
  switch (info.kind) {
    case 'time': {
      const t = parseTimestamp(raw);
      return t === undefined ? shortText(raw) : formatAgo(t, now);
    }
    case 'text':
      return shortText(raw);
    case 'id':
      return n === undefined ? shortText(raw) : String(Math.round(n));
  }
  if (n === undefined) {
    // Go duration strings ("1.5s", "250ms") for latencies and durations are common: keep them.
    return shortText(raw);
  }
  switch (info.kind) {
    case 'counter':
    case 'gauge':
      return formatNumber(n);
    case 'rate':
      return formatRate(n, '/s');
    case 'duration':
      return formatDuration(info.unit === 'ms' ? n : n * 1000);
    case 'latency':
      return formatLatency(info.unit === 's' ? n * 1000 : n);
    case 'bytes':
      return formatBytes(n);
    case 'percent':
      return `${formatNumber(Math.round(n * 10) / 10)} %`;
  }
}

/** `+20/s`, `+0.5/s`, `0/s`. */
export function formatCounterRate(perSecond: number): string {
  if (perSecond <= 0) return '0/s';
  return `+${formatRate(perSecond, '/s').replace(' /s', '/s')}`;
}

/**
 * Every metric of a component, humanised, in a stable order: flowctl's standard keys first (in a
 * fixed order), then the rest by label. `rates` are per-second changes of counters (CounterRates).
 */
export function presentMetrics(metrics: Record<string, string>, opts: { now?: number; rates?: ReadonlyMap<string, number> } = {}): PresentedMetric[] {
  const now = opts.now ?? Date.now();
  const out: Array<PresentedMetric & { order: number }> = [];
  for (const key of Object.keys(metrics)) {
    const raw = String(metrics[key]);
    const info = classifyMetric(key);
    const rate = info.kind === 'counter' ? opts.rates?.get(key) : undefined;
    out.push({
      key,
      label: info.label,
      value: formatMetricValue(info, raw, now),
      kind: info.kind,
      raw,
      ...(rate !== undefined ? { rate: formatCounterRate(rate) } : {}),
      order: KNOWN_ORDER.get(key) ?? 1000,
    });
  }
  out.sort((a, b) => a.order - b.order || a.label.localeCompare(b.label) || a.key.localeCompare(b.key));
  return out.map(({ order: _order, ...m }) => m);
}

/**
 * Per-second rates of counter metrics, from two consecutive reports (heartbeats). A counter that
 * went down (the component restarted) starts over. Bounded: only keys seen in the last report are kept.
 */
export class CounterRates {
  private last = new Map<string, { value: number; at: number }>();
  private rates = new Map<string, number>();
  private lastAt = 0;

  /** Feed one report (its metrics and the time it was made, e.g. the heartbeat time). Same `at` twice is ignored. */
  observe(metrics: Record<string, string>, at: number): void {
    if (at === this.lastAt) return;
    const next = new Map<string, { value: number; at: number }>();
    for (const key of Object.keys(metrics)) {
      if (classifyMetric(key).kind !== 'counter') continue;
      const value = numeric(String(metrics[key]));
      if (value === undefined) continue;
      next.set(key, { value, at });
      const prev = this.last.get(key);
      if (!prev || at <= prev.at) continue;
      if (value < prev.value) this.rates.delete(key);
      else this.rates.set(key, ((value - prev.value) * 1000) / (at - prev.at));
    }
    for (const key of [...this.rates.keys()]) if (!next.has(key)) this.rates.delete(key);
    this.last = next;
    this.lastAt = at;
  }

  /** Rates per key (only counters reported at least twice). */
  get current(): ReadonlyMap<string, number> {
    return this.rates;
  }
}
