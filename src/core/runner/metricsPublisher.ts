// Every second: the runner's own figures into the component views (counts, per-second rates, drops,
// held events), the data health of each component (flowing / idle / waiting and on whom), the per-edge
// view of the data plane, and the run record's metrics. Computed here, in the core; front ends only
// render them.
import type { ComponentView, EdgeView } from '../events';
import type { EdgeCounts, NodeCounts, NodeDrops } from '../dataplane';
import { emptyRunMetrics, type RunMetrics } from '../controlplane/model';
import { RunCounters } from './counters';

/** What the publisher reads and writes; the runner provides it. */
export interface MetricsSource {
  /** Component ids in pipeline order. */
  ids(): string[];
  view(id: string): ComponentView | undefined;
  update(id: string, patch: Partial<ComponentView>): void;
  /** Upstream ids of a component on the data graph (its inputs); undefined when it is off the graph. */
  upstreamOf(id: string): string[] | undefined;
  counts(): Record<string, NodeCounts>;
  drops(id: string): NodeDrops;
  edges(): EdgeCounts[];
}

/** Rates are averaged over (up to) this many seconds; "recent" events for `flowing` too. */
const WINDOW_MS = 3_000;
const ZERO: NodeCounts = Object.freeze({ eventsIn: 0, eventsOut: 0, bytesIn: 0, bytesOut: 0 });

interface Sample {
  t: number;
  counts: Record<string, NodeCounts>;
  edges: Map<string, number>;
}

export class MetricsPublisher {
  private readonly samples: Sample[] = [];
  private readonly run: RunCounters;
  private lastEdges?: EdgeView[];
  private lastDropped = 0;

  constructor(
    private readonly src: MetricsSource,
    isSink: (id: string) => boolean,
  ) {
    this.run = new RunCounters(isSink);
  }

  /** The data plane's links as of the latest tick (undefined before the first). */
  edges(): EdgeView[] | undefined {
    return this.lastEdges?.map((e) => ({ ...e }));
  }

  /** Events dropped anywhere in the run, as of the latest tick. */
  dropped(): number {
    return this.lastDropped;
  }

  /** Events delivered to sinks, and their rate over the last few seconds. */
  totals(): { eventsProcessed: number; eventsPerSecond: number; bytes: number } {
    const { eventsProcessed, bytes } = this.run.totals(this.run.current(this.src.counts()));
    return { eventsProcessed, bytes, eventsPerSecond: this.run.rate(eventsProcessed) };
  }

  /** One tick: updates every view and returns the run record's metrics. */
  tick(now = Date.now()): RunMetrics {
    const counts = this.src.counts();
    const edges = this.src.edges();
    const edgeEvents = new Map(edges.map((e) => [`${e.from}\u0000${e.to}`, e.events]));
    this.samples.push({ t: now, counts, edges: edgeEvents });
    while (this.samples.length > 2 && now - this.samples[1].t >= WINDOW_MS) this.samples.shift();
    const base = this.samples[0];
    const dt = (now - base.t) / 1000;
    const rate = (a: number, b: number) => (dt > 0 ? round1(Math.max(0, a - b) / dt) : 0);

    const { eventsProcessed, bytes } = this.run.totals(this.run.current(counts));
    this.run.sample(eventsProcessed, now);
    const component_metrics: RunMetrics['component_metrics'] = {};
    let dropped = 0;
    const recent = new Map<string, boolean>();
    for (const id of this.src.ids()) {
      const c = counts[id] ?? ZERO;
      const then = base.counts[id] ?? ZERO;
      const inRate = rate(c.eventsIn, then.eventsIn);
      const outRate = rate(c.eventsOut, then.eventsOut);
      const d = this.src.drops(id);
      dropped += d.dropped;
      recent.set(id, c.eventsIn + c.eventsOut > then.eventsIn + then.eventsOut);
      this.src.update(id, {
        eventsIn: c.eventsIn,
        eventsOut: c.eventsOut,
        eventsPerSecond: Math.max(inRate, outRate),
        eventsInPerSecond: inRate,
        eventsOutPerSecond: outRate,
        dropped: d.dropped,
        droppedBy: d.droppedBy,
        queued: d.queued,
      });
      component_metrics[id] = {
        events_in: c.eventsIn,
        events_out: c.eventsOut,
        bytes_in: c.bytesIn,
        bytes_out: c.bytesOut,
        processing_time_ms: 0,
        events_dropped: d.dropped,
      };
    }
    this.health(recent);
    this.lastEdges = edges.map((e) => ({
      from: e.from,
      to: e.to,
      events: e.events,
      eventsPerSecond: rate(e.events, base.edges.get(`${e.from}\u0000${e.to}`) ?? 0),
      dropped: e.dropped,
      queued: e.queued,
      state: e.state,
    }));
    this.lastDropped = dropped;
    return {
      ...emptyRunMetrics(),
      events_processed: eventsProcessed,
      events_per_second: round1(this.run.rate(eventsProcessed, now)),
      bytes_processed: bytes,
      component_metrics,
      events_dropped: dropped,
    };
  }

  /**
   * flow: `flowing` when events moved through it in the last few seconds; else `waiting` when an upstream
   * is down or itself waiting (waitingOn names them); else `idle`. Only for live components on the graph.
   */
  private health(recent: Map<string, boolean>): void {
    const memo = new Map<string, { flow?: ComponentView['flow']; waitingOn?: string[] }>();
    const visiting = new Set<string>();
    const of = (id: string): { flow?: ComponentView['flow']; waitingOn?: string[] } => {
      const known = memo.get(id);
      if (known) return known;
      const view = this.src.view(id);
      const ups = this.src.upstreamOf(id);
      if (!view || ups === undefined || view.phase !== 'running' || visiting.has(id)) {
        const none = {};
        memo.set(id, none);
        return none;
      }
      visiting.add(id);
      const waitingOn = ups.filter((u) => {
        const uv = this.src.view(u);
        return !uv || uv.phase !== 'running' || of(u).flow === 'waiting';
      });
      visiting.delete(id);
      const flow: ComponentView['flow'] = recent.get(id) ? 'flowing' : waitingOn.length ? 'waiting' : 'idle';
      const out = { flow, waitingOn: waitingOn.length ? waitingOn : undefined };
      memo.set(id, out);
      return out;
    };
    for (const id of this.src.ids()) {
      const h = of(id);
      this.src.update(id, { flow: h.flow, waitingOn: h.waitingOn });
    }
  }
}

function round1(n: number): number {
  return Math.round(n * 10) / 10;
}
