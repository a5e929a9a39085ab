// Component metrics: standard counters, custom counters/gauges, and a sliding-window rate.

/** Counts events in one-second buckets and reports the rate over the last `windowSeconds`. */
export class RateWindow {
  private buckets = new Map<number, number>();
  /** The current second's count, kept out of the map until the second changes (add() is per event). */
  private sec = Number.NaN;
  private n = 0;
  constructor(private readonly windowSeconds = 5, private readonly now: () => number = Date.now) {}

  add(n = 1, nowMs = this.now()): void {
    const sec = Math.floor(nowMs / 1000);
    if (sec === this.sec) {
      this.n += n;
      return;
    }
    this.flush();
    this.sec = sec;
    this.n = n;
    this.prune(sec);
  }

  /** Events per second over the last full window (the current, partial second included). */
  perSecond(): number {
    const t = this.now();
    const sec = Math.floor(t / 1000);
    this.flush();
    this.prune(sec);
    let total = 0;
    for (const [s, n] of this.buckets) if (s > sec - this.windowSeconds) total += n;
    const span = this.windowSeconds - 1 + (t % 1000) / 1000;
    return span > 0 ? total / span : 0;
  }

  private flush(): void {
    if (this.n === 0) return;
    this.buckets.set(this.sec, (this.buckets.get(this.sec) ?? 0) + this.n);
    this.n = 0;
  }

  private prune(sec: number): void {
    for (const s of this.buckets.keys()) if (s <= sec - this.windowSeconds) this.buckets.delete(s);
  }
}

/** What handlers see as ctx.metrics. */
export interface MetricsApi {
  increment(name: string, by?: number): void;
  gauge(name: string, value: number): void;
}

export class ComponentMetrics implements MetricsApi {
  readonly startedAt = Date.now();
  processed = 0;
  errors = 0;
  eventsIn = 0;
  eventsOut = 0;
  lastUpdate = 0;
  private readonly rate = new RateWindow();
  readonly counters = new Map<string, number>();
  readonly gauges = new Map<string, number>();

  /** One unit of work done (an event produced, processed or consumed). */
  recordProcessed(n = 1): void {
    const now = Date.now();
    this.processed += n;
    this.rate.add(n, now);
    this.lastUpdate = now;
  }

  recordError(): void {
    this.errors += 1;
    this.lastUpdate = Date.now();
  }

  increment(name: string, by = 1): void {
    if (!name) throw new Error('metrics.increment: name is required');
    this.counters.set(name, (this.counters.get(name) ?? 0) + by);
  }

  gauge(name: string, value: number): void {
    if (!name) throw new Error('metrics.gauge: name is required');
    this.gauges.set(name, value);
  }

  eventsPerSecond(): number {
    return this.rate.perSecond();
  }

  uptimeSeconds(): number {
    return (Date.now() - this.startedAt) / 1000;
  }

  /** Native numbers (for the /metrics JSON endpoint). Custom values use the Go SDK's counter_/gauge_ prefixes. */
  snapshot(): Record<string, number> {
    const out: Record<string, number> = {
      processed_count: this.processed,
      success_count: this.processed - Math.min(this.errors, this.processed),
      error_count: this.errors,
      events_in: this.eventsIn,
      events_out: this.eventsOut,
      events_per_second: round(this.eventsPerSecond()),
      uptime_seconds: round(this.uptimeSeconds()),
      last_update_time: Math.floor((this.lastUpdate || this.startedAt) / 1000),
    };
    for (const [k, v] of this.counters) out[`counter_${k}`] = v;
    for (const [k, v] of this.gauges) out[`gauge_${k}`] = v;
    return out;
  }

  /** The heartbeat's map<string,string>. */
  toHeartbeat(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(this.snapshot())) out[k] = String(v);
    return out;
  }
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}
