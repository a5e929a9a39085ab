// Runner benchmark: `npm run bench:run`. In one run, with the runner (src/core/runner.ts) hosted in
// THIS process, exactly as the CLI and the extension host it:
//   1. start → running of a demo-shaped pipeline (source → processor → 2 sinks), split into phases by
//      runner.marks; median of BENCH_RUNS (default 5) runs. Target: running − lastRegistration < 100 ms.
//   2. crash → report: crasher components record the moment (wall clock, µs) just before they SIGKILL
//      themselves; we record when the runner emits the component's exit notice. Median; target < 1 s.
//   3. throughput: source → processor → sink driven by the runner's DataPlane vs a direct grpc-js
//      source → sink stream (bench/run-direct-client.ts, its own process; same components and payloads).
//      Both stay up; measurement windows alternate (the idle pipeline's source is SIGSTOPped), for
//      BENCH_SECONDS (default 10) per pipeline. Target ratio ≥ 0.5×. Also: this process's RSS (sampled
//      every 50 ms; it hosts only the runner) and CPU of every process of both pipelines.
// Env: BENCH_RUNS, BENCH_SECONDS, BENCH_PAYLOAD_BYTES (256), BENCH_CRASHERS (3), BENCH_CRASHES (3 per crasher),
// BENCH_DIRECT_RAW=1 (the direct client forwards bytes like the data plane instead of decoding and re-encoding).
// Prints a table with targets and a final JSON line.
import { fork, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Runner } from '../src/core/runner';
import type { RunnerOptions } from '../src/core/runnerTypes';
import {
  killLiveChildren,
  median,
  printTable,
  procCpuSeconds,
  round,
  sleep,
  startStandalone,
  stopChild,
  track,
  wallNow,
  type Row,
  type Standalone,
} from './run-util';

function envNumber(name: string, def: number, min: number): number {
  const raw = process.env[name];
  const v = raw === undefined || raw === '' ? def : Number(raw);
  if (!Number.isFinite(v) || v < min) throw new Error(`${name} must be a number ≥ ${min} (got "${raw}")`);
  return v;
}

const RUNS = Math.round(envNumber('BENCH_RUNS', 5, 1));
const SECONDS = envNumber('BENCH_SECONDS', 10, 1);
const PAYLOAD = Math.round(envNumber('BENCH_PAYLOAD_BYTES', 256, 8));
const CRASHERS = Math.round(envNumber('BENCH_CRASHERS', 3, 1));
const CRASHES = Math.round(envNumber('BENCH_CRASHES', 3, 1));
const TARGETS = { wiringMs: 100, crashMs: 1000, ratio: 0.5 };

const COMPONENTS = path.join(__dirname, 'components');
const script = (name: string) => path.join(COMPONENTS, `${name}.js`);
for (const n of ['source', 'processor', 'sink', 'crasher']) {
  if (!fs.existsSync(script(n))) throw new Error(`${script(n)} is missing: run \`npm run build\` first (npm run bench:run does)`);
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'flowctl-bench-run-'));
// The runner writes its endpoint file and state file under FLOWCTL_HOME: keep the user's alone.
process.env.FLOWCTL_HOME = path.join(tmp, 'home');

// ------------------------------------------------------------------ pipelines and runners

interface Comp {
  id: string;
  role: 'sources' | 'processors' | 'sinks';
  script: string;
  inputs?: string[];
  env?: Record<string, string>;
  restart?: string;
}

let fileSeq = 0;
function writePipeline(name: string, comps: Comp[]): string {
  const lines = ['apiVersion: flowctl/v1', 'kind: Pipeline', 'metadata:', `  name: ${name}`, 'spec:', '  driver: process'];
  for (const role of ['sources', 'processors', 'sinks'] as const) {
    const mine = comps.filter((c) => c.role === role);
    if (!mine.length) continue;
    lines.push(`  ${role}:`);
    for (const c of mine) {
      lines.push(`    - id: ${c.id}`, `      command: ${JSON.stringify([process.execPath, c.script])}`);
      if (c.inputs) lines.push(`      inputs: ${JSON.stringify(c.inputs)}`);
      if (c.restart) lines.push(`      restart_policy: ${c.restart}`);
      if (c.env) lines.push(`      env: ${JSON.stringify(c.env)}`);
    }
  }
  const dir = path.join(tmp, `${name}-${++fileSeq}`);
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'flow.yml');
  fs.writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

