// Extension benchmark: `npm run bench:extension` (BENCH_SECONDS=5 for a quicker run).
// Runs the extension in a REAL VS Code extension host (code-server + headless Chromium, see
// test/vscode/host.ts) with test/vscode/bench/index.ts as the in-host entry, which measures:
//   1. activation time;
//   2. event-loop lag of the extension host with nothing running (baseline), then with
//      BENCH_COMPONENTS (1,000) components heartbeating every second against the embedded control
//      plane, and the Services-tree refreshes per second meanwhile;
//   3. event-loop lag while one component prints up to 100,000 lines/s, and whether its terminal
//      keeps up or drops lines visibly (`… N lines dropped …` notices);
//   4. the pipeline graph: ELK layout and SVG render time at 20/200/1,000 nodes (min/median/max over
//      BENCH_GRAPH_ROUNDS rounds, timed inside the webview), and with the 1,000 live components of
//      phase 2 the live-update cost per second (extension host and webview) and the host's lag.
// BENCH_GRAPH_ONLY=1 runs only the graph layout/render part (quick); BENCH_HEARTBEATS_ONLY=1 only the N-component phase.
// A thousand Node processes do not fit here (one is ~40-50 MB RSS: 40-50 GB), so the pipeline has
// 1,000 real components of which BENCH_DRIVERS (50) are Node drivers (bench/components/ext-heartbeats)
// that each register and heartbeat their own id plus 19 others through the flowctl.v1 API; the
// other 950 components' processes are `sleep` placeholders (the runner matches registrations by
// id, so each tree item is a component the runner started). The start goes in waves (a depends_on
// chain through the drivers): all at once it can exceed the runner's 30 s registration timeout. Prints a table with targets and a
// final JSON line. BENCH_PROFILE=1 also CPU-profiles the extension host and prints its hot spots
// (BENCH_PROFILE_DIR=<folder> keeps the whole .cpuprofile files).
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { REPO_ROOT, runInHost } from '../test/vscode/host';
import { parsePipeline } from '../src/core/pipeline/load';
import { structureOf } from '../src/extension/graph/graphModel';
import { toElkGraph } from '../src/extension/graph/webview/elkGraph';
import type { BenchConfig, LagFigures } from '../test/vscode/bench/index';
import type { HotFunction } from '../test/vscode/bench/profile';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const COMPONENTS = Number(process.env.BENCH_COMPONENTS ?? 1000);
const DRIVERS = Number(process.env.BENCH_DRIVERS ?? 50);
const HEARTBEAT_MS = Number(process.env.BENCH_HEARTBEAT_MS ?? 1000);
/** Registration timeout of the 1,000-component run (extension and CLI floor alike), seconds. */
const REGISTRATION_TIMEOUT_S = 300;
const FLOOD_RATE = 100_000;
/** BENCH_PROFILE=1: CPU-profile the extension host and print its hottest functions per phase. */
const PROFILE = process.env.BENCH_PROFILE === '1';
/** BENCH_PROFILE_DIR=<folder>: with BENCH_PROFILE=1, also keep each whole profile there (.cpuprofile, for DevTools). */
const PROFILE_DIR = process.env.BENCH_PROFILE_DIR ? path.resolve(process.env.BENCH_PROFILE_DIR) : undefined;
const TARGETS = { activationMs: 2000, treeRefreshesPerSecond: 4, lagP99Ms: 50 };
const GRAPH_SIZES = [20, 200, 1000];
const GRAPH_ROUNDS = Number(process.env.BENCH_GRAPH_ROUNDS ?? 5);
const GRAPH_ONLY = process.env.BENCH_GRAPH_ONLY === '1';
/** BENCH_HEARTBEATS_ONLY=1: only the N-component phase (start, heartbeat window, live graph), no graph sizes, no flood. */
const HEARTBEATS_ONLY = process.env.BENCH_HEARTBEATS_ONLY === '1';
/** BENCH_START_ATTEMPTS: starts of the N-component pipeline tried before giving up (default 2). */
const START_ATTEMPTS = Number(process.env.BENCH_START_ATTEMPTS ?? 2);
if (!(Number.isInteger(START_ATTEMPTS) && START_ATTEMPTS >= 1)) throw new Error(`BENCH_START_ATTEMPTS must be a positive integer (got ${process.env.BENCH_START_ATTEMPTS})`);
/** BENCH_CLI_FLOOR=0 skips the floor: the same N components started by `flowctl run` after the host session. */
const CLI_FLOOR = process.env.BENCH_CLI_FLOOR !== '0' && !GRAPH_ONLY;
if (!(HEARTBEAT_MS > 0)) throw new Error(`BENCH_HEARTBEAT_MS must be a positive number (got ${process.env.BENCH_HEARTBEAT_MS})`);
if (!(SECONDS > 0)) throw new Error(`BENCH_SECONDS must be a positive number (got ${process.env.BENCH_SECONDS})`);
if (!(Number.isInteger(COMPONENTS) && COMPONENTS >= 1)) throw new Error(`BENCH_COMPONENTS must be a positive integer (got ${process.env.BENCH_COMPONENTS})`);
if (!(Number.isInteger(DRIVERS) && DRIVERS >= 1 && DRIVERS <= COMPONENTS)) throw new Error(`BENCH_DRIVERS must be an integer 1..${COMPONENTS}`);

