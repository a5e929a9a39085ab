// One fixed-size series of samples indexed by a shared tick counter (the history's clock). Slots are
// Float32 (4 bytes a sample); ticks the series missed read as NaN (a gap, not a zero).

export class TickRing {
  private readonly data: Float32Array;
  /** First and last tick written (-1: nothing yet). */
  private first = -1;
  private last = -1;

  constructor(readonly capacity: number) {
    if (!(Number.isInteger(capacity) && capacity > 0)) throw new Error(`ring capacity must be a positive integer (got ${capacity})`);
    this.data = new Float32Array(capacity);
  }

  /** Bytes of sample storage this ring holds. */
  get bytes(): number {
    return this.data.byteLength;
  }

  get lastTick(): number {
    return this.last;
  }

  /** Writes the sample of `tick` (ticks only move forward; an older tick is ignored). Missed ticks become gaps. */
  put(tick: number, value: number): void {
    if (tick <= this.last) {
      if (tick === this.last) this.data[tick % this.capacity] = value;
      return;
    }
    if (this.first < 0) this.first = tick;
    // Gaps since the last write (at most one lap: older slots are overwritten anyway).
    const gapFrom = Math.max(this.last + 1, tick - this.capacity + 1);
    for (let t = gapFrom; t < tick; t++) this.data[t % this.capacity] = NaN;
    this.data[tick % this.capacity] = value;
    this.last = tick;
  }

  /** The sample of `tick`, or NaN when the ring has none (before its first write, after its last, or overwritten). */
  at(tick: number): number {
    if (this.first < 0 || tick < this.first || tick > this.last || tick <= this.last - this.capacity) return NaN;
    return this.data[tick % this.capacity];
  }

  /** Samples of ticks from..to (inclusive), oldest first. */
  range(from: number, to: number): number[] {
    const out: number[] = [];
    for (let t = from; t <= to; t++) out.push(this.at(t));
    return out;
  }
}