const runners = new Set<Runner>();
function newRunner(file: string): Runner {
  const opts: RunnerOptions = {
    file,
    port: 0,
    noPersistence: true,
    stateDir: path.join(tmp, 'state'),
    logDir: path.join(path.dirname(file), 'logs'),
    shutdownGraceMs: 3000,
  };
  const r = new Runner(opts);
  runners.add(r);
  return r;
}

async function stopRunner(r: Runner): Promise<void> {
  for (const c of r.snapshot().components) if (c.pid) signal(c.pid, 'SIGCONT');
  await r.stop('benchmark done');
  runners.delete(r);
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

function pidOf(r: Runner, id: string): number {
  const pid = r.snapshot().components.find((c) => c.id === id)?.pid;
  if (!pid) throw new Error(`component ${id} has no pid`);
  return pid;
}

async function waitUntil(check: () => boolean, timeoutMs: number, what: string, everyMs = 1): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

// ------------------------------------------------------------------ RSS sampling

let rssPeakMb = 0;
let rssPhasePeakMb = 0;
const rssTimer = setInterval(() => {
  const mb = process.memoryUsage.rss() / (1024 * 1024);
  rssPeakMb = Math.max(rssPeakMb, mb);
  rssPhasePeakMb = Math.max(rssPhasePeakMb, mb);
}, 50);
rssTimer.unref();

// ------------------------------------------------------------------ 1. start → running

interface StartupRun {
  controlPlane: number;
  toFirstSpawn: number;
  spawnChain: number;
  lastRegistration: number;
  wiring: number;
  total: number;
  firstEvent: number;
  boot: number[];
}

async function startupRun(): Promise<StartupRun> {
  const file = writePipeline('bench-startup', [
    { id: 'src', role: 'sources', script: script('source'), env: { RATE: '200', PAD_BYTES: String(PAYLOAD) } },
    { id: 'proc', role: 'processors', script: script('processor'), inputs: ['src'] },
    { id: 'sink-a', role: 'sinks', script: script('sink'), inputs: ['proc'] },
    { id: 'sink-b', role: 'sinks', script: script('sink'), inputs: ['proc'] },
  ]);
  const r = newRunner(file);
  const spawned = new Map<string, number>();
  const registered = new Map<string, number>();
  r.onEvent((e) => {
    if (e.type !== 'component') return;
    const now = performance.now();
    if (e.view.phase === 'starting' && !spawned.has(e.view.id)) spawned.set(e.view.id, now);
    if (e.view.phase === 'running' && !registered.has(e.view.id)) registered.set(e.view.id, now);
  });
  try {
    await r.start();
    await waitUntil(() => r.snapshot().eventsProcessed > 0, 10_000, 'the first event at the sinks');
    const firstEvent = performance.now();
    const m = r.marks as Required<typeof r.marks>;
    return {
      controlPlane: m.controlPlaneReady - m.start,
      toFirstSpawn: m.firstSpawn - m.controlPlaneReady,
      spawnChain: m.lastSpawn - m.firstSpawn,
      lastRegistration: m.lastRegistration - m.lastSpawn,
      wiring: m.running - m.lastRegistration,
      total: m.running - m.start,
      firstEvent: firstEvent - m.running,
      boot: [...registered].map(([id, t]) => t - (spawned.get(id) ?? t)),
    };
  } finally {
    await stopRunner(r);
  }
}

// ------------------------------------------------------------------ 2. crash → report

async function crashLatencies(): Promise<number[]> {
  const crashFile = path.join(tmp, 'crashes.txt');
  const ids = Array.from({ length: CRASHERS }, (_, i) => `crasher-${i + 1}`);
  const file = writePipeline(
    'bench-crash',
    ids.map((id, i) => ({
      id,
      role: 'sources' as const,
      script: script('crasher'),
      restart: 'on-failure',
      env: { CRASH_FILE: crashFile, CRASH_AFTER_MS: String(300 + i * 97), CRASHES: String(CRASHES) },
    })),
  );
  const r = newRunner(file);
  const reported = new Map<string, number[]>(ids.map((id) => [id, []]));
  r.onEvent((e) => {
    if (e.type === 'notice' && e.componentId && reported.has(e.componentId) && /was killed by|exited with code/.test(e.message)) {
      reported.get(e.componentId)!.push(wallNow());
    }
  });
  try {
    await r.start();
    const budget = 20_000 + CRASHES * 10_000;
    await waitUntil(() => [...reported.values()].every((t) => t.length >= CRASHES), budget, `${CRASHERS}×${CRASHES} crash reports`, 20);
  } finally {
    await stopRunner(r);
  }
  const crashed = new Map<string, number[]>(ids.map((id) => [id, []]));
  for (const line of fs.readFileSync(crashFile, 'utf8').split('\n').filter(Boolean)) {
    const [id, t] = line.split(' ');
    crashed.get(id)?.push(Number(t));
  }
  const out: number[] = [];
  for (const id of ids) {
    const c = crashed.get(id)!;
    const rep = reported.get(id)!;
    for (let i = 0; i < Math.min(c.length, rep.length); i++) out.push(rep[i] - c[i]);
  }
  return out;
}

// ------------------------------------------------------------------ 3. throughput

interface PathUnderTest {
  name: string;
  source: number;
  count(): Promise<number>;
  pids(): Record<string, number>;
}

class DirectClient {
  private waiters: Array<{ resolve: (m: any) => void; reject: (e: Error) => void }> = [];
  private failure?: string;
  constructor(readonly child: ChildProcess) {
    child.on('message', (m: any) => {
      if (m.type === 'error') this.failure = m.message;
      else this.waiters.shift()?.resolve(m);
    });
    child.once('exit', () => {
      for (const w of this.waiters.splice(0)) w.reject(new Error(`the direct client exited${this.failure ? `: ${this.failure}` : ''}`));
    });
  }
  request(m: object): Promise<any> {
    if (this.failure) return Promise.reject(new Error(`direct client: ${this.failure}`));
    if (this.child.exitCode !== null || this.child.signalCode !== null) return Promise.reject(new Error('the direct client has exited'));
    return new Promise((resolve, reject) => {
      this.waiters.push({ resolve, reject });
      this.child.send(m);
    });
  }
}

interface Window {
  events: number;
  seconds: number;
  cpu: Record<string, number>;
}

async function measure(p: PathUnderTest, warmMs: number, windowMs: number, runnerCpu: boolean): Promise<Window> {
  signal(p.source, 'SIGCONT');
  await sleep(warmMs);
  const pids = p.pids();
  const cpu0 = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, procCpuSeconds(pid)]));
  const self0 = process.cpuUsage();
  const n0 = await p.count();
  const t0 = performance.now();
  await sleep(windowMs);
  const n1 = await p.count();
  const t1 = performance.now();
  const self1 = process.cpuUsage(self0);
  const seconds = (t1 - t0) / 1000;
  const cpu: Record<string, number> = {};
  for (const [k, pid] of Object.entries(pids)) cpu[k] = (procCpuSeconds(pid) - cpu0[k]) / seconds;
  if (runnerCpu) cpu.runner = (self1.user + self1.system) / 1e6 / seconds;
  signal(p.source, 'SIGSTOP');
  await sleep(300); // what is in flight drains before the other pipeline's window
  return { events: n1 - n0, seconds, cpu };
}