const dist = (p: string) => path.join(REPO_ROOT, 'dist', p);
const ENTRY = path.join(REPO_ROOT, 'out', 'vscode', 'bench', 'index.js');
const HEARTBEATS_JS = dist('bench/components/ext-heartbeats.js');
const FLOOD_JS = dist('bench/components/ext-flood.js');
for (const f of [dist('extension.js'), HEARTBEATS_JS, FLOOD_JS, ENTRY]) {
  if (!fs.existsSync(f)) throw new Error(`${f} is missing: run \`npm run build && node esbuild.mjs --tests\` first (npm run bench:extension does)`);
}

const q = (s: string) => JSON.stringify(s);
const shQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** N components: `driver-NN` run the Node driver, each owning a slice of `svc-NNNN` placeholders. */
function heartbeatPipeline(churnFile: string, upDir: string): string {
  const placeholders = COMPONENTS - DRIVERS;
  const lines = [
    '# Generated by bench/extension.ts: components heartbeating against the embedded control plane.',
    'apiVersion: flowctl/v1',
    'kind: Pipeline',
    'metadata:',
    `  name: bench-heartbeats-${COMPONENTS}`,
    'spec:',
    '  driver: process',
    '  sources:',
  ];
  let next = 0;
  for (let d = 0; d < DRIVERS; d++) {
    const share = Math.floor(placeholders / DRIVERS) + (d < placeholders % DRIVERS ? 1 : 0);
    const owned = Array.from({ length: share }, (_, i) => `svc-${String(next + i).padStart(4, '0')}`);
    next += share;
    lines.push(
      `    - id: driver-${String(d).padStart(2, '0')}`,
      `      command: [${q(process.execPath)}, ${q(HEARTBEATS_JS)}]`,
      '      output_event_types: [bench.ext.v1]',
      ...(d > 0 ? [`      depends_on: [driver-${String(d - 1).padStart(2, '0')}]`] : []),
      '      env:',
      `        FLOWCTL_HEARTBEAT_INTERVAL_MS: "${HEARTBEAT_MS}"`,
      `        BENCH_EXTRA_IDS: ${q(owned.join(','))}`,
      `        BENCH_CHURN_FILE: ${q(churnFile)}`,
      `        BENCH_UP_DIR: ${q(upDir)}`,
    );
    // depends_on: the start goes in waves (driver k+1 and driver k's placeholders once driver k has
    // registered). All at once, spawning 1,000 processes blocks the extension host (and with it the
    // embedded control plane) for 25-40 s on this machine, past the runner's 30 s registration timeout.
    for (const id of owned) {
      // A placeholder says it has started (its driver then registers it, once) and becomes `sleep`.
      const up = `: > ${shQuote(upDir)}/"$FLOWCTL_COMPONENT_ID" && exec sleep 86400`;
      lines.push(`    - id: ${id}`, `      command: ["sh", "-c", ${q(up)}]`, '      output_event_types: [bench.ext.v1]', `      depends_on: [driver-${String(d).padStart(2, '0')}]`);
    }
  }
  return lines.join('\n') + '\n';
}

