// Text formats flowctl's CLI uses (reference §6), so scripts written for flowctl keep working.

/** `status`: Ns under a minute, Nm, or Nh Mm. */
export function formatStatusDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
}

/** `status` last heartbeat: just now (< 5 s), <d> ago, never. */
export function formatLastHeartbeat(ms: number | undefined, now = Date.now()): string {
  if (!ms) return 'never';
  const age = now - ms;
  if (age < 5000) return 'just now';
  return `${formatStatusDuration(age)} ago`;
}

/** `pipelines` time: Ns ago, Nm ago, Nh ago, Nd ago. */
export function formatAgo(ms: number, now = Date.now()): string {
  const s = Math.max(0, Math.floor((now - ms) / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ago`;
  return `${Math.floor(s / 86400)}d ago`;
}

/** `pipelines` duration: Ns, Nm Ns, Nh Nm. */
export function formatRunDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
}

/** `pipelines` events: N, N.Nk, N.NM. */
export function formatEvents(n: number): string {
  if (n >= 1_000_000) return `${(n / 1_000_000).toFixed(1)}M`;
  if (n >= 1000) return `${(n / 1000).toFixed(1)}k`;
  return String(n);
}

/** Go's `2006-01-02 15:04:05 MST` in local time. */
export function formatTimestamp(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  const tz = new Intl.DateTimeFormat('en-US', { timeZoneName: 'short' }).formatToParts(d).find((p) => p.type === 'timeZoneName')?.value ?? '';
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())} ${tz}`.trim();
}

/** HH:MM:SS local time, for the merged log view. */
export function clock(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** Lower-case run status like flowctl: RUN_STATUS_RUNNING → running. */
export function runStatusWord(status: number): string {
  return ['unknown', 'starting', 'running', 'completed', 'failed', 'stopped'][status] ?? 'unknown';
}

/** A tabwriter-like table: columns padded to the widest cell + `padding` spaces. */
export function table(rows: string[][], padding = 2): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, visibleLength(cell))));
  return rows
    .map((row) =>
      row
        .map((cell, i) => (i === row.length - 1 ? cell : cell + ' '.repeat(widths[i] - visibleLength(cell) + padding)))
        .join('')
        .trimEnd(),
    )
    .join('\n');
}

export function visibleLength(s: string): number {
  // eslint-disable-next-line no-control-regex
  return s.replace(/\x1b\[[0-9;]*m/g, '').length;
}

/** Timestamp message → ms since epoch (0 when unset). */
export function timestampMs(ts: { seconds?: number | string; nanos?: number } | null | undefined): number {
  if (!ts) return 0;
  return Number(ts.seconds ?? 0) * 1000 + Math.floor((ts.nanos ?? 0) / 1e6);
}
