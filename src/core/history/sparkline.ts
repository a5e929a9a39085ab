// A sparkline in eight unicode bars (`▁▂▃▄▅▆▇█`), shared by the CLI (`flowctl status --watch`) and the
// extension (Services tree descriptions, graph nodes). Gaps (NaN: no sample, e.g. the component was
// not running) are spaces. The scale starts at 0, so a steady rate draws a flat line at its height
// relative to the window's peak, and an idle component draws the lowest bar.

export const SPARK_BARS = '▁▂▃▄▅▆▇█';

export interface SparklineOptions {
  /** Characters wide (default: one per value). Longer input is bucketed (peak per bucket); shorter is left-padded with spaces. */
  width?: number;
  /** Top of the scale (default: the largest value). */
  max?: number;
}

/** Peak of each of `width` equal buckets over the values (NaN only when a whole bucket is NaN). */
export function bucketPeaks(values: ArrayLike<number>, width: number): number[] {
  const out: number[] = [];
  const n = values.length;
  for (let b = 0; b < width; b++) {
    const from = Math.floor((b * n) / width);
    const to = Math.max(from + 1, Math.floor(((b + 1) * n) / width));
    let peak = NaN;
    for (let i = from; i < to && i < n; i++) {
      const v = values[i];
      if (Number.isFinite(v) && !(v <= peak)) peak = v;
    }
    out.push(peak);
  }
  return out;
}

export function sparkline(values: ArrayLike<number>, opts: SparklineOptions = {}): string {
  const width = opts.width !== undefined ? Math.max(0, Math.floor(opts.width)) : values.length;
  if (width === 0) return '';
  const shown = values.length > width ? bucketPeaks(values, width) : Array.from(values);
  let max = opts.max ?? 0;
  if (opts.max === undefined) for (const v of shown) if (Number.isFinite(v) && v > max) max = v;
  let out = ' '.repeat(width - shown.length);
  for (const v of shown) {
    if (!Number.isFinite(v)) {
      out += ' ';
      continue;
    }
    const level = max > 0 ? Math.round((Math.max(0, Math.min(v, max)) / max) * (SPARK_BARS.length - 1)) : 0;
    out += SPARK_BARS[level];
  }
  return out;
}

/** `1.2k/s`, `20/s`, `0.5/s`: a rate short enough for a tree description or a graph node. */
export function shortRate(perSecond: number): string {
  if (!Number.isFinite(perSecond) || perSecond <= 0) return '0/s';
  if (perSecond >= 1_000_000) return `${(perSecond / 1_000_000).toFixed(1)}M/s`;
  if (perSecond >= 1000) return `${(perSecond / 1000).toFixed(1)}k/s`;
  if (perSecond >= 10) return `${Math.round(perSecond)}/s`;
  return `${perSecond.toFixed(1)}/s`;
}

/** What historySparkline needs of a MetricHistory. */
export interface RateSource {
  readonly length: number;
  rates(id: string, last?: number): number[];
}

/**
 * The compact rate sparkline of one component (`▁▂▄▆▇█▇▆`: the last `width` samples, one per tick),
 * or '' while there is no history (no run, or no sample yet).
 */
export function historySparkline(history: RateSource | undefined, id: string, width = 8): string {
  if (!history || history.length === 0) return '';
  const rates = history.rates(id, width);
  return rates.some(Number.isFinite) ? sparkline(rates, { width }) : '';
}