/** A drawable pipeline of n components (not run): a tenth sources, then processors and sinks fed by one or two earlier components. */
function graphPipeline(n: number): string {
  const sources = Math.max(1, Math.round(n / 10));
  const sinks = Math.max(1, Math.round(n / 5));
  const lines = ['apiVersion: flowctl/v1', 'kind: Pipeline', 'metadata:', `  name: bench-graph-${n}`, 'spec:'];
  let seed = 7;
  const rand = (k: number) => ((seed = (seed * 1103515245 + 12345) % 2147483648), seed % k);
  const section = (name: string, from: number, to: number) => {
    lines.push(`  ${name}:`);
    for (let i = from; i < to; i++) {
      lines.push(`    - id: c${String(i).padStart(4, '0')}`, '      command: ["sleep", "1"]');
      if (i >= sources) {
        const pool = Math.min(i, n - sinks); // sinks feed nothing
        const a = rand(pool);
        const b = rand(pool);
        const inputs = [...new Set([a, b])].map((k) => `c${String(k).padStart(4, '0')}`);
        lines.push(`      inputs: [${inputs.join(', ')}]`);
      }
    }
  };
  section('sources', 0, sources);
  section('processors', sources, n - sinks);
  section('sinks', n - sinks, n);
  return lines.join('\n') + '\n';
}

function floodPipeline(dir: string): string {
  return [
    '# Generated by bench/extension.ts: one component printing up to 100,000 lines/s.',
    'apiVersion: flowctl/v1',
    'kind: Pipeline',
    'metadata:',
    '  name: bench-flood',
    'spec:',
    '  driver: process',
    '  sources:',
    '    - id: flood',
    `      command: [${q(process.execPath)}, ${q(FLOOD_JS)}]`,
    '      output_event_types: [bench.ext.v1]',
    '      env:',
    `        FLOWCTL_HEARTBEAT_INTERVAL_MS: "${HEARTBEAT_MS}"`,
    `        BENCH_RATE: "${FLOOD_RATE}"`,
    `        BENCH_SECONDS: "${SECONDS}"`,
    `        BENCH_GO_FILE: ${q(path.join(dir, 'flood.go'))}`,
    `        BENCH_COUNT_FILE: ${q(path.join(dir, 'flood.count.json'))}`,
    '',
  ].join('\n');
}

/** Processes whose working directory is inside `dir` (pipeline components run in the pipeline's folder). */
function processesIn(dir: string): string[] {
  const found: string[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cwd = fs.readlinkSync(`/proc/${entry}/cwd`);
      if (cwd === dir || cwd.startsWith(dir + path.sep)) {
        found.push(`${entry} ${fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ').trim()}`);
      }
    } catch {
      /* gone or not ours */
    }
  }
  return found;
}

/**
 * The floor of the start: the same pipeline started by the CLI (`flowctl run`, its own process, no
 * editor), spawn → "Pipeline is running", then Ctrl+C and the exit. Same machine, same run.
 */
