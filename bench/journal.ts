// `npm run bench:journal`: what recording every spawn in the run journal costs. (a) 1,000 spawn
// records appended the way the Supervisor does it (one synchronous write each): per-record time
// min/median/max. (b) N real spawns (`sleep 60`) through the Supervisor with the journal and without,
// alternating, per-spawn time min/median/max and the ratio of the medians. Args: [spawns=300] [rounds=2]
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { RunJournal } from '../src/core/supervisor/journal';
import { newRunMarker } from '../src/core/supervisor/marker';
import { Supervisor } from '../src/core/supervisor/supervisor';

const SPAWNS = Number(process.argv[2] ?? 300);
const ROUNDS = Number(process.argv[3] ?? 2);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length === 0 ? NaN : s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
const fmt = (xs: number[], digits = 1) => {
  const f = 10 ** digits;
  const r = (x: number) => Math.round(x * f) / f;
  return `${r(Math.min(...xs))}/${r(median(xs))}/${r(Math.max(...xs))}`;
};

async function spawnRound(dir: string | undefined): Promise<number[]> {
  const sup = new Supervisor({ stateDir: dir, runnerFile: '/bench/flow.yml' });
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin' };
  const times: number[] = [];
  for (let i = 0; i < SPAWNS; i++) {
    const proc = sup.add({ id: `c${i}`, command: ['sleep', '60'], cwd: '/', env });
    const t0 = performance.now();
    proc.start();
    times.push(performance.now() - t0);
  }
  await sup.stopAll(2000);
  return times;
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flowctl-journal-'));
  try {
    const journal = new RunJournal(dir, { runnerPid: process.pid, marker: newRunMarker(), file: '/bench/flow.yml', startedAt: Date.now() });
    journal.open();
    const us: number[] = [];
    for (let i = 0; i < 1000; i++) {
      const t0 = performance.now();
      journal.recordSpawn({ id: `component-${i}`, pid: 100000 + i, pgid: 100000 + i, startTimeTicks: 123456789 + i });
      us.push((performance.now() - t0) * 1000);
    }
    const size = fs.statSync(journal.file).size;
    journal.remove();
    console.log(`(a) 1,000 journal records: per record µs min/median/max ${fmt(us)}; total ${(us.reduce((a, b) => a + b, 0) / 1000).toFixed(1)} ms; file ${size} bytes`);

    const withJ: number[] = [];
    const without: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      without.push(...(await spawnRound(undefined)));
      withJ.push(...(await spawnRound(dir)));
    }
    console.log(`(b) ${SPAWNS} spawns × ${ROUNDS} rounds, per spawn ms min/median/max: with journal ${fmt(withJ, 2)}, without ${fmt(without, 2)}; median ratio ${(median(withJ) / median(without)).toFixed(3)}`);
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
