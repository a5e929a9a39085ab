// Go duration strings (time.ParseDuration): "10s", "500ms", "1m30s", "1.5h", "-2s", "0".
// flowctl injects FLOWCTL_HEARTBEAT_INTERVAL=10s. flowctl's own Node clients read it with
// parseInt() as milliseconds, so "10s" becomes a 10 ms heartbeat; we parse it as Go does.

const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  'µs': 1e-3, // U+00B5 micro sign
  'μs': 1e-3, // U+03BC greek mu
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

// µ and μ written as escapes: the bundles are pure ASCII (scripts/asciiOutput.mjs).
const PART = /^(\d+(?:\.\d*)?|\.\d+)(ns|us|\u00b5s|\u03bcs|ms|s|m|h)/;

/** Parses a Go duration into milliseconds. Throws a clear error on anything Go would reject. */
export function parseGoDuration(text: string): number {
  const input = text.trim();
  if (input === '') throw new Error('invalid duration "": empty');
  let rest = input;
  let sign = 1;
  if (rest[0] === '-' || rest[0] === '+') {
    if (rest[0] === '-') sign = -1;
    rest = rest.slice(1);
  }
  if (rest === '0') return 0;
  if (rest === '') throw new Error(`invalid duration "${text}"`);
  let total = 0;
  while (rest.length > 0) {
    const m = PART.exec(rest);
    if (!m) {
      if (/^(\d+(?:\.\d*)?|\.\d+)$/.test(rest)) throw new Error(`invalid duration "${text}": missing unit (use e.g. "10s" or "500ms")`);
      throw new Error(`invalid duration "${text}": expected <number><unit> with unit ns, us, ms, s, m or h`);
    }
    total += Number(m[1]) * UNIT_MS[m[2]];
    rest = rest.slice(m[0].length);
  }
  return sign * total;
}

/** Formats milliseconds the way Go prints a duration rounded to seconds ("1m5s", "0s", "2h0m0s"). */
export function formatGoSeconds(ms: number): string {
  let s = Math.round(ms / 1000);
  if (s === 0) return '0s';
  const neg = s < 0;
  s = Math.abs(s);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  let out = '';
  if (h > 0) out = `${h}h${m}m${sec}s`;
  else if (m > 0) out = `${m}m${sec}s`;
  else out = `${sec}s`;
  return neg ? `-${out}` : out;
}