async function cliStart(file: string, workspace: string): Promise<{ runningMs?: number; stopMs?: number; error?: string }> {
  const home = path.join(workspace, 'cli-home');
  fs.mkdirSync(home, { recursive: true, mode: 0o700 });
  const args = [dist('cli.js'), 'run', file, '--control-plane-port', '0', '--no-persistence', '--show-status=false', '--heartbeat-ttl', '30s', '--registration-timeout', `${REGISTRATION_TIMEOUT_S}s`, '--log-dir', path.join(workspace, 'cli-logs')];
  const t0 = performance.now();
  const child = spawn(process.execPath, args, { cwd: path.dirname(file), env: { ...process.env, FLOWCTL_HOME: home }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const running = new Promise<number>((resolve, reject) => {
    child.stdout!.on('data', (b: Buffer) => {
      out = (out + b.toString()).slice(-20_000);
      if (out.includes('Pipeline is running')) resolve(performance.now() - t0);
    });
    child.stderr!.on('data', (b: Buffer) => (out = (out + b.toString()).slice(-20_000)));
    void exited.then((code) => reject(new Error(`flowctl run exited (${code}) before running: ${out.split('\n').slice(-5).join(' | ')}`)));
  });
  const timer = setTimeout(() => child.kill('SIGINT'), 10 * 60_000);
  try {
    const runningMs = await running;
    const s0 = performance.now();
    child.kill('SIGINT');
    await exited;
    return { runningMs, stopMs: performance.now() - s0 };
  } catch (err) {
    return { error: String((err as Error).message) };
  } finally {
    clearTimeout(timer);
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGINT');
      await exited;
    }
  }
}

type Row = [what: string, measured: string, target: string, ok: '✓' | '✗' | ''];

function table(rows: Row[]): string {
  const head: Row = ['measure', 'measured', 'target', ''];
  const w = [0, 1, 2].map((i) => Math.max(...[head, ...rows].map((r) => r[i].length)));
  const fmt = (r: Row) => `${r[0].padEnd(w[0])}  ${r[1].padStart(w[1])}  ${r[2].padEnd(w[2])}  ${r[3]}`.trimEnd();
  return [fmt(head), '-'.repeat(w[0] + w[1] + w[2] + 8), ...rows.map(fmt)].join('\n');
}

const ms = (n: number | undefined) => (n === undefined ? 'n/a' : `${n.toFixed(1)} ms`);
const lagText = (l: LagFigures | undefined) => (l ? `${l.p50} / ${l.p99} / ${l.max} ms` : 'n/a');
const check = (ok: boolean | undefined): Row[3] => (ok === undefined ? '' : ok ? '✓' : '✗');

type SpreadFig = { min: number; median: number; max: number; rounds: number } | undefined;

function spreadOf(xs: number[]): SpreadFig {
  if (!xs.length) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  const r = (n: number) => Math.round(n * 10) / 10;
  return { min: r(s[0]), median: r(s[Math.floor((s.length - 1) / 2)]), max: r(s[s.length - 1]), rounds: s.length };
}

/**
 * The same layouts in this Node process (elkjs in-thread), right after the host session: a reference
 * measured in the same run on the same (shared) machine, to read the webview's figures against.
 */
async function nodeReference(files: Array<{ nodes: number; file: string; rounds: number }>): Promise<Record<string, SpreadFig>> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const ELK = require('elkjs/lib/elk.bundled.js');
  const elk = new ELK();
  const out: Record<string, SpreadFig> = {};
  for (const g of files) {
    const parsed = parsePipeline(fs.readFileSync(g.file, 'utf8'), g.file, { checkCommands: false });
    const graph = toElkGraph(structureOf(g.file, parsed.pipeline, parsed.diagnostics));
    const times: number[] = [];
    for (let i = 0; i < g.rounds; i++) {
      const t = performance.now();
      await elk.layout(structuredClone(graph));
      times.push(performance.now() - t);
    }
    out[String(g.nodes)] = spreadOf(times);
  }
  return out;
}
const spreadText = (s: SpreadFig) => (s ? `${s.min} / ${s.median} / ${s.max} ms (${s.rounds})` : 'n/a');

