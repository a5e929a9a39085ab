// Runner benchmark: `npm run bench:run`. In one run, with the runner (src/core/runner.ts) hosted in
// THIS process, exactly as the CLI and the extension host it (figures are per round, then min / median /
// max over rounds):
//   1. start → running of a demo-shaped pipeline (source → processor → 2 sinks), split into phases by
//      runner.marks, and what "running" costs a user: last registration → first event delivered at EVERY
//      sink (BENCH_RUNS rounds, default 5). Target: last registration → running < 100 ms.
//   2. the demo from the CLI: `node dist/cli.js run` spawned as a user runs it (persisted), spawn → "Pipeline is
//      running", and the same with --no-persistence (BENCH_CLI_RUNS rounds, default 5; beside it: spawn → exit
//      of `node dist/cli.js --version` and two process-tree floors; on Linux also the CPU the whole run had used
//      when it said running, and the SDK floor's, from /proc: ÷ cores, a lower bound on the wall time).
//      Goal < 500 ms.
//   3. restart of one component (per kind: source, processor, sink; BENCH_RESTARTS per kind, default 3) in
//      source → processor → 2 sinks at BENCH_RESTART_RATE events/s (default 1000): restart called → its
//      first event delivered again, and events lost / duplicated at the sinks per restart (from the sinks'
//      own record of sequence numbers). Goal: 0 lost for every kind (graceful restarts).
//   4. crash → report: crasher components record the moment (wall clock, µs) just before they SIGKILL
//      themselves; we record when the runner emits the component's exit notice. Target < 1 s.
//   5. throughput: source → processor → sink driven by the runner's data plane vs a direct grpc-js
//      source → sink stream (bench/run-direct-client.ts, its own process; same components and payloads).
//      Both stay up; measurement windows alternate (the idle pipeline's source is SIGSTOPped), for
//      BENCH_SECONDS (default 10) per pipeline. Target ratio ≥ 0.5×. Also: this process's RSS (sampled
//      every 50 ms; it hosts only the runner) and CPU of every process of both pipelines.
//   6. containers next to processes (bench/run-containers.ts): the same demo components as processes and as
//      containers (locally built image, host networking), alternating per round: start → running, the first
//      event at every sink, restart of the processor → its first event again, stop (BENCH_CONTAINER_RUNS
//      rounds, default 3; skipped with a line when no Docker engine answers).
// BENCH_ONLY=containers runs section 6 alone; BENCH_ONLY=cli runs section 2 alone (the demo from the CLI and its floors).
// Env: BENCH_RUNS, BENCH_CLI_RUNS, BENCH_RESTARTS, BENCH_RESTART_RATE, BENCH_SECONDS, BENCH_PAYLOAD_BYTES (256),
// BENCH_CRASHERS (3), BENCH_CRASHES (3 per crasher), BENCH_DIRECT_RAW=1 (the direct client forwards bytes like
// the data plane instead of decoding and re-encoding). Prints a table with targets and a final JSON line.
import { fork, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Runner } from '../src/core/runner';
import { containerFigures, type ContainerFigures } from './run-containers';
import type { RunnerOptions } from '../src/core/runnerTypes';
import {
  killLiveChildren,
  median,
  printTable,
  procCpuSeconds,
  procTreeCpuMs,
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
const CLI_RUNS = Math.round(envNumber('BENCH_CLI_RUNS', 5, 1));
const RESTARTS = Math.round(envNumber('BENCH_RESTARTS', 3, 1));
const RESTART_RATE = Math.round(envNumber('BENCH_RESTART_RATE', 1000, 1));
const SECONDS = envNumber('BENCH_SECONDS', 10, 1);
const PAYLOAD = Math.round(envNumber('BENCH_PAYLOAD_BYTES', 256, 8));
const CRASHERS = Math.round(envNumber('BENCH_CRASHERS', 3, 1));
const CRASHES = Math.round(envNumber('BENCH_CRASHES', 3, 1));
const CONTAINER_RUNS = Math.round(envNumber('BENCH_CONTAINER_RUNS', 3, 1));
const ONLY = process.env.BENCH_ONLY ?? '';
if (ONLY !== '' && ONLY !== 'containers' && ONLY !== 'cli') throw new Error(`BENCH_ONLY must be "containers" or "cli" (got "${ONLY}")`);
const TARGETS = { wiringMs: 100, crashMs: 1000, ratio: 0.5, cliStartMs: 500 };

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
  /** Last registration → the first event delivered at every sink. */
  firstEventEverySink: number;
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
    const sinks = ['sink-a', 'sink-b'];
    await waitUntil(() => sinks.every((id) => (r.liveCounts()[id]?.eventsIn ?? 0) > 0), 10_000, 'the first event at every sink');
    const firstEvent = performance.now();
    const m = r.marks as Required<typeof r.marks>;
    return {
      controlPlane: m.controlPlaneReady - m.start,
      toFirstSpawn: m.firstSpawn - m.controlPlaneReady,
      spawnChain: m.lastSpawn - m.firstSpawn,
      lastRegistration: m.lastRegistration - m.lastSpawn,
      wiring: m.running - m.lastRegistration,
      total: m.running - m.start,
      firstEventEverySink: firstEvent - m.lastRegistration,
      boot: [...registered].map(([id, t]) => t - (spawned.get(id) ?? t)),
    };
  } finally {
    await stopRunner(r);
  }
}

