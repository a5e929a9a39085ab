// bench:debug — how long Debug Component takes in the core, against a plain restart of the same
// component measured in the same run (the baseline): a live run of the demo components (ticker →
// enrich → counter-sink) restarts `enrich` (1) normally, (2) under the Node.js inspector until the
// inspector listens (what the editor waits for before it attaches), and (3) back without the
// inspector when the debug session ends. Each time: until the component runs (registered) again.
// Also the events the sink lost or received twice over all of it (expected: none lost, none twice).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Runner } from '../src/core/runner';
import { ComponentDebugger } from '../src/core/debug';
import { median, sleep } from './run-util';

const ROUNDS = Number(process.env.ROUNDS ?? 5);
/** PLAIN_ONLY=1: only the plain restarts (to tell whether a loss comes from restarting at all). */
const PLAIN_ONLY = process.env.PLAIN_ONLY === '1';
const DIST = path.resolve(__dirname, '..', 'examples', 'demo', 'components');

function r1(x: number): string {
  return (Math.round(x * 10) / 10).toFixed(1);
}

function mmm(xs: number[]): string {
  return `${r1(Math.min(...xs))} / ${r1(median(xs))} / ${r1(Math.max(...xs))}`;
}

async function until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await sleep(10);
  }
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flowctl-bench-debug-'));
  fs.chmodSync(dir, 0o700);
  process.env.FLOWCTL_HOME = path.join(dir, 'home');
  const out = path.join(dir, 'events.jsonl');
  const js = (name: string) => JSON.stringify(['node', path.join(DIST, `${name}.js`)]);
  const file = path.join(dir, 'flow.yml');
  fs.writeFileSync(
    file,
    `apiVersion: flowctl/v1
kind: Pipeline
metadata: { name: bench-debug }
spec:
  sources:
    - id: ticker
      command: ${js('ticker')}
      env: { RATE: "50" }
  processors:
    - id: enrich
      command: ${js('enrich')}
      inputs: [ticker]
      env: { MIN_QTY: "0" }
  sinks:
    - id: jsonl-sink
      command: ${js('jsonl-sink')}
      inputs: [enrich]
      env: { OUTPUT_FILE: ${JSON.stringify(out)} }
`,
    { mode: 0o600 },
  );
  const runner = new Runner({ file, port: 0, noPersistence: true, stateDir: process.env.FLOWCTL_HOME, logDir: path.join(dir, 'logs'), shutdownGraceMs: 5000 });
  const debug = new ComponentDebugger(runner);
  // Warnings and errors of the run (a processor stream that failed says its in-flight events are lost).
  const problems: string[] = [];
  runner.onEvent((e) => {
    if (e.type === 'notice' && e.level !== 'info') problems.push(`${e.level}: ${e.message}`);
  });
  const view = (id: string) => runner.snapshot().components.find((c) => c.id === id)!;
  const runningAgain = (oldPid: number | undefined) => () => {
    const v = view('enrich');
    return v.phase === 'running' && !!v.pid && v.pid !== oldPid;
  };
  const plain: number[] = [];
  const listening: number[] = [];
  const underDebugger: number[] = [];
  const back: number[] = [];
  try {
    await runner.start();
    console.log(`bench:debug — ${ROUNDS} rounds; ms until the component runs again (min / median / max); load ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
    for (let i = 0; i < ROUNDS; i++) {
      let pid = view('enrich').pid;
      let t0 = performance.now();
      await runner.restartComponent('enrich');
      await until(runningAgain(pid), 60_000, 'plain restart');
      plain.push(performance.now() - t0);
      await sleep(300);
      if (PLAIN_ONLY) {
        console.log(`round ${i + 1}: plain ${r1(plain[i])}`);
        continue;
      }

      pid = view('enrich').pid;
      t0 = performance.now();
      const plan = await debug.prepare('enrich');
      await debug.start(plan);
      listening.push(performance.now() - t0);
      await until(runningAgain(pid), 60_000, 'restart under the inspector');
      underDebugger.push(performance.now() - t0);
      await sleep(300);

      pid = view('enrich').pid;
      t0 = performance.now();
      const result = await debug.finish('enrich', 'bench');
      if (result !== 'restarted') throw new Error(`finish: ${result}`);
      await until(runningAgain(pid), 60_000, 'back without the inspector');
      back.push(performance.now() - t0);
      console.log(`round ${i + 1}: plain ${r1(plain[i])}, inspector listening ${r1(listening[i])}, running under it ${r1(underDebugger[i])}, back ${r1(back[i])}`);
      await sleep(300);
    }
    await runner.stop();
    const seqs = fs
      .readFileSync(out, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => (JSON.parse(l) as { payload: { seq: number } }).payload.seq);
    let twice = 0;
    let gaps = 0;
    const missing: number[] = [];
    for (let i = 1; i < seqs.length; i++) {
      if (seqs[i] <= seqs[i - 1]) twice++;
      else if (seqs[i] !== seqs[i - 1] + 1) {
        gaps += seqs[i] - seqs[i - 1] - 1;
        for (let s = seqs[i - 1] + 1; s < seqs[i] && missing.length < 20; s++) missing.push(s);
      }
    }
    console.log(`plain restart (baseline)             ${mmm(plain)} ms`);
    if (!PLAIN_ONLY) console.log(`Debug: inspector listening           ${mmm(listening)} ms`);
    if (!PLAIN_ONLY) console.log(`Debug: running under the inspector   ${mmm(underDebugger)} ms  (ratio of medians to baseline ${r1(median(underDebugger) / median(plain))})`);
    if (!PLAIN_ONLY) console.log(`end of session: running normally     ${mmm(back)} ms  (ratio ${r1(median(back) / median(plain))})`);
    console.log(`sink: ${seqs.length} events, ${gaps} missing, ${twice} out of order or twice; dropped ${runner.snapshot().dropped ?? 0}${missing.length ? `; missing seq ${missing.join(', ')}` : ''}`);
    console.log(`run warnings and errors: ${problems.length}${problems.length ? `\n  ${problems.slice(0, 10).join('\n  ')}` : ''}`);
  } finally {
    await runner.forceStop('bench over').catch(() => undefined);
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