/** Rows of the graph phase: layout and render per size, and the live-update cost with N components. */
function graphRows(graph: Record<string, { nodes: number; edges?: number; layoutMs?: SpreadFig; renderMs?: SpreadFig }>, live: Record<string, any> | undefined, base: LagFigures | undefined, reference: Record<string, SpreadFig>): Row[] {
  const rows: Row[] = [];
  for (const size of GRAPH_SIZES) {
    const g = graph[String(size)];
    rows.push([`graph ${size} nodes${g?.edges !== undefined ? `, ${g.edges} edges` : ''}: layout min/med/max`, spreadText(g?.layoutMs), 'reported (in a worker)', '']);
    rows.push(['  same layout in Node, same run (reference)', spreadText(reference[String(size)]), 'baseline', '']);
    rows.push(['  render (SVG + live patch) min/med/max', spreadText(g?.renderMs), 'reported', '']);
  }
  if (live) {
    rows.push([`graph of ${live.nodes ?? '?'} live components: first draw`, live.firstDrawMs !== undefined ? `${(live.firstDrawMs / 1000).toFixed(1)} s` : (live.error ?? 'n/a'), 'reported', '']);
    rows.push([`  while ${live.churning ?? '?'} components change health every second:`, '', '', '']);
    rows.push(['  live updates posted /s', live.updatesPerSecond !== undefined ? String(live.updatesPerSecond) : 'n/a', '≤ 4', check(live.updatesPerSecond !== undefined ? live.updatesPerSecond <= 4 : undefined)]);
    rows.push(['  extension host ms /s (build + post)', live.hostMsPerSecond !== undefined ? `${live.hostMsPerSecond} ms` : 'n/a', 'reported', '']);
    rows.push(['  extension host ms per update posted', live.hostMsPerUpdate !== undefined ? `${live.hostMsPerUpdate} ms` : 'n/a', 'reported', '']);
    rows.push(['  webview ms /s (apply)', live.webviewMsPerSecond !== undefined ? `${live.webviewMsPerSecond} ms` : 'n/a', 'reported', '']);
    rows.push(['  extension host CPU time /s (all of it)', live.hostCpuMsPerSecond !== undefined ? `${live.hostCpuMsPerSecond} ms` : 'n/a', 'reported', '']);
    rows.push(['  host event-loop lag p50/p99/max (graph open)', lagText(live.lag), `baseline ${base ? `${base.p99}` : '?'} ms p99`, '']);
  }
  return rows;
}

