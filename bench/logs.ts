// bench:logs — what the merged "All Logs" log costs per component line, against a baseline measured
// in the same run: pushing a line (on the hot path of every log line the runner emits), reading it the
// first time (ANSI/control stripping and level detection, done only when the view asks), the view's
// filter, and the size of the message that loads 10,000 lines into the page.
//   npm run bench:logs            (9 rounds of 200,000 lines each)
import { MergedLog } from '../src/core/logs/mergedLog';
import { compileFilter, EMPTY_FILTER } from '../src/core/logs/filter';
import { median, round } from './run-util';

const LINES = 200_000;
const comps = ['c0', 'c1', 'c2', 'c3'];
const ROUNDS = 9;

const samples = [
  '2026-12-01T10:45:40.274Z INFO  registered with the control plane at 127.0.0.1:45527 as ticker (data endpoint 127.0.0.1:37119)',
  'counter-sink: 615 events (+39 in 2s) — AAPL 137 | TSLA 137 | AMZN 133 | MSFT 104 | GOOG 104',
  '\x1b[32menrich: 485 in, 445 out, 40 dropped (qty < 10)\x1b[0m',
  '{"level":"warn","msg":"slow consumer","lag_ms":1234}',
  '    at process (/srv/app/src/handler.js:3:6)',
];

function nsPerLine(fn: () => void): number {
  const t0 = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t0) / LINES;
}

const base: number[] = [];
const push: number[] = [];
const read: number[] = [];
const filter: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
  // Baseline: what any bounded log costs at least — an object per line into a preallocated ring.
  const ring = new Array<unknown>(10_000);
  base.push(
    nsPerLine(() => {
      for (let i = 0; i < LINES; i++) ring[i % 10_000] = { seq: i, time: i, component: comps[i % 4], pipeline: 'p', stream: 'stdout', raw: samples[i % samples.length] };
    }),
  );
  const log = new MergedLog({ capacity: 10_000 });
  push.push(
    nsPerLine(() => {
      for (let i = 0; i < LINES; i++) log.push(i, comps[i % 4], 'p', 'stdout', samples[i % samples.length]);
    }),
  );
  // First read of what is kept (the view opening): per kept line.
  const t0 = process.hrtime.bigint();
  const entries = log.since(0);
  read.push(Number(process.hrtime.bigint() - t0) / entries.length);
  const f = compileFilter({ ...EMPTY_FILTER, hidden: ['c1'], minLevel: 'info', text: 'events' });
  const t1 = process.hrtime.bigint();
  let shown = 0;
  for (const e of entries) if (f.test(e)) shown++;
  filter.push(Number(process.hrtime.bigint() - t1) / entries.length);
  if (r === ROUNDS - 1) {
    const json = JSON.stringify({ type: 'reset', entries });
    console.log(`reset message for ${entries.length.toLocaleString()} lines: ${(json.length / 1024 / 1024).toFixed(2)} MiB; filter kept ${shown}`);
  }
}

const row = (name: string, xs: number[]) =>
  console.log(`${name.padEnd(44)} min ${round(Math.min(...xs))} · median ${round(median(xs))} · max ${round(Math.max(...xs))} ns/line${name.startsWith('baseline') ? '' : ` · ${round(median(xs) / median(base), 2)}× baseline`}`);
console.log(`${LINES.toLocaleString()} lines × ${ROUNDS} rounds`);
row('baseline: object into a bounded ring', base);
row('MergedLog.push (hot path, every line)', push);
row('first read: strip escapes + detect level', read);
row('filter (components, level, text)', filter);
