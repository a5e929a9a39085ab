// Event counts of a run. Each data plane (a new one after every re-wiring) counts from zero; the counts
// of data planes that have finished are kept here and added to the live one's.
import type { NodeCounts } from '../dataplane';

const ZERO: NodeCounts = Object.freeze({ eventsIn: 0, eventsOut: 0, bytesIn: 0, bytesOut: 0 });
const RATE_SAMPLES = 5;

function add(a: NodeCounts, b: NodeCounts): NodeCounts {
  return { eventsIn: a.eventsIn + b.eventsIn, eventsOut: a.eventsOut + b.eventsOut, bytesIn: a.bytesIn + b.bytesIn, bytesOut: a.bytesOut + b.bytesOut };
}

export class RunCounters {
  private readonly finished = new Map<string, NodeCounts>();
  private readonly samples: Array<{ t: number; n: number }> = [];

  /** `isSink(id)`: events processed are the events delivered to sinks (what the sinks' own counts say). */
  constructor(private readonly isSink: (id: string) => boolean) {}

  /** Keeps the final counts of a data plane that has stopped (call after it drained). */
  absorb(counts: Record<string, NodeCounts>): void {
    for (const [id, c] of Object.entries(counts)) this.finished.set(id, add(this.finished.get(id) ?? ZERO, c));
  }

  /** Per-component counts: finished data planes plus the live one. */
  current(live: Record<string, NodeCounts> = {}): Map<string, NodeCounts> {
    const out = new Map(this.finished);
    for (const [id, c] of Object.entries(live)) out.set(id, add(out.get(id) ?? ZERO, c));
    return out;
  }

  of(counts: Map<string, NodeCounts>, id: string): NodeCounts {
    return counts.get(id) ?? ZERO;
  }

  totals(counts: Map<string, NodeCounts>): { eventsProcessed: number; bytes: number } {
    let eventsProcessed = 0;
    let bytes = 0;
    for (const [id, c] of counts) {
      if (!this.isSink(id)) continue;
      eventsProcessed += c.eventsIn;
      bytes += c.bytesIn;
    }
    return { eventsProcessed, bytes };
  }

  /** Records a sample for the rate (call at a steady interval). */
  sample(eventsProcessed: number, now = Date.now()): void {
    this.samples.push({ t: now, n: eventsProcessed });
    if (this.samples.length > RATE_SAMPLES) this.samples.shift();
  }

  /** Events per second over the last few samples. */
  rate(eventsProcessed: number, now = Date.now()): number {
    const first = this.samples[0];
    if (!first || now <= first.t) return 0;
    return Math.max(0, ((eventsProcessed - first.n) * 1000) / (now - first.t));
  }
}