async function main(): Promise<void> {
  const workspace = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'flowctl-bench-ext-')));
  let exitCode = 0;
  try {
    const heartbeatFile = path.join(workspace, 'heartbeats', 'heartbeats.yml');
    const floodFile = path.join(workspace, 'flood', 'flood.yml');
    fs.mkdirSync(path.dirname(heartbeatFile));
    fs.mkdirSync(path.dirname(floodFile));
    // Named *.yml, not flow.yml: the workspace must not activate the extension before activate() is timed.
    const churnFile = path.join(workspace, 'heartbeats', 'churn');
    const upDir = path.join(workspace, 'heartbeats', 'up');
    fs.mkdirSync(upDir);
    fs.writeFileSync(heartbeatFile, heartbeatPipeline(churnFile, upDir));
    fs.writeFileSync(floodFile, floodPipeline(path.dirname(floodFile)));
    fs.mkdirSync(path.join(workspace, 'graphs'));
    const graphFiles = GRAPH_SIZES.map((nodes) => {
      const file = path.join(workspace, 'graphs', `graph-${nodes}.yml`);
      fs.writeFileSync(file, graphPipeline(nodes));
      return { nodes, file, rounds: nodes >= 1000 ? Math.max(1, Math.min(GRAPH_ROUNDS, 3)) : GRAPH_ROUNDS };
    });
    const cfg: BenchConfig = {
      heartbeatFile,
      churnFile,
      upDir,
      components: COMPONENTS,
      drivers: DRIVERS,
      floodFile,
      floodId: 'flood',
      floodGoFile: path.join(path.dirname(floodFile), 'flood.go'),
      floodCountFile: path.join(path.dirname(floodFile), 'flood.count.json'),
      seconds: SECONDS,
      profile: PROFILE,
      profileDir: PROFILE_DIR,
      graphFiles,
      graphOnly: GRAPH_ONLY,
      heartbeatsOnly: HEARTBEATS_ONLY,
      startAttempts: START_ATTEMPTS,
    };
    fs.writeFileSync(path.join(workspace, 'bench-config.json'), JSON.stringify(cfg, null, 2));
    console.log(`bench:extension — ${COMPONENTS} components (${DRIVERS} Node drivers + ${COMPONENTS - DRIVERS} sleep placeholders), heartbeat every ${HEARTBEAT_MS} ms, ${SECONDS} s windows; workspace ${workspace}`);

    const loadText = () => os.loadavg().map((x) => x.toFixed(2)).join(' / ');
    const loadBefore = loadText();
    const started = Date.now();
    let result;
    try {
      result = await runInHost({
        workspace,
        extensionDevelopmentPath: REPO_ROOT,
        testsEntry: ENTRY,
        // A thousand components on a busy 2-core machine: the start alone took 7-9 min here (load 12-18).
        timeoutMs: Number(process.env.BENCH_HOST_TIMEOUT_MIN ?? 30) * 60_000,
        name: 'bench-extension',
        // The placeholders register through their driver, which re-registers them once a second until the
        // run is RUNNING: on a loaded machine that can take longer than the default 30 s after a spawn.
        // A timeout there failed the whole start and the bench measured two starts (or none).
        settings: { 'flowctl.shutdownGracePeriod': 5, 'flowctl.heartbeatTtl': 30, 'flowctl.registrationTimeout': REGISTRATION_TIMEOUT_S },
        onLog: (line) => {
          // Progress of the in-host half; the workbench's own noise (listener-leak warnings with a
          // terminal per component, …) stays out. runInHost puts the log tail into any failure.
          if (line.includes('[bench]') || line.includes('tests exited')) console.log(`  ${line}`);
        },
      });
    } catch (err) {
      console.error(`the host run failed: ${(err as Error).message}`);
      exitCode = 1;
    }
    const loadAfter = loadText();
    console.log(`host session: ${((Date.now() - started) / 1000).toFixed(0)} s, exit code ${result?.exitCode ?? 'none'}; load average (1/5/15 min) before ${loadBefore}, after ${loadAfter}`);
    if (result && result.exitCode !== 0) exitCode = 1;

    const resultsFile = path.join(workspace, 'results.json');
    if (!fs.existsSync(resultsFile)) throw new Error('the in-host bench wrote no results.json');
    const r = JSON.parse(fs.readFileSync(resultsFile, 'utf8'));
    const reference = HEARTBEATS_ONLY ? {} : await nodeReference(graphFiles).catch((err: Error) => {
      console.error(`reference layout in Node failed: ${err.message}`);
      return {} as Record<string, SpreadFig>;
    });
    r.graphReference = reference;
    if (CLI_FLOOR && !r.error) {
      console.log(`the floor: the same ${COMPONENTS} components started by flowctl run (load ${loadText()})`);
      for (const f of fs.readdirSync(upDir)) fs.rmSync(path.join(upDir, f));
      r.cliFloor = { ...(await cliStart(heartbeatFile, workspace)), load: loadText() };
      console.log(`  ${JSON.stringify(r.cliFloor)}`);
    }
    if (r.error) console.error(`in-host error: ${r.error}`);

    const act = r.activation ?? {};
    const base = r.baseline?.lag as LagFigures | undefined;
    const hb = r.heartbeats ?? {};
    const fl = r.flood ?? {};
    for (const f of (hb.startFailures ?? []) as string[]) console.log(`heartbeat pipeline start failed: ${f.split('\n')[0]}`);
    const ratio = (a?: number, b?: number) => (a !== undefined && b !== undefined ? Math.round((a / Math.max(b, 0.1)) * 10) / 10 : undefined);
    const hbRatioP99 = ratio(hb.lag?.p99, base?.p99);
    const rows: Row[] = [
      ['load average 1/5/15 min: before / after the host session', `${loadBefore}; ${loadAfter}`, 'reported (2 cores)', ''],
      ['activation (activationMs)', ms(act.activationMs), `< ${TARGETS.activationMs} ms`, check(act.activationMs !== undefined ? act.activationMs < TARGETS.activationMs : undefined)],
      ['activate() wall time', ms(act.activateWallMs), `< ${TARGETS.activationMs} ms`, check(act.activateWallMs !== undefined ? act.activateWallMs < TARGETS.activationMs : undefined)],
      ['baseline lag p50/p99/max (no pipeline)', lagText(base), 'reference', ''],
      ['  start attempts (failed starts)', hb.startFailures ? `${hb.startFailures.length + (hb.startMs !== undefined ? 1 : 0)} (${hb.startFailures.length})` : 'n/a', '1 (0)', check(hb.startFailures ? hb.startFailures.length === 0 : undefined)],
      [`${hb.components ?? COMPONENTS} components: start until running`, hb.startMs !== undefined ? `${(hb.startMs / 1000).toFixed(1)} s` : 'n/a', 'reported', ''],
      ['  floor: the same start by `flowctl run`, same run', r.cliFloor?.runningMs !== undefined ? `${(r.cliFloor.runningMs / 1000).toFixed(1)} s (load ${r.cliFloor.load})` : (r.cliFloor?.error?.split('\n')[0] ?? 'not run'), 'baseline', ''],
      ['  of which opening terminals', hb.terminalsMs !== undefined ? `${(hb.terminalsMs / 1000).toFixed(1)} s` : 'n/a', 'reported', ''],
      ['  event-loop lag max during start', hb.lagDuringStart ? `${hb.lagDuringStart.max} ms` : 'n/a', 'reported', ''],
      ['  healthy in the window', hb.healthy !== undefined ? `${hb.healthy}/${hb.components}` : 'n/a', `${COMPONENTS}/${COMPONENTS}`, check(hb.healthy !== undefined ? hb.healthy === hb.components : undefined)],
      ['  heartbeat events seen /s', hb.heartbeatEventsPerSecond !== undefined ? String(hb.heartbeatEventsPerSecond) : 'n/a', `≈ ${Math.round((COMPONENTS * 1000) / HEARTBEAT_MS)}`, ''],
      ['  Services-tree refreshes /s', hb.treeRefreshesPerSecond !== undefined ? String(hb.treeRefreshesPerSecond) : 'n/a', `≤ ${TARGETS.treeRefreshesPerSecond}`, check(hb.treeRefreshesPerSecond !== undefined ? hb.treeRefreshesPerSecond <= TARGETS.treeRefreshesPerSecond : undefined)],
      ['  event-loop lag p50/p99/max', lagText(hb.lag), `p99 < ${TARGETS.lagP99Ms} ms`, check(hb.lag ? hb.lag.p99 < TARGETS.lagP99Ms : undefined)],
      ['  extension host CPU time /s (runner + control plane + extension)', hb.hostCpuMsPerSecond !== undefined ? `${hb.hostCpuMsPerSecond} ms` : 'n/a', 'reported', ''],
      ['  window planned / actual (blocked loop)', hb.windowSeconds !== undefined ? `${SECONDS} / ${hb.windowSeconds} s` : 'n/a', 'equal', check(hb.windowSeconds !== undefined ? hb.windowSeconds < SECONDS * 1.1 : undefined)],
      ['  rendering every tree item once', ms(hb.treeItemsMs), `< ${TARGETS.lagP99Ms} ms`, check(hb.treeItemsMs !== undefined ? hb.treeItemsMs < TARGETS.lagP99Ms : undefined)],
      ['  lag p99 vs baseline', hbRatioP99 !== undefined ? `${hbRatioP99}×` : 'n/a', 'reported', ''],
      ['  processes left after stop', hb.leftAlive !== undefined ? String(hb.leftAlive) : 'n/a', '0', check(hb.leftAlive !== undefined ? hb.leftAlive === 0 : undefined)],
      ['100k lines/s: lines produced /s', fl.producedPerSecond !== undefined ? String(fl.producedPerSecond) : 'n/a', `${FLOOD_RATE} (host reads all)`, check(fl.producedPerSecond !== undefined ? fl.producedPerSecond >= FLOOD_RATE * 0.9 : undefined)],
      ['  event-loop lag p50/p99/max', lagText(fl.lag), `p99 < ${TARGETS.lagP99Ms} ms`, check(fl.lag ? fl.lag.p99 < TARGETS.lagP99Ms : undefined)],
      ['  written to terminal / received', fl.writtenToTerminal !== undefined ? `${fl.writtenToTerminal} / ${fl.receivedByRunner}` : 'n/a', 'keeps up, or', ''],
      ['  dropped (with N notices)', fl.dropped !== undefined ? `${fl.dropped} (${fl.dropNotices})` : 'n/a', 'drops with notices', check(fl.dropped !== undefined ? fl.accounted && (fl.dropped === 0 || fl.dropNotices > 0) : undefined)],
      ['  processes left after stop', fl.leftAlive !== undefined ? String(fl.leftAlive) : 'n/a', '0', check(fl.leftAlive !== undefined ? fl.leftAlive === 0 : undefined)],
      ...graphRows(r.graph ?? {}, hb.graph, base, reference),
    ];
    console.log('');
    console.log(table(rows));
    console.log('');
    console.log(
      `Setup: ${COMPONENTS} components = ${DRIVERS} Node drivers (each registers and heartbeats ${Math.round(COMPONENTS / DRIVERS)} ids over flowctl.v1) + ` +
        `${COMPONENTS - DRIVERS} \`sleep\` placeholder processes, started in ${DRIVERS} waves (depends_on chain). One Node process per component would need ~${hb.driverRssMb ?? '?'} MB × ${COMPONENTS} ` +
        `≈ ${hb.driverRssMb ? ((hb.driverRssMb * COMPONENTS) / 1024).toFixed(0) : '?'} GB (machine: ${(os.totalmem() / 2 ** 30).toFixed(0)} GB, ${os.cpus().length} cores); a placeholder is ${hb.placeholderRssMb ?? '?'} MB.`,
    );
    console.log('Lag = monitorEventLoopDelay (10 ms resolution) minus the resolution, in the extension host process.');
    for (const [phase, profiles] of [['flood', fl.profiles], ['heartbeats', hb.profiles], ['graph', hb.graph?.profiles]] as const) {
      for (const [name, hot] of Object.entries((profiles ?? {}) as Record<string, HotFunction[]>)) {
        console.log(`\nHottest functions in the extension host (self time), ${phase} ${name}:`);
        for (const h of hot) console.log(`  ${String(h.selfMs).padStart(7)} ms ${String(h.percent).padStart(5)}%  ${h.fn}  ${h.where}`);
      }
    }

    const leftovers = processesIn(workspace);
    if (leftovers.length) {
      console.error(`processes left behind in ${workspace}:\n  ${leftovers.join('\n  ')}`);
      exitCode = 1;
    }
    console.log(JSON.stringify({ bench: 'extension', load: { before: loadBefore, after: loadAfter }, seconds: SECONDS, components: COMPONENTS, drivers: DRIVERS, targets: TARGETS, ...r, heartbeatLagRatioP99: hbRatioP99, leftovers: leftovers.length }));
  } finally {
    fs.rmSync(workspace, { recursive: true, force: true, maxRetries: 3 });
  }
  process.exitCode = exitCode;
}

main().catch((err: Error) => {
  console.error(err.stack ?? err.message);
  process.exitCode = 1;
});
