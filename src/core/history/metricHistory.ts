// Metric history of one run: per component, the event rates (in and out per second) and its numeric
// metrics, one sample per metrics tick (the runner records once a second), kept in ring buffers of
// `capacity` samples (default 600: 10 minutes at 1 s). Fed from RunSnapshots; read by the CLI
// (`flowctl status`) and the extension (tree sparklines, graph nodes, the chart view).
//
// Memory is bounded whatever the pipeline: at most `maxSeries` series (default 4,096) of `capacity`
// Float32 samples, i.e. 4,096 × 600 × 4 B = 9.4 MiB of samples, plus one Float64 time per tick.
// Rate series come first (two per component: 2,048 components get rates); numeric metric series take
// at most half the slots (so components added later still get rates), at most
// `maxMetricsPerComponent` (default 8) names per component, first seen first.
// A series that cannot get a slot is not kept (`refused` counts such attempts); nothing grows past the bound.
import type { ComponentView, RunSnapshot } from '../events';
import { TickRing } from './ring';

export const HISTORY_DEFAULTS = {
  capacity: 600,
  intervalMs: 1000,
  maxSeries: 4096,
  maxMetricsPerComponent: 8,
} as const;

export interface HistoryOptions {
  capacity?: number;
  /** The recording interval the front ends assume (for time axes); record() stamps each sample with its own time. */
  intervalMs?: number;
  maxSeries?: number;
  maxMetricsPerComponent?: number;
}

interface ComponentSeries {
  in?: TickRing;
  out?: TickRing;
  metrics: Map<string, TickRing>;
  /** Counts at the previous tick (rates are derived from them when the view carries none). */
  prevIn?: number;
  prevOut?: number;
  prevAt?: number;
  lastSeen: number;
  /** No slot was left for its rates (counted once in `refused`). */
  noRates?: boolean;
}

/** The series of one component over a window, oldest first; NaN = no sample. */
export interface ComponentHistory {
  in: number[];
  out: number[];
  metrics: Record<string, number[]>;
}

/** JSON form (NaN → null), e.g. for `flowctl status --json`. */
export interface HistoryJson {
  intervalMs: number;
  capacity: number;
  /** Sample times (ms since the epoch), oldest first; every series below has one value per time. */
  times: number[];
  /** The run's total events per second. */
  total: (number | null)[];
  components: Record<string, { in: (number | null)[]; out: (number | null)[]; metrics: Record<string, (number | null)[]> }>;
}

/** Phases in which a component has no rate to speak of: its samples are gaps, not zeros. */
const NOT_RUNNING = new Set<ComponentView['phase']>(['pending', 'waiting', 'stopped', 'exited']);

export class MetricHistory {
  readonly capacity: number;
  readonly intervalMs: number;
  readonly maxSeries: number;
  readonly maxMetricsPerComponent: number;
  private readonly times: Float64Array;
  private readonly total: TickRing;
  private readonly byId = new Map<string, ComponentSeries>();
  private seriesCount = 0;
  private metricSeries = 0;
  /** Ticks recorded so far (the next tick's number). */
  private ticks = 0;
  /** Attempts to create a series refused because maxSeries was reached (a component's rates count once). */
  refused = 0;

  constructor(opts: HistoryOptions = {}) {
    this.capacity = opts.capacity ?? HISTORY_DEFAULTS.capacity;
    this.intervalMs = opts.intervalMs ?? HISTORY_DEFAULTS.intervalMs;
    this.maxSeries = opts.maxSeries ?? HISTORY_DEFAULTS.maxSeries;
    this.maxMetricsPerComponent = opts.maxMetricsPerComponent ?? HISTORY_DEFAULTS.maxMetricsPerComponent;
    if (!(Number.isInteger(this.maxSeries) && this.maxSeries >= 0)) throw new Error(`maxSeries must be a non-negative integer (got ${this.maxSeries})`);
    this.times = new Float64Array(this.capacity);
    this.total = new TickRing(this.capacity);
  }

  /** Samples available (up to capacity). */
  get length(): number {
    return Math.min(this.ticks, this.capacity);
  }

  /** Increases by one on every record(): a cheap "has anything changed" check for front ends. */
  get version(): number {
    return this.ticks;
  }

  /** Bytes held by sample storage (times and every series). */
  get bytes(): number {
    return this.times.byteLength + this.total.bytes + this.seriesCount * this.capacity * 4;
  }

  get series(): number {
    return this.seriesCount;
  }

  /** Records one sample of every component of the snapshot. O(components + their metrics). */
  record(snapshot: RunSnapshot, now = Date.now()): void {
    const tick = this.ticks++;
    this.times[tick % this.capacity] = now;
    this.total.put(tick, snapshot.eventsPerSecond);
    // Rates of every component first, then metrics: metric series never take a rate's slot.
    for (const view of snapshot.components) this.recordRates(tick, view, now);
    for (const view of snapshot.components) if (!NOT_RUNNING.has(view.phase)) this.recordMetrics(tick, view);
    // Components gone for a whole window (removed from the pipeline) give their slots back.
    if (tick % this.capacity === 0 && tick > 0) {
      for (const [id, s] of this.byId) if (s.lastSeen <= tick - this.capacity) this.forget(id);
    }
  }

