// `npm run bench:stop-lag`: how long the event loop stalls while a large pipeline stops. Starts N
// components through the Supervisor (default 150; each `sh -c 'sleep 600 & sleep 600'`, a group of
// three whose orphaned sleep may linger as a zombie, as it does when PID 1 does not reap), then calls
// stopAll and samples a 5 ms timer meanwhile: lag = how late each tick fired. Prints per round and
// min/median/max over rounds. Args: [components=150] [rounds=3]
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Supervisor } from '../src/core/supervisor/supervisor';

const N = Number(process.argv[2] ?? 150);
const ROUNDS = Number(process.argv[3] ?? 3);
const TICK_MS = 5;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length === 0 ? NaN : s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
const r1 = (x: number) => Math.round(x * 10) / 10;
const procCount = () => fs.readdirSync('/proc').filter((n) => /^\d+$/.test(n)).length;

interface Round {
  stopMs: number;
  lagMin: number;
  lagMedian: number;
  lagMax: number;
  processes: number;
}

async function round(dir: string): Promise<Round> {
  const sup = new Supervisor({ stateDir: dir, runnerFile: path.join(dir, 'flow.yml') });
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin' };
  for (let i = 0; i < N; i++) sup.add({ id: `c${i}`, command: ['sh', '-c', 'sleep 600 & sleep 600'], cwd: dir, env }).start();
  // Let every shell start its background sleep.
  await sleep(1500);
  const processes = procCount();
  const lags: number[] = [];
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    lags.push(Math.max(0, now - last - TICK_MS));
    last = now;
  }, TICK_MS);
  const t0 = performance.now();
  await sup.stopAll(5000);
  const stopMs = performance.now() - t0;
  clearInterval(timer);
  return { stopMs, lagMin: Math.min(...lags), lagMedian: median(lags), lagMax: Math.max(...lags), processes };
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flowctl-stoplag-'));
  try {
    console.log(`stopping ${N} components (sh + 2 sleeps each), ${ROUNDS} rounds; lag = lateness of a ${TICK_MS} ms timer during stopAll`);
    const rounds: Round[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const r = await round(dir);
      rounds.push(r);
      console.log(
        `round ${i + 1}: /proc entries ${r.processes}, stopAll ${Math.round(r.stopMs)} ms, lag min/median/max ${r1(r.lagMin)}/${r1(r.lagMedian)}/${r1(r.lagMax)} ms`,
      );
      await sleep(500);
    }
    const col = (f: (r: Round) => number) => rounds.map(f);
    const mmm = (xs: number[]) => `${r1(Math.min(...xs))}/${r1(median(xs))}/${r1(Math.max(...xs))}`;
    console.log(`over rounds (min/median/max): stopAll ms ${mmm(col((r) => r.stopMs))}; median lag ms ${mmm(col((r) => r.lagMedian))}; max lag ms ${mmm(col((r) => r.lagMax))}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

void main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
