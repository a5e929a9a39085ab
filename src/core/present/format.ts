// Number, rate, size and time formats shared by the front ends (extension, CLI). Pure functions.

const grouped = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

function trimZeros(s: string): string {
  return s.includes('.') ? s.replace(/\.?0+$/, '') : s;
}

/**
 * A number as people read it: integers grouped (`12,345`), fractions rounded to what matters
 * (`167.2`, `3.14`, `0.0123`), no exponent for ordinary magnitudes.
 */
export function formatNumber(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (n === 0) return '0';
  const abs = Math.abs(n);
  if (Number.isInteger(n) || abs >= 1000) return grouped.format(n);
  if (abs >= 100) return trimZeros(n.toFixed(1));
  if (abs >= 1) return trimZeros(n.toFixed(2));
  if (abs < 1e-6) return n.toExponential(1);
  return trimZeros(n.toPrecision(3));
}

/** Short form for large counts: 950, 12.3k, 4.5M, 1.2G. */
export function formatCompact(n: number): string {
  const abs = Math.abs(n);
  if (abs >= 1e9) return `${trimZeros((n / 1e9).toFixed(1))}G`;
  if (abs >= 1e6) return `${trimZeros((n / 1e6).toFixed(1))}M`;
  if (abs >= 1e4) return `${trimZeros((n / 1e3).toFixed(1))}k`;
  return formatNumber(Math.round(n * 10) / 10);
}

/** Events per second: `0 ev/s`, `0.5 ev/s`, `12 ev/s`, `1.2k ev/s`. */
export function formatRate(perSecond: number, unit = 'ev/s'): string {
  if (!Number.isFinite(perSecond) || perSecond <= 0) return `0 ${unit}`;
  if (perSecond >= 1000) return `${trimZeros((perSecond / 1000).toFixed(1))}k ${unit}`;
  if (perSecond >= 10) return `${Math.round(perSecond)} ${unit}`;
  return `${trimZeros(perSecond.toFixed(1))} ${unit}`;
}

/** Elapsed time: `5s`, `3m 12s`, `2h 5m`, `3d 4h`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) ms = 0;
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${s % 60}s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h ${m % 60}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

/** A short span that may be under a second: `350 ms`, `1.5 s`, then formatDuration. */
export function formatLatency(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return formatNumber(ms) + ' ms';
  if (ms < 1000) return `${formatNumber(ms < 10 ? Math.round(ms * 100) / 100 : Math.round(ms * 10) / 10)} ms`;
  if (ms < 60_000) return `${trimZeros((ms / 1000).toFixed(1))} s`;
  return formatDuration(ms);
}

/** How long ago: `just now`, `12 s ago`, `3 min ago`, `2 h ago`, `4 d ago` (`in 5 s` for a clock ahead of ours). */
export function formatAgo(thenMs: number, now = Date.now()): string {
  const diff = now - thenMs;
  const future = diff < 0;
  const s = Math.floor(Math.abs(diff) / 1000);
  let text: string;
  if (s < 2) return 'just now';
  if (s < 60) text = `${s} s`;
  else if (s < 3600) text = `${Math.floor(s / 60)} min`;
  else if (s < 86_400) text = `${Math.floor(s / 3600)} h`;
  else text = `${Math.floor(s / 86_400)} d`;
  return future ? `in ${text}` : `${text} ago`;
}

/** Byte counts in binary units: `512 B`, `1.5 KiB`, `12 MiB`. */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = Math.abs(n);
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  const text = i === 0 ? String(Math.round(v)) : trimZeros(v.toFixed(v >= 100 ? 0 : 1));
  return `${n < 0 ? '-' : ''}${text} ${units[i]}`;
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** Local wall-clock time `HH:MM:SS`. */
export function clockTime(ms: number): string {
  const d = new Date(ms);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** Local wall-clock time with milliseconds `HH:MM:SS.mmm` (log line stamps). */
export function clockTimeMs(ms: number): string {
  return `${clockTime(ms)}.${pad(new Date(ms).getMilliseconds(), 3)}`;
}

/**
 * A timestamp as flowctl components report it, to epoch ms: Unix seconds (`1796107596`), Unix
 * milliseconds, Unix nanoseconds, or an ISO 8601 / RFC 3339 string. Undefined when it is none of them.
 */
export function parseTimestamp(raw: string | number): number | undefined {
  if (typeof raw === 'number' || /^\s*-?\d+(\.\d+)?(e[+-]?\d+)?\s*$/i.test(raw)) {
    const n = Number(raw);
    if (!Number.isFinite(n) || n <= 0) return undefined;
    if (n >= 1e17) return Math.round(n / 1e6); // nanoseconds
    if (n >= 1e14) return Math.round(n / 1e3); // microseconds
    if (n >= 1e11) return Math.round(n); // milliseconds
    if (n >= 1e8) return Math.round(n * 1000); // seconds (1973 onwards)
    return undefined;
  }
  if (!/^\d{4}-\d\d-\d\d[T ]\d\d:\d\d/.test(raw.trim())) return undefined;
  const t = Date.parse(raw);
  return Number.isFinite(t) ? t : undefined;
}