/** Totals over the windows: events/s, CPU share per process (1 = one core), CPU µs per event per process. */
function sumWindows(ws: Window[]): { eventsPerSecond: number; cpu: Record<string, number>; usPerEvent: Record<string, number> } {
  const events = ws.reduce((a, w) => a + w.events, 0);
  const seconds = ws.reduce((a, w) => a + w.seconds, 0);
  const cpuSeconds: Record<string, number> = {};
  for (const w of ws) for (const [k, v] of Object.entries(w.cpu)) cpuSeconds[k] = (cpuSeconds[k] ?? 0) + v * w.seconds;
  const cpu: Record<string, number> = {};
  const usPerEvent: Record<string, number> = {};
  for (const [k, v] of Object.entries(cpuSeconds)) {
    cpu[k] = v / seconds;
    usPerEvent[k] = events > 0 ? (v * 1e6) / events : NaN;
  }
  usPerEvent.total = Object.values(usPerEvent).reduce((a, b) => a + b, 0);
  return { eventsPerSecond: events / seconds, cpu, usPerEvent };
}

async function throughput() {
  const padEnv = { PAD_BYTES: String(PAYLOAD), RATE: '0' };
  // Direct: standalone source and sink + the bench client in its own process.
  const dSource: Standalone = await startStandalone(script('source'), { ...padEnv, FLOWCTL_COMPONENT_ID: 'direct-src' });
  const dSink: Standalone = await startStandalone(script('sink'), { FLOWCTL_COMPONENT_ID: 'direct-sink' });
  const clientChild = fork(path.join(__dirname, 'run-direct-client.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  track(clientChild);
  const client = new DirectClient(clientChild);
  await client.request({ type: 'start', source: dSource.endpoint, sink: dSink.endpoint });
  signal(dSource.child.pid!, 'SIGSTOP'); // idle until its first window

  // Through the runner.
  const file = writePipeline('bench-throughput', [
    { id: 'src', role: 'sources', script: script('source'), env: padEnv },
    { id: 'proc', role: 'processors', script: script('processor'), inputs: ['src'] },
    { id: 'sink', role: 'sinks', script: script('sink'), inputs: ['proc'] },
  ]);
  const r = newRunner(file);
  const warnings: string[] = [];
  r.onEvent((e) => {
    if (e.type === 'notice' && e.level !== 'info') warnings.push(e.message);
  });
  try {
    await r.start();
    await waitUntil(() => r.snapshot().eventsProcessed > 0, 10_000, 'events through the runner');
    const runnerPath: PathUnderTest = {
      name: 'runner',
      source: pidOf(r, 'src'),
      count: async () => r.snapshot().eventsProcessed,
      pids: () => ({ src: pidOf(r, 'src'), proc: pidOf(r, 'proc'), sink: pidOf(r, 'sink') }),
    };
    const directPath: PathUnderTest = {
      name: 'direct',
      source: dSource.child.pid!,
      count: async () => (await client.request({ type: 'count' })).n as number,
      pids: () => ({ src: dSource.child.pid!, client: clientChild.pid!, sink: dSink.child.pid! }),
    };
    signal(runnerPath.source, 'SIGSTOP');
    await sleep(300);

    const rounds = Math.max(1, Math.round(SECONDS / 2));
    const windowMs = (SECONDS * 1000) / rounds;
    const runnerWindows: Window[] = [];
    const directWindows: Window[] = [];
    rssPhasePeakMb = 0;
    for (let i = 0; i < rounds; i++) {
      const warm = i === 0 ? 2000 : 500;
      const order = i % 2 === 0 ? [runnerPath, directPath] : [directPath, runnerPath];
      for (const p of order) {
        const w = await measure(p, warm, windowMs, p === runnerPath);
        (p === runnerPath ? runnerWindows : directWindows).push(w);
        process.stderr.write(`  window ${i + 1}/${rounds} ${p.name}: ${Math.round(w.events / w.seconds)} events/s\n`);
      }
    }
    const throughputRssPeak = rssPhasePeakMb;
    // Adjacent windows see similar load from the rest of the machine: their ratios show the noise.
    const roundRatios = runnerWindows.map((w, i) => w.events / w.seconds / (directWindows[i].events / directWindows[i].seconds));
    return { runner: sumWindows(runnerWindows), direct: sumWindows(directWindows), rounds, windowMs, throughputRssPeak, warnings, roundRatios };
  } finally {
    await stopRunner(r);
    await client.request({ type: 'stop' }).catch(() => undefined);
    await Promise.all([stopChild(dSource.child), stopChild(dSink.child), stopChild(clientChild)]);
  }
}

// ------------------------------------------------------------------ main

async function main(): Promise<void> {
  console.log(
    `bench:run — ${RUNS} start-up runs, ${CRASHERS}×${CRASHES} crashes, ${SECONDS} s of throughput per pipeline, ` +
      `${PAYLOAD}-byte payloads; node ${process.version}, ${os.cpus().length} CPU(s)`,
  );

  process.stderr.write(`start-up runs…\n`);
  const runs: StartupRun[] = [];
  for (let i = 0; i < RUNS; i++) {
    runs.push(await startupRun());
    process.stderr.write(`  run ${i + 1}/${RUNS}: running after ${round(runs[i].total)} ms\n`);
  }
  const med = (k: keyof Omit<StartupRun, 'boot'>) => round(median(runs.map((r) => r[k])));
  const startup = {
    controlPlaneMs: med('controlPlane'),
    toFirstSpawnMs: med('toFirstSpawn'),
    spawnChainMs: med('spawnChain'),
    lastRegistrationMs: med('lastRegistration'),
    wiringMs: med('wiring'),
    totalMs: med('total'),
    firstEventAfterRunningMs: med('firstEvent'),
    componentBootMs: round(median(runs.flatMap((r) => r.boot))),
    wiringMaxMs: round(Math.max(...runs.map((r) => r.wiring))),
  };
  const startupRssPeak = rssPeakMb;

  process.stderr.write(`crashes…\n`);
  rssPhasePeakMb = 0;
  const lat = await crashLatencies();
  const crash = {
    samples: lat.length,
    medianMs: round(median(lat), 2),
    minMs: round(Math.min(...lat), 2),
    maxMs: round(Math.max(...lat), 2),
  };

  process.stderr.write(`throughput (alternating windows)…\n`);
  const tp = await throughput();
  const ratio = tp.runner.eventsPerSecond / tp.direct.eventsPerSecond;
  const maxRssMb = process.resourceUsage().maxRSS / 1024;

  const fmtCpu = (c: Record<string, number>) =>
    Object.entries(c)
      .map(([k, v]) => `${k} ${Math.round(v * 100)}%`)
      .join(', ');
  const ms = (x: number) => `${x} ms`;
  const rows: Row[] = [
    { what: '1. start → running (total)', value: ms(startup.totalMs) },
    { what: '   load + control plane (controlPlaneReady − start)', value: ms(startup.controlPlaneMs) },
    { what: '   control plane → first spawn', value: ms(startup.toFirstSpawnMs) },
    { what: '   first → last spawn (waits for dependencies to register)', value: ms(startup.spawnChainMs) },
    { what: '   last spawn → last registration', value: ms(startup.lastRegistrationMs) },
    { what: '   runner overhead: last registration → running', value: ms(startup.wiringMs), target: '< 100 ms', ok: startup.wiringMs < TARGETS.wiringMs },
    { what: '   (info) one component: spawn → registered', value: ms(startup.componentBootMs) },
    { what: '   (info) running → first event at the sinks', value: ms(startup.firstEventAfterRunningMs) },
    { what: `2. crash → runner reports it (median of ${crash.samples})`, value: ms(crash.medianMs), target: '< 1000 ms', ok: crash.medianMs < TARGETS.crashMs },
    { what: '   min / max', value: `${crash.minMs} / ${crash.maxMs} ms` },
    { what: '3. through the runner: src → proc → sink', value: `${Math.round(tp.runner.eventsPerSecond)} ev/s` },
    { what: `   direct grpc-js: src → sink${process.env.BENCH_DIRECT_RAW === '1' ? ' (bytes forwarded)' : ''}`, value: `${Math.round(tp.direct.eventsPerSecond)} ev/s` },
    { what: '   ratio runner / direct', value: `${round(ratio, 2)}×`, target: '≥ 0.5×', ok: ratio >= TARGETS.ratio },
    { what: '   ratio per round (min / median / max)', value: `${round(Math.min(...tp.roundRatios), 2)} / ${round(median(tp.roundRatios), 2)} / ${round(Math.max(...tp.roundRatios), 2)}` },
    { what: '   runner process peak RSS during throughput (sampled)', value: `${round(tp.throughputRssPeak)} MiB` },
    { what: '   runner process peak RSS, whole bench (sampled / kernel)', value: `${round(rssPeakMb)} / ${round(maxRssMb)} MiB` },
  ];
  printTable(`Runner benchmark (medians over ${RUNS} start-up runs; ${tp.rounds}×${round(tp.windowMs / 1000, 2)} s windows per pipeline)`, rows);
  const fmtUs = (c: Record<string, number>) =>
    Object.entries(c)
      .map(([k, v]) => `${k} ${round(v, 1)}`)
      .join(', ');
  console.log(`\n  CPU share during the windows (100% = one core):`);
  console.log(`    through the runner: ${fmtCpu(tp.runner.cpu)}`);
  console.log(`    direct:             ${fmtCpu(tp.direct.cpu)}`);
  console.log(`  CPU µs per event delivered to the sink:`);
  console.log(`    through the runner: ${fmtUs(tp.runner.usPerEvent)}`);
  console.log(`    direct:             ${fmtUs(tp.direct.usPerEvent)}`);
  console.log(
    `  CPU-bound ratio on this machine ≈ direct / runner-path CPU per event = ${round(tp.direct.usPerEvent.total / tp.runner.usPerEvent.total, 2)}× ` +
      `(the runner's own share: ${round(tp.runner.usPerEvent.runner, 1)} µs/event for 2 hops vs the direct client's ${round(tp.direct.usPerEvent.client, 1)} µs for 1)`,
  );
  if (tp.warnings.length) console.log(`  runner warnings during throughput: ${tp.warnings.slice(0, 5).join(' | ')}`);

  const result = {
    bench: 'run',
    node: process.version,
    cpus: os.cpus().length,
    params: { runs: RUNS, seconds: SECONDS, payloadBytes: PAYLOAD, crashers: CRASHERS, crashes: CRASHES, directRaw: process.env.BENCH_DIRECT_RAW === '1' },
    startup,
    crash,
    throughput: {
      runnerEventsPerSecond: Math.round(tp.runner.eventsPerSecond),
      directEventsPerSecond: Math.round(tp.direct.eventsPerSecond),
      ratio: round(ratio, 3),
      roundRatios: tp.roundRatios.map((x) => round(x, 3)),
      cpuBoundRatio: round(tp.direct.usPerEvent.total / tp.runner.usPerEvent.total, 3),
      cpuRunnerPath: Object.fromEntries(Object.entries(tp.runner.cpu).map(([k, v]) => [k, round(v, 2)])),
      cpuDirectPath: Object.fromEntries(Object.entries(tp.direct.cpu).map(([k, v]) => [k, round(v, 2)])),
      usPerEventRunnerPath: Object.fromEntries(Object.entries(tp.runner.usPerEvent).map(([k, v]) => [k, round(v, 1)])),
      usPerEventDirectPath: Object.fromEntries(Object.entries(tp.direct.usPerEvent).map(([k, v]) => [k, round(v, 1)])),
    },
    memory: { throughputPeakRssMb: round(tp.throughputRssPeak), peakRssMb: round(rssPeakMb), startupPeakRssMb: round(startupRssPeak), kernelMaxRssMb: round(maxRssMb) },
    targets: TARGETS,
    pass: { wiring: startup.wiringMs < TARGETS.wiringMs, crash: crash.medianMs < TARGETS.crashMs, ratio: ratio >= TARGETS.ratio },
  };
  console.log(JSON.stringify(result));
}

async function cleanup(): Promise<void> {
  for (const r of [...runners]) await stopRunner(r).catch(() => undefined);
  killLiveChildren();
  fs.rmSync(tmp, { recursive: true, force: true });
}

process.on('exit', killLiveChildren);
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    process.stderr.write(`\n${sig}: stopping…\n`);
    void cleanup().finally(() => process.exit(130));
  });
}

main()
  .then(cleanup)
  .catch(async (err) => {
    console.error(`bench:run failed: ${err instanceof Error ? err.stack : err}`);
    await cleanup();
    process.exitCode = 1;
  });