// ------------------------------------------------------------------ 2. the demo from the CLI

const CLI = path.join(__dirname, '..', 'cli.js');

/** CPU used (ms, all cores) by a process tree at one moment: all of it, and the root process's own share. */
interface CpuSample {
  totalMs: number;
  ownMs: number;
}

/** spawn → `pattern` on stdout (ms); then SIGINT and wait for the exit. */
async function cliRun(args: string[], pattern: string | undefined, env: NodeJS.ProcessEnv, cpu?: CpuSample[]): Promise<number> {
  const t0 = performance.now();
  const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  track(child);
  let out = '';
  let sampled = false;
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const seen = new Promise<number>((resolve, reject) => {
    const onData = (b: Buffer) => {
      out += b.toString();
      if (pattern && !sampled && out.includes(pattern)) {
        const ms = performance.now() - t0;
        sampled = true;
        // What the whole run (the CLI and every component) had used of the CPU by the moment it said "running".
        if (cpu) cpu.push({ totalMs: procTreeCpuMs(child.pid!), ownMs: procCpuSeconds(child.pid!) * 1000 });
        resolve(ms);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (b: Buffer) => (out += b.toString()));
    void exited.then((code) => (pattern ? reject(new Error(`the CLI exited (${code}) before "${pattern}":\n${out}`)) : resolve(performance.now() - t0)));
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  try {
    const ms = await seen;
    if (pattern) {
      child.kill('SIGINT');
      const code = await exited;
      if (code !== 0) throw new Error(`the CLI exited with ${code} after Ctrl+C:\n${out}`);
    }
    return ms;
  } finally {
    clearTimeout(timer);
  }
}

/** The demo pipeline with absolute commands and its output in the bench's temp folder. */
function demoCopy(): string {
  const demo = path.join(__dirname, '..', '..', 'examples', 'demo', 'flow.yml');
  const built = path.join(__dirname, '..', 'examples', 'demo', 'components');
  const dir = path.join(tmp, `demo-${++fileSeq}`);
  fs.mkdirSync(dir, { recursive: true });
  const yaml = fs
    .readFileSync(demo, 'utf8')
    .replace(/"\.\.\/\.\.\/dist\/examples\/demo\/components\/([\w-]+\.js)"/g, (_m, f: string) => JSON.stringify(path.join(built, f)))
    .replace('output/events.jsonl', path.join(dir, 'events.jsonl'));
  const file = path.join(dir, 'flow.yml');
  fs.writeFileSync(file, yaml);
  return file;
}

/**
 * The process floor of the demo's shape on this machine: a bare `node` starts four `node` children at once
 * and waits until each has connected back over TCP (no control plane, no gRPC, no pipeline). With
 * `childLoads`, every child first requires that file (the SDK bundle: what any SDK component loads).
 */
function floorTreeArgs(childLoads?: string): string[] {
  const child = `${childLoads ? `require(${JSON.stringify(childLoads)});` : ''}require('net').connect(+process.env.FLOOR_PORT,'127.0.0.1',function(){this.end()})`;
  const parent =
    `const net=require('net'),cp=require('child_process');let n=0;` +
    `const s=net.createServer((c)=>{c.destroy();if(++n===4){process.stdout.write('ready\\n');s.close();}});` +
    `s.listen(0,'127.0.0.1',()=>{for(let i=0;i<4;i++)cp.spawn(process.execPath,['-e',${JSON.stringify(child)}],{env:{...process.env,FLOOR_PORT:String(s.address().port)},stdio:'ignore'});});`;
  return ['-e', parent];
}

async function floorTree(childLoads: string | undefined, env: NodeJS.ProcessEnv, cpu?: CpuSample[]): Promise<number> {
  const t0 = performance.now();
  const child = spawn(process.execPath, floorTreeArgs(childLoads), { env, stdio: ['ignore', 'pipe', 'pipe'] });
  track(child);
  let out = '';
  let sampled = false;
  return new Promise<number>((resolve, reject) => {
    child.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      if (!sampled && out.includes('ready')) {
        const ms = performance.now() - t0;
        sampled = true;
        if (cpu) cpu.push({ totalMs: procTreeCpuMs(child.pid!), ownMs: procCpuSeconds(child.pid!) * 1000 });
        resolve(ms);
      }
    });
    child.stderr!.on('data', (b: Buffer) => (out += b.toString()));
    child.once('exit', (code) => (out.includes('ready') ? undefined : reject(new Error(`the floor process exited (${code}):\n${out}`))));
  });
}

/** spawn → exit of a bare `node -e 0` (Node's own start-up on this machine, with `env`). */
async function nodeBoot(env: NodeJS.ProcessEnv): Promise<number> {
  const t0 = performance.now();
  const child = spawn(process.execPath, ['-e', '0'], { env, stdio: 'ignore' });
  track(child);
  const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
  if (code !== 0) throw new Error(`node -e 0 exited with ${code}`);
  return performance.now() - t0;
}

/**
 * NODE_EXTRA_CA_CERTS (set on some machines, this sandbox's included) makes every Node process read and
 * parse that certificate file at start, before any of our code runs: the CLI and each of the demo's four
 * components pay it. The bench keeps the variable (it is the user's environment) and measures its cost.
 */
const EXTRA_CA = process.env.NODE_EXTRA_CA_CERTS?.trim() ? process.env.NODE_EXTRA_CA_CERTS : undefined;

async function cliStartups(): Promise<{ running: number[]; runningNoPersist: number[]; floor: number[]; tree: number[]; treeSdk: number[]; firstRun: number; node: number[]; nodeNoCa: number[]; runningNoCa: number[]; runningCpu: CpuSample[]; treeSdkCpu: CpuSample[] }> {
  const file = demoCopy();
  const env = { ...process.env, FLOWCTL_HOME: path.join(tmp, 'cli-home') };
  const running: number[] = [];
  const runningNoPersist: number[] = [];
  const floor: number[] = [];
  const tree: number[] = [];
  const treeSdk: number[] = [];
  const node: number[] = [];
  const nodeNoCa: number[] = [];
  const runningNoCa: number[] = [];
  const runningCpu: CpuSample[] = [];
  const treeSdkCpu: CpuSample[] = [];
  const envNoCa: NodeJS.ProcessEnv = { ...env };
  delete envNoCa.NODE_EXTRA_CA_CERTS;
  const sdk = path.join(__dirname, '..', 'sdk.js');
  // As a user types it (the run is persisted in FLOWCTL_HOME, whose stored runs grow by one per round), and with
  // --no-persistence (no database opened, nothing stored).
  const runArgs = ['run', file, '--control-plane-port', '0', '--show-status=false', '--log-dir', path.join(path.dirname(file), 'logs')];
  const noPersistArgs = [...runArgs, '--no-persistence'];
  // The first run of each command has no code cache yet, nor do the components (src/core/codeCache.ts: made at exit):
  // measured on its own, then every round runs with the cache, as a user's runs after their first do.
  const firstRun = await cliRun(runArgs, 'Pipeline is running', env);
  await cliRun(['--version'], undefined, env);
  process.stderr.write(`  CLI first run (no code cache yet): running after ${Math.round(firstRun)} ms\n`);
  await cliRun(noPersistArgs, 'Pipeline is running', env);
  for (let i = 0; i < CLI_RUNS; i++) {
    node.push(await nodeBoot(env));
    if (EXTRA_CA) nodeNoCa.push(await nodeBoot(envNoCa));
    floor.push(await cliRun(['--version'], undefined, env));
    tree.push(await floorTree(undefined, env));
    treeSdk.push(await floorTree(sdk, env, treeSdkCpu));
    // Alternate which of the two goes first, so neither always runs right after the floors.
    const arms = [
      { into: running, args: runArgs, env, cpu: runningCpu },
      { into: runningNoPersist, args: noPersistArgs, env },
      ...(EXTRA_CA ? [{ into: runningNoCa, args: runArgs, env: envNoCa }] : []),
    ];
    for (const arm of i % 2 ? arms.reverse() : arms) arm.into.push(await cliRun(arm.args, 'Pipeline is running', arm.env, 'cpu' in arm ? arm.cpu : undefined));
    const noCa = EXTRA_CA ? `, ${Math.round(runningNoCa[i])} ms (persisted, without NODE_EXTRA_CA_CERTS)` : '';
    process.stderr.write(`  CLI run ${i + 1}/${CLI_RUNS}: running after ${Math.round(running[i])} ms (persisted${Number.isFinite(runningCpu[i]?.totalMs) ? `; ${Math.round(runningCpu[i].totalMs)} ms of CPU` : ''}), ${Math.round(runningNoPersist[i])} ms (--no-persistence)${noCa}\n`);
  }
  return { running, runningNoPersist, floor, tree, treeSdk, firstRun, node, nodeNoCa, runningNoCa, runningCpu, treeSdkCpu };
}

// ------------------------------------------------------------------ 3. restart of one component

interface RestartKind {
  kind: 'source' | 'processor' | 'sink';
  /** restart called → its first event delivered again (ms), per restart. */
  firstEvent: number[];
  /** events missing at the sinks per restart (both sinks added). */
  lost: number[];
  /** events seen twice at the sinks per restart. */
  duplicated: number[];
  /** events the runner counted as dropped over the whole round. */
  dropped: number;
}

async function restartRound(kind: RestartKind['kind']): Promise<RestartKind> {
  const dir = path.join(tmp, `restart-${kind}-${++fileSeq}`);
  fs.mkdirSync(dir, { recursive: true });
  const seqFile = (id: string) => path.join(dir, `${id}.seq`);
  const file = writePipeline(`bench-restart-${kind}`, [
    { id: 'src', role: 'sources', script: script('source'), env: { RATE: String(RESTART_RATE), PAD_BYTES: String(PAYLOAD) } },
    { id: 'proc', role: 'processors', script: script('processor'), inputs: ['src'] },
    { id: 'sink-a', role: 'sinks', script: script('sink'), inputs: ['proc'], env: { SEQ_FILE: seqFile('sink-a') } },
    { id: 'sink-b', role: 'sinks', script: script('sink'), inputs: ['proc'], env: { SEQ_FILE: seqFile('sink-b') } },
  ]);
  const target = { source: 'src', processor: 'proc', sink: 'sink-a' }[kind];
  const r = newRunner(file);
  const marks: number[] = []; // sink-a's count when each restart began
  const firstEvent: number[] = [];
  try {
    await r.start();
    const count = () => {
      const c = r.liveCounts()[target];
      return kind === 'sink' ? (c?.eventsIn ?? 0) : (c?.eventsOut ?? 0);
    };
    await waitUntil(() => (r.liveCounts()['sink-a']?.eventsIn ?? 0) > RESTART_RATE / 2, 10_000, 'events before the first restart', 5);
    for (let i = 0; i < RESTARTS; i++) {
      marks.push(r.liveCounts()['sink-a']?.eventsIn ?? 0);
      const t0 = performance.now();
      const restarts = r.snapshot().components.find((c) => c.id === target)!.restarts;
      await r.restartComponent(target);
      // The counts of its new process: wait until it is registered again, then for the next event.
      await waitUntil(() => r.snapshot().components.find((c) => c.id === target)!.phase === 'running', 20_000, `${target} to run again`);
      const base = count();
      const wasRunningAt = performance.now();
      await waitUntil(() => count() > base, 10_000, `${target}'s first event after restart ${restarts + 1}`);
      firstEvent.push(performance.now() - t0);
      process.stderr.write(`  ${kind} restart ${i + 1}/${RESTARTS}: first event after ${Math.round(firstEvent[i])} ms (registered → event ${Math.round(performance.now() - wasRunningAt)} ms)\n`);
      await sleep(700);
    }
  } finally {
    await stopRunner(r);
  }
  // What the sinks recorded: per restart window (split at sink-a's count when each restart began).
  const lost = marks.map(() => 0);
  const duplicated = marks.map(() => 0);
  for (const id of ['sink-a', 'sink-b']) {
    const seqs = fs.readFileSync(seqFile(id), 'utf8').split('\n').filter(Boolean).map(Number);
    const windowOf = (index: number) => Math.max(0, marks.filter((m) => m <= index).length - 1);
    let expected = 1;
    const seen = new Set<number>();
    seqs.forEach((s, index) => {
      const w = windowOf(index);
      if (seen.has(s)) duplicated[w]++;
      else if (s > expected) lost[w] += s - expected;
      seen.add(s);
      expected = Math.max(expected, s + 1);
    });
  }
  return { kind, firstEvent, lost, duplicated, dropped: r.snapshot().dropped ?? 0 };
}

// ------------------------------------------------------------------ 4. crash → report

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

// ------------------------------------------------------------------ 5. throughput

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

/** "min / median / max" with no false precision (whole ms from 10 ms up, one decimal below). */
function mmm(xs: number[], unit = ''): string {
  if (xs.length === 0) return 'n/a';
  const f = (x: number) => (Math.abs(x) >= 10 ? String(Math.round(x)) : String(round(x, 1)));
  return `${f(Math.min(...xs))} / ${f(median(xs))} / ${f(Math.max(...xs))}${unit}`;
}

/** stats() of CPU samples, or null where /proc cannot be read (not Linux). */
function cpuStats(xs: number[]): ReturnType<typeof stats> | null {
  const ok = xs.filter(Number.isFinite);
  return ok.length ? stats(ok) : null;
}

function stats(xs: number[]): { min: number; median: number; max: number; rounds: number[] } {
  return { min: round(Math.min(...xs)), median: round(median(xs)), max: round(Math.max(...xs)), rounds: xs.map((x) => round(x)) };
}

/** Section 6: containers next to processes (min / median / max, same run). */
async function containers(): Promise<ContainerFigures> {
  process.stderr.write(`containers next to processes…\n`);
  return containerFigures({ tmp, rounds: CONTAINER_RUNS, newRunner, stopRunner, log: (l) => process.stderr.write(`${l}\n`) });
}

function containerRows(f: ContainerFigures): Row[] {
  if (f.skipped) return [{ what: '6. containers next to processes', value: f.skipped }];
  const ratio = (k: keyof ContainerFigures['process']) => `${round(median(f.container[k]) / median(f.process[k]), 2)}×`;
  const pair = (label: string, k: keyof ContainerFigures['process']): Row[] => [
    { what: `   ${label}: processes`, value: mmm(f.process[k], ' ms') },
    { what: `   ${label}: containers (container ÷ process, medians)`, value: `${mmm(f.container[k], ' ms')} (${ratio(k)})` },
  ];
  return [
    { what: `6. containers next to processes, demo components (${f.rounds} rounds each, alternating)`, value: f.image ?? '' },
    ...pair('start → running', 'running'),
    ...pair('running → first event at every sink', 'firstEventEverySink'),
    ...pair('restart processor → its first event again', 'restart'),
    ...pair('stop (everything gone)', 'stop'),
  ];
}

function containerJson(f: ContainerFigures) {
  const mode = (m: ContainerFigures['process']) => ({
    runningMs: m.running.length ? stats(m.running) : undefined,
    firstEventEverySinkMs: m.firstEventEverySink.length ? stats(m.firstEventEverySink) : undefined,
    restartMs: m.restart.length ? stats(m.restart) : undefined,
    stopMs: m.stop.length ? stats(m.stop) : undefined,
  });
  return { rounds: f.rounds, image: f.image, skipped: f.skipped, process: mode(f.process), container: mode(f.container) };
}

/** Per-round ratios a[i] / b[i] as "min / median / max×" (two decimals). */
function ratios(a: number[], b: number[]): string {
  const r = a.map((x, i) => x / b[i]).filter((x) => Number.isFinite(x));
  if (r.length === 0) return 'n/a';
  return `${round(Math.min(...r), 2)} / ${round(median(r), 2)} / ${round(Math.max(...r), 2)}×`;
}

/**
 * Start-up is CPU-bound here: five Node processes on os.cpus().length cores. CPU used by the moment "running"
 * (all processes, all cores) ÷ cores is a lower bound on the wall time no reordering can beat.
 */
function cpuRows(cli: Awaited<ReturnType<typeof cliStartups>>): Row[] {
  const total = cli.runningCpu.map((c) => c.totalMs).filter(Number.isFinite);
  if (total.length === 0) return [];
  const cores = os.cpus().length;
  return [
    { what: '   CPU used by "running" (the CLI and its 4 components, all cores, persisted runs)', value: mmm(total, ' ms') },
    { what: '     of which the CLI itself', value: mmm(cli.runningCpu.map((c) => c.ownMs), ' ms') },
    { what: `     ÷ ${cores} cores: a lower bound on spawn → running`, value: mmm(total.map((t) => t / cores), ' ms') },
    { what: '   CPU used by the SDK floor (parent + 4 children loading the SDK) when ready', value: mmm(cli.treeSdkCpu.map((c) => c.totalMs), ' ms') },
  ];
}

function cliRows(cli: Awaited<ReturnType<typeof cliStartups>>): Row[] {
  return [
    { what: `2. demo from the CLI: spawn → "Pipeline is running" (${CLI_RUNS}, with the CLI's code cache)`, value: mmm(cli.running, ' ms'), target: '< 500 ms', ok: median(cli.running) < TARGETS.cliStartMs },
    { what: '   the same with --no-persistence (no database, nothing stored)', value: mmm(cli.runningNoPersist, ' ms') },
    ...(EXTRA_CA ? [{ what: '   persisted, run without NODE_EXTRA_CA_CERTS (as on a machine that does not set it)', value: mmm(cli.runningNoCa, ' ms') }] : []),
    { what: '   the first run, before any code cache exists (the CLI and its components; once)', value: `${Math.round(cli.firstRun)} ms` },
    { what: '   floor: spawn → exit of a bare `node -e 0`', value: mmm(cli.node, ' ms') },
    ...(EXTRA_CA
      ? [{ what: `   the same without NODE_EXTRA_CA_CERTS (set here: ${path.basename(EXTRA_CA)}, read by every Node process at start)`, value: mmm(cli.nodeNoCa, ' ms') }]
      : []),
    { what: '   floor: spawn → exit of `flowctl --version`', value: mmm(cli.floor, ' ms') },
    { what: '   floor: bare node + 4 bare node children, each connected back', value: mmm(cli.tree, ' ms') },
    { what: '   floor: the same, each child loading the SDK bundle first (without a code cache: the demo components use one)', value: mmm(cli.treeSdk, ' ms') },
    // Each round measures the floors right before its demo run: per-round ratios follow the machine's load.
    { what: '   demo ÷ SDK floor, per round (min / median / max)', value: ratios(cli.running, cli.treeSdk) },
    { what: '   demo ÷ bare-node floor, per round (min / median / max)', value: ratios(cli.running, cli.tree) },
    ...cpuRows(cli),
  ];
}

async function main(): Promise<void> {
  if (ONLY === 'containers') {
    console.log(`bench:run (containers only) — ${CONTAINER_RUNS} rounds; node ${process.version}, ${os.cpus().length} CPU(s), load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`);
    const f = await containers();
    printTable('Containers next to processes (min / median / max over rounds)', containerRows(f));
    console.log(JSON.stringify({ bench: 'run', section: 'containers', loadAverage: os.loadavg().map((x) => round(x, 1)), containers: containerJson(f) }));
    return;
  }
  if (ONLY === 'cli') {
    console.log(`bench:run (the demo from the CLI only) — ${CLI_RUNS} rounds; node ${process.version}, ${os.cpus().length} CPU(s), load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`);
    const cli = await cliStartups();
    printTable('The demo from the CLI and its floors (min / median / max over rounds)', cliRows(cli));
    console.log(`  load average after: ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`);
    return;
  }
  console.log(
    `bench:run — ${RUNS} start-up rounds, ${CLI_RUNS} CLI rounds, ${RESTARTS} restarts per kind at ${RESTART_RATE} events/s, ` +
      `${CRASHERS}×${CRASHES} crashes, ${SECONDS} s of throughput per pipeline, ${PAYLOAD}-byte payloads; node ${process.version}, ${os.cpus().length} CPU(s), ` +
      `load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`,
  );

  process.stderr.write(`start-up rounds…\n`);
  const runs: StartupRun[] = [];
  for (let i = 0; i < RUNS; i++) {
    runs.push(await startupRun());
    process.stderr.write(`  round ${i + 1}/${RUNS}: running after ${round(runs[i].total)} ms, first event at every sink ${round(runs[i].firstEventEverySink)} ms after the last registration\n`);
  }
  const col = (k: keyof Omit<StartupRun, 'boot'>) => runs.map((r) => r[k]);
  const startupRssPeak = rssPeakMb;

  process.stderr.write(`the demo from the CLI…\n`);
  const cli = await cliStartups();

  process.stderr.write(`restarts…\n`);
  const restarts: RestartKind[] = [];
  for (const kind of ['source', 'processor', 'sink'] as const) restarts.push(await restartRound(kind));

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
  const ctr = await containers();
  const maxRssMb = process.resourceUsage().maxRSS / 1024;

  const fmtCpu = (c: Record<string, number>) =>
    Object.entries(c)
      .map(([k, v]) => `${k} ${Math.round(v * 100)}%`)
      .join(', ');
  const wiringMedian = median(col('wiring'));
  const cliMedian = median(cli.running);
  const rows: Row[] = [
    { what: `1. start → running, in process (min / median / max of ${RUNS})`, value: mmm(col('total'), ' ms') },
    { what: '   load + control plane (controlPlaneReady − start)', value: mmm(col('controlPlane'), ' ms') },
    { what: '   control plane → first spawn', value: mmm(col('toFirstSpawn'), ' ms') },
    { what: '   first → last spawn (depends_on only; none here)', value: mmm(col('spawnChain'), ' ms') },
    { what: '   last spawn → last registration', value: mmm(col('lastRegistration'), ' ms') },
    { what: '   last registration → running (streams open)', value: mmm(col('wiring'), ' ms'), target: '< 100 ms', ok: wiringMedian < TARGETS.wiringMs },
    { what: '   last registration → first event at EVERY sink', value: mmm(col('firstEventEverySink'), ' ms') },
    { what: '   (info) one component: spawn → registered', value: mmm(runs.flatMap((r) => r.boot), ' ms') },
    ...cliRows(cli),
    ...restarts.flatMap((k, i): Row[] => [
      { what: `3.${i + 1} restart ${k.kind} → its first event again (${RESTARTS})`, value: mmm(k.firstEvent, ' ms') },
      {
        what: '    events lost at the sinks per restart (dup.)',
        value: `${mmm(k.lost)} (${k.duplicated.reduce((a, b) => a + b, 0)})`,
        target: '0',
        ok: k.lost.every((x) => x === 0) && k.duplicated.every((x) => x === 0),
      },
    ]),
    { what: `4. crash → runner reports it (median of ${crash.samples})`, value: `${crash.medianMs} ms`, target: '< 1000 ms', ok: crash.medianMs < TARGETS.crashMs },
    { what: '   min / max', value: `${crash.minMs} / ${crash.maxMs} ms` },
    { what: '5. through the runner: src → proc → sink', value: `${Math.round(tp.runner.eventsPerSecond)} ev/s` },
    { what: `   direct grpc-js: src → sink${process.env.BENCH_DIRECT_RAW === '1' ? ' (bytes forwarded)' : ''}`, value: `${Math.round(tp.direct.eventsPerSecond)} ev/s` },
    { what: '   ratio runner / direct', value: `${round(ratio, 2)}×`, target: '≥ 0.5×', ok: ratio >= TARGETS.ratio },
    { what: '   ratio per round (min / median / max)', value: `${round(Math.min(...tp.roundRatios), 2)} / ${round(median(tp.roundRatios), 2)} / ${round(Math.max(...tp.roundRatios), 2)}` },
    { what: '   runner process peak RSS during throughput (sampled)', value: `${round(tp.throughputRssPeak)} MiB` },
    { what: '   runner process peak RSS, whole bench (sampled / kernel)', value: `${round(rssPeakMb)} / ${round(maxRssMb)} MiB` },
    ...containerRows(ctr),
  ];
  printTable(`Runner benchmark (min / median / max over rounds; ${tp.rounds}×${round(tp.windowMs / 1000, 2)} s throughput windows per pipeline)`, rows);
  console.log('\n  per round:');
  console.log(`    start → running (ms):                    ${col('total').map((x) => Math.round(x)).join(', ')}`);
  console.log(`    last registration → every sink (ms):     ${col('firstEventEverySink').map((x) => Math.round(x)).join(', ')}`);
  console.log(`    CLI demo spawn → running (ms):           ${cli.running.map((x) => Math.round(x)).join(', ')}`);
  for (const k of restarts) {
    console.log(`    restart ${k.kind.padEnd(9)} first event (ms):     ${k.firstEvent.map((x) => Math.round(x)).join(', ')}; lost ${k.lost.join(', ')}; duplicated ${k.duplicated.join(', ')}; counted dropped ${k.dropped}`);
  }
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
    loadAverage: os.loadavg().map((x) => round(x, 1)),
    params: { runs: RUNS, cliRuns: CLI_RUNS, restarts: RESTARTS, restartRate: RESTART_RATE, seconds: SECONDS, payloadBytes: PAYLOAD, crashers: CRASHERS, crashes: CRASHES, directRaw: process.env.BENCH_DIRECT_RAW === '1' },
    startup: {
      totalMs: stats(col('total')),
      controlPlaneMs: stats(col('controlPlane')),
      toFirstSpawnMs: stats(col('toFirstSpawn')),
      spawnChainMs: stats(col('spawnChain')),
      lastRegistrationMs: stats(col('lastRegistration')),
      wiringMs: stats(col('wiring')),
      lastRegistrationToEverySinkMs: stats(col('firstEventEverySink')),
      componentBootMs: stats(runs.flatMap((r) => r.boot)),
    },
    cli: { demoRunningMs: stats(cli.running), demoRunningNoPersistenceMs: stats(cli.runningNoPersist), demoRunningWithoutExtraCaCertsMs: EXTRA_CA ? stats(cli.runningNoCa) : null, firstRunMs: Math.round(cli.firstRun), nodeFloorMs: stats(cli.node), nodeFloorWithoutExtraCaCertsMs: EXTRA_CA ? stats(cli.nodeNoCa) : null, versionFloorMs: stats(cli.floor), processTreeFloorMs: stats(cli.tree), sdkTreeFloorMs: stats(cli.treeSdk), demoCpuAtRunningMs: cpuStats(cli.runningCpu.map((c) => c.totalMs)), cliCpuAtRunningMs: cpuStats(cli.runningCpu.map((c) => c.ownMs)), sdkTreeFloorCpuMs: cpuStats(cli.treeSdkCpu.map((c) => c.totalMs)), cores: os.cpus().length },
    restarts: Object.fromEntries(restarts.map((k) => [k.kind, { firstEventMs: stats(k.firstEvent), lost: k.lost, duplicated: k.duplicated, countedDropped: k.dropped }])),
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
    containers: containerJson(ctr),
    memory: { throughputPeakRssMb: round(tp.throughputRssPeak), peakRssMb: round(rssPeakMb), startupPeakRssMb: round(startupRssPeak), kernelMaxRssMb: round(maxRssMb) },
    targets: TARGETS,
    pass: {
      wiring: wiringMedian < TARGETS.wiringMs,
      cliStart: cliMedian < TARGETS.cliStartMs,
      restartsLossless: restarts.every((k) => k.lost.every((x) => x === 0) && k.duplicated.every((x) => x === 0)),
      crash: crash.medianMs < TARGETS.crashMs,
      ratio: ratio >= TARGETS.ratio,
    },
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