  private recordRates(tick: number, view: ComponentView, now: number): void {
    let s = this.byId.get(view.id);
    if (!s) this.byId.set(view.id, (s = { metrics: new Map(), lastSeen: tick }));
    s.lastSeen = tick;
    const dt = s.prevAt !== undefined ? (now - s.prevAt) / 1000 : 0;
    const derived = (count: number, prev: number | undefined) => (dt > 0 && prev !== undefined ? Math.max(0, count >= prev ? count - prev : count) / dt : 0);
    const rateIn = view.eventsInPerSecond ?? derived(view.eventsIn, s.prevIn);
    const rateOut = view.eventsOutPerSecond ?? derived(view.eventsOut, s.prevOut);
    s.prevIn = view.eventsIn;
    s.prevOut = view.eventsOut;
    s.prevAt = now;
    if (NOT_RUNNING.has(view.phase)) return; // a gap
    if (!s.in && !s.noRates) {
      if (this.seriesCount + 2 > this.maxSeries) {
        s.noRates = true;
        this.refused += 2;
      } else {
        s.in = this.newRing();
        s.out = this.newRing();
      }
    }
    s.in?.put(tick, rateIn);
    s.out?.put(tick, rateOut);
  }

  private recordMetrics(tick: number, view: ComponentView): void {
    const s = this.byId.get(view.id)!;
    for (const name in view.metrics) {
      const text = view.metrics[name];
      if (typeof text !== 'string' || text.trim() === '') continue;
      const value = Number(text);
      if (!Number.isFinite(value)) continue;
      let ring = s.metrics.get(name);
      if (!ring) {
        if (s.metrics.size >= this.maxMetricsPerComponent) continue;
        if (this.metricSeries >= Math.floor(this.maxSeries / 2)) {
          this.refused++;
          continue;
        }
        ring = this.newRing();
        if (!ring) continue;
        this.metricSeries++;
        s.metrics.set(name, ring);
      }
      ring.put(tick, value);
    }
  }

  private newRing(): TickRing | undefined {
    if (this.seriesCount >= this.maxSeries) {
      this.refused++;
      return undefined;
    }
    this.seriesCount++;
    return new TickRing(this.capacity);
  }

  /** Drops a component's series (e.g. removed from the pipeline). */
  forget(id: string): void {
    const s = this.byId.get(id);
    if (!s) return;
    this.seriesCount -= (s.in ? 1 : 0) + (s.out ? 1 : 0) + s.metrics.size;
    this.metricSeries -= s.metrics.size;
    this.byId.delete(id);
  }

  /** Tick range of the last `last` samples. */
  private window(last: number): [number, number] {
    const to = this.ticks - 1;
    const n = Math.max(0, Math.min(Math.floor(last), this.length));
    return [to - n + 1, to];
  }

  /** Times of the last `last` samples (ms since the epoch), oldest first. */
  timesOf(last = this.capacity): number[] {
    const [from, to] = this.window(last);
    const out: number[] = [];
    for (let t = from; t <= to; t++) out.push(this.times[t % this.capacity]);
    return out;
  }

  /** The event rate of a component (the larger of in and out per tick), last `last` samples, oldest first. */
  rates(id: string, last = 60): number[] {
    const [from, to] = this.window(last);
    const s = this.byId.get(id);
    const out: number[] = [];
    for (let t = from; t <= to; t++) {
      const a = s?.in?.at(t) ?? NaN;
      const b = s?.out?.at(t) ?? NaN;
      out.push(Number.isNaN(a) ? b : Number.isNaN(b) ? a : Math.max(a, b));
    }
    return out;
  }

  /** Every series of a component over the last `last` samples (undefined when it was never recorded). */
  component(id: string, last = this.capacity): ComponentHistory | undefined {
    const s = this.byId.get(id);
    if (!s) return undefined;
    const [from, to] = this.window(last);
    const gaps = () => new Array<number>(to - from + 1).fill(NaN);
    const metrics: Record<string, number[]> = {};
    for (const [name, ring] of s.metrics) metrics[name] = ring.range(from, to);
    return { in: s.in?.range(from, to) ?? gaps(), out: s.out?.range(from, to) ?? gaps(), metrics };
  }

  /** Ids with recorded series. */
  ids(): string[] {
    return [...this.byId.keys()];
  }

  toJSON(last = this.capacity): HistoryJson {
    const [from, to] = this.window(last);
    const clean = (xs: number[]) => xs.map((v) => (Number.isFinite(v) ? Math.round(v * 10) / 10 : null));
    const components: HistoryJson['components'] = {};
    for (const id of this.byId.keys()) {
      const c = this.component(id, last)!;
      const metrics: Record<string, (number | null)[]> = {};
      for (const [name, xs] of Object.entries(c.metrics)) metrics[name] = clean(xs);
      components[id] = { in: clean(c.in), out: clean(c.out), metrics };
    }
    return { intervalMs: this.intervalMs, capacity: this.capacity, times: this.timesOf(last), total: clean(this.total.range(from, to)), components };
  }
}
