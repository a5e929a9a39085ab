// The in-host half of `npm run bench:extension` (bench/extension.ts starts code-server with this
// module as `extensionTestsPath`). It runs inside the real VS Code extension host, drives the
// extension through the test API its activate() returns, and measures:
//   1. activation (the API's activationMs and the wall time of getExtension().activate()),
//   2. event-loop lag with nothing running (baseline), then with a pipeline of N components that
//      all heartbeat against the embedded control plane (plus Services-tree refreshes per second),
//   3. event-loop lag while one component prints up to 100,000 lines/s, and how the component's
//      terminal copes (lines written vs produced, lines dropped and the drop notices shown).
// It reads its plan from bench-config.json in the workspace folder and writes results.json there.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import * as vscode from 'vscode';
import type { RunnerEvent } from '../../../src/core/events';
import type { FlowctlExtensionApi } from '../../../src/extension/extension';
import { profiled, type HotFunction } from './profile';

const EXTENSION_ID = 'flowctl.flowctl-vscode';
const LAG_RESOLUTION_MS = 10;

export interface BenchConfig {
  /** Pipeline file of the heartbeat phase and how many components it has. */
  heartbeatFile: string;
  /** While this file exists, a tenth of the heartbeat components alternate DEGRADED/HEALTHY (the graph window). */
  churnFile?: string;
  /** Where the placeholders say they started (emptied before each start: their drivers register them from it). */
  upDir?: string;
  components: number;
  /** Node driver processes (each registers components/drivers ids). */
  drivers: number;
  /** Pipeline file of the flood phase, the flood component's id, and its go/count files. */
  floodFile: string;
  floodId: string;
  floodGoFile: string;
  floodCountFile: string;
  /** Length of each measurement window (s). */
  seconds: number;
  /** CPU-profile the extension host during the start-up and the measurement windows. */
  profile?: boolean;
  /** With `profile`: also write each whole profile (<phase>-<name>.cpuprofile) into this folder. */
  profileDir?: string;
  /** Pipeline files of the graph phase (not run: drawn), with their node counts and layout rounds. */
  graphFiles?: Array<{ nodes: number; file: string; rounds: number }>;
  /** Only the graph layout/render part. */
  graphOnly?: boolean;
  /** Only the heartbeat phase (no graph sizes, no flood): to look at the N-component start on its own. */
  heartbeatsOnly?: boolean;
  /** Starts of the N-component pipeline tried before giving up (default 2). */
  startAttempts?: number;
}

export interface Spread {
  min: number;
  median: number;
  max: number;
  rounds: number;
}

function spread(xs: number[]): Spread | undefined {
  if (!xs.length) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  return { min: round(s[0]), median: round(s[Math.floor((s.length - 1) / 2)]), max: round(s[s.length - 1]), rounds: s.length };
}

/** `body` under the CPU profiler when the plan asks for it; the hot functions go into `profiles[name]`. */
async function maybeProfiled<T>(cfg: BenchConfig, profiles: Record<string, HotFunction[]>, name: string, body: () => Promise<T>, phase = ''): Promise<T> {
  if (!cfg.profile) return body();
  const saveAs = cfg.profileDir ? path.join(cfg.profileDir, `${phase ? `${phase}-` : ''}${name}.cpuprofile`) : undefined;
  const { result, hot } = await profiled(body, 10, saveAs);
  profiles[name] = hot;
  return result;
}

export interface LagFigures {
  p50: number;
  p99: number;
  max: number;
  mean: number;
  samples: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = (msg: string) => console.log(`[bench] ${msg}`);
const round = (n: number, d = 1) => Math.round(n * 10 ** d) / 10 ** d;

async function waitFor<T>(what: string, check: () => T | Promise<T>, timeoutMs: number, everyMs = 250): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** Event-loop lag of this (extension host) process over `ms`: delay beyond the timer's resolution, in ms. */
async function measureLag(ms: number, during?: () => PromiseLike<unknown>): Promise<LagFigures> {
  const h = monitorEventLoopDelay({ resolution: LAG_RESOLUTION_MS });
  h.enable();
  await Promise.all([sleep(ms), during?.()]);
  h.disable();
  const lag = (ns: number) => round(Math.max(0, ns / 1e6 - LAG_RESOLUTION_MS));
  return { p50: lag(h.percentile(50)), p99: lag(h.percentile(99)), max: lag(h.max), mean: lag(h.mean), samples: h.count };
}

function rssMb(pid: number | undefined): number | undefined {
  if (!pid) return undefined;
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? round(Number(m[1]) / 1024) : undefined;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function activation(): Promise<{ api: FlowctlExtensionApi; figures: Record<string, unknown> }> {
  const ext = vscode.extensions.getExtension<FlowctlExtensionApi>(EXTENSION_ID);
  if (!ext) throw new Error(`extension ${EXTENSION_ID} is not loaded`);
  const wasActive = ext.isActive;
  const t0 = performance.now();
  const api = await ext.activate();
  const wallMs = performance.now() - t0;
  if (!api || typeof api.treeStats !== 'function') throw new Error('activate() did not return the test API');
  log(`activation: ${api.activationMs.toFixed(1)} ms (activate() wall ${wallMs.toFixed(1)} ms, already active: ${wasActive})`);
  return { api, figures: { activationMs: round(api.activationMs), activateWallMs: round(wallMs), wasActiveBefore: wasActive } };
}

/** Why the last run failed to start (the extension keeps it for the Services view's message). */
function failureOf(api: FlowctlExtensionApi): string {
  const error = api.context.model.lastFailure?.error;
  return error ? error.split('\n').slice(0, 15).join('\n') : 'no failure recorded (see the flowctl output channel)';
}

async function stopRun(api: FlowctlExtensionApi, file: string): Promise<{ stopMs: number; leftAlive: number }> {
  const pids = (api.context.session(file)?.snapshot().components ?? []).map((c) => c.pid).filter((p): p is number => !!p);
  const t0 = performance.now();
  await vscode.commands.executeCommand('flowctl.stopPipeline', vscode.Uri.file(file));
  const stopMs = performance.now() - t0;
  await waitFor('component processes gone', () => pids.every((p) => !isAlive(p)), 15_000).catch(() => undefined);
  return { stopMs: round(stopMs), leftAlive: pids.filter(isAlive).length };
}

/**
 * The thousand-component phase. A start can fail when spawning a thousand processes blocks the host
 * (and so the embedded control plane) longer than the runner's 30 s registration timeout; that is
 * recorded and the start tried once more.
 */
async function heartbeatPhase(api: FlowctlExtensionApi, cfg: BenchConfig): Promise<Record<string, unknown>> {
  const startFailures: string[] = [];
  for (let attempt = 1; ; attempt++) {
    try {
      return { startFailures, ...(await heartbeatAttempt(api, cfg)) };
    } catch (err) {
      const message = String((err as Error)?.message ?? err);
      if (message.includes('did not start')) startFailures.push(message);
      if (attempt >= (cfg.startAttempts ?? 2) || !message.includes('did not start')) throw Object.assign(err as Error, { startFailures });
      log(`heartbeats: start failed (${message.split('\n')[0]}); trying once more`);
      await api.context.stopAll('bench retry');
      await sleep(5000);
    }
  }
}

/** Registered components, placeholders started, and this process's open files and memory. */
function startProgress(api: FlowctlExtensionApi, file: string, cfg: BenchConfig): string {
  const comps = api.context.session(file)?.snapshot().components ?? [];
  const registered = comps.filter((c) => c.phase === 'running').length;
  const withPid = comps.filter((c) => c.pid).length;
  let up = '?';
  let fds = '?';
  try {
    if (cfg.upDir) up = String(fs.readdirSync(cfg.upDir).length);
    fds = String(fs.readdirSync('/proc/self/fd').length);
  } catch {
    /* not Linux */
  }
  return `registered ${registered}/${comps.length}, with a process ${withPid}, placeholders up ${up}, open fds ${fds}, rss ${round(process.memoryUsage().rss / 2 ** 20)} MB`;
}

async function heartbeatAttempt(api: FlowctlExtensionApi, cfg: BenchConfig): Promise<Record<string, unknown>> {
  const file = cfg.heartbeatFile;
  log(`heartbeats: starting ${cfg.components} components (${cfg.drivers} Node drivers) from ${path.basename(file)}`);
  if (cfg.upDir) for (const f of fs.readdirSync(cfg.upDir)) fs.rmSync(path.join(cfg.upDir, f));
  const t0 = performance.now();
  // When the runner starts (after the extension opened a terminal per component): from its time marks.
  let runnerStartedAt: number | undefined;
  // (Looked up once per model change until found: thousands of changes a second follow.)
  const watch = api.context.model.onDidChange(() => {
    if (runnerStartedAt !== undefined) return;
    const marks = (api.context.session(file)?.runner as { marks?: { start?: number } } | undefined)?.marks;
    if (marks?.start !== undefined) runnerStartedAt = marks.start;
  });
  const profiles: Record<string, HotFunction[]> = {};
  const run = maybeProfiled(cfg, profiles, 'start', async () => vscode.commands.executeCommand('flowctl.runPipeline', vscode.Uri.file(file)), 'heartbeats');
  // The start-up (1,000 terminals, spawns, registrations) is itself a load; sample it too.
  const startLag = measureLag(1000, () => run.then(undefined, () => undefined));
  // Progress of the start every 10 s (a start that stops shows where, and what this process holds then).
  const progress = setInterval(() => log(`heartbeats: start +${((performance.now() - t0) / 1000).toFixed(0)} s: ${startProgress(api, file, cfg)}`), 10_000);
  await run.finally(() => clearInterval(progress));
  const startMs = performance.now() - t0;
  watch.dispose();
  const terminalsMs = runnerStartedAt !== undefined ? runnerStartedAt - t0 : undefined;
  log(`heartbeats: start took ${(startMs / 1000).toFixed(1)} s, of which ${terminalsMs !== undefined ? (terminalsMs / 1000).toFixed(1) : '?'} s opening terminals before the runner started`);
  const lagDuringStart = await startLag;
  const session = api.context.session(file);
  if (!session) throw new Error(`the heartbeat pipeline did not start: ${failureOf(api)}`);
  const snap = session.snapshot();
  if (snap.state !== 'running') throw new Error(`heartbeat pipeline state ${snap.state}: ${snap.error ?? ''}`);
  const registered = snap.components.filter((c) => c.phase === 'running').length;
  log(`heartbeats: running after ${(startMs / 1000).toFixed(1)} s; ${registered}/${snap.components.length} registered`);

  // Drivers stop re-registering once the run is RUNNING; let that and the start-up settle.
  await sleep(3000);
  const treeT0 = performance.now();
  const items = await maybeProfiled(cfg, profiles, 'treeItems', () => api.treeItems(), 'heartbeats');
  const treeItemsMs = performance.now() - treeT0;
  const itemCount = items.reduce((n, i) => n + 1 + i.children.length, 0);

  let componentEvents = 0;
  const sub = session.runner.onEvent((e: RunnerEvent) => {
    if (e.type === 'component') componentEvents++;
  });
  const before = api.treeStats();
  const w0 = performance.now();
  const cpu0 = process.cpuUsage();
  const lag = await maybeProfiled(cfg, profiles, 'window', () => measureLag(cfg.seconds * 1000), 'heartbeats');
  // A blocked event loop stretches the window (and leaves few lag samples): report how long it really took.
  const windowS = (performance.now() - w0) / 1000;
  // CPU time the extension host used (all of it: the runner, the control plane, the extension): what it
  // costs, whatever else the machine runs (lag is also waiting for a core).
  const cpu = process.cpuUsage(cpu0);
  const after = api.treeStats();
  sub.dispose();

  const comps = session.snapshot().components;
  const healthy = comps.filter((c) => c.health === 2).length;
  const driverPid = comps.find((c) => c.pid && c.id.startsWith('driver-'))?.pid;
  const placeholderPid = comps.find((c) => c.pid && !c.id.startsWith('driver-'))?.pid;
  const figures = {
    components: comps.length,
    drivers: cfg.drivers,
    startMs: round(startMs),
    terminalsMs: terminalsMs !== undefined ? round(terminalsMs) : undefined,
    lagDuringStart,
    healthy,
    windowSeconds: round(windowS, 2),
    heartbeatEventsPerSecond: round(componentEvents / windowS),
    modelChangesPerSecond: round((after.modelChanges - before.modelChanges) / windowS),
    hostCpuMsPerSecond: round((cpu.user + cpu.system) / 1000 / windowS),
    treeRefreshes: after.refreshes - before.refreshes,
    treeRefreshesPerSecond: round((after.refreshes - before.refreshes) / windowS, 2),
    treeItems: itemCount,
    treeItemsMs: round(treeItemsMs),
    lag,
    driverRssMb: rssMb(driverPid),
    placeholderRssMb: rssMb(placeholderPid),
    extensionHostRssMb: round(process.memoryUsage().rss / 2 ** 20),
    terminals: vscode.window.terminals.length,
    profiles: cfg.profile ? profiles : undefined,
  };
  log(`heartbeats: ${JSON.stringify(figures)}`);
  const graph = await graphUpdates(api, cfg, file);
  const stop = await stopRun(api, file);
  log(`heartbeats: stopped in ${stop.stopMs} ms; processes left alive: ${stop.leftAlive}`);
  return { ...figures, graph, ...stop };
}

/**
 * The graph of the running N-component pipeline: after its layout, one more window of the same
 * length with the panel visible: live updates posted per second, the extension host's time spent
 * building and posting them, the webview's time applying them, and the host's event-loop lag.
 */
async function graphUpdates(api: FlowctlExtensionApi, cfg: BenchConfig, file: string): Promise<Record<string, unknown>> {
  const profiles: Record<string, HotFunction[]> = {};
  const graph = api.graph.graph;
  const t0 = performance.now();
  const previous = graph.stats.rendered?.signature;
  try {
    // What the panel has done so far, every 30 s while the first draw is awaited (a slow draw shows where it is).
    const progress = setInterval(() => {
      const s = graph.stats;
      log(`graph: first draw +${((performance.now() - t0) / 1000).toFixed(0)} s: renders ${s.renders} (last ${s.rendered?.nodes ?? '-'} nodes), live posts ${s.livePosts}, applied ${s.applied}, errors ${s.errors.length}`);
    }, 30_000);
    try {
      await maybeProfiled(cfg, profiles, 'firstDraw', async () => {
        await vscode.commands.executeCommand('flowctl.showGraph', vscode.Uri.file(file));
        await waitFor('the graph of the running pipeline laid out', () => graph.stats.rendered?.nodes === cfg.components && graph.stats.rendered.signature !== previous, 600_000, 250);
      }, 'graph');
    } finally {
      clearInterval(progress);
    }
  } catch (err) {
    return { error: String((err as Error).message), errors: graph.stats.errors };
  }
  const firstDrawMs = performance.now() - t0;
  // Idle components' look never changes (no events flow here): a tenth of them change health every
  // second meanwhile, so the live updates are measured with something to update.
  if (cfg.churnFile) fs.writeFileSync(cfg.churnFile, 'churn');
  await sleep(3000);
  const before = { ...graph.stats };
  const w0 = performance.now();
  const cpu0 = process.cpuUsage();
  const lag = await maybeProfiled(cfg, profiles, 'window', () => measureLag(cfg.seconds * 1000), 'graph');
  const s = (performance.now() - w0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const after = { ...graph.stats };
  if (cfg.churnFile) fs.rmSync(cfg.churnFile, { force: true });
  const figures = {
    nodes: after.rendered?.nodes,
    edges: after.rendered?.edges,
    churning: cfg.churnFile ? Math.ceil(cfg.components / 10) : 0,
    hostMsPerUpdate: after.livePosts > before.livePosts ? round((after.liveHostMs - before.liveHostMs) / (after.livePosts - before.livePosts), 2) : undefined,
    firstDrawMs: round(firstDrawMs),
    layoutMs: round(after.rendered?.layoutMs ?? 0),
    renderMs: round(after.rendered?.renderMs ?? 0),
    updatesPerSecond: round((after.livePosts - before.livePosts) / s, 2),
    hostMsPerSecond: round((after.liveHostMs - before.liveHostMs) / s, 2),
    hostCpuMsPerSecond: round((cpu.user + cpu.system) / 1000 / s),
    webviewMsPerSecond: round((after.appliedMs - before.appliedMs) / s, 2),
    webviewUpdatesPerSecond: round((after.applied - before.applied) / s, 2),
    lag,
    errors: after.errors,
    profiles: cfg.profile ? profiles : undefined,
  };
  log(`graph with ${cfg.components} live components: ${JSON.stringify(figures)}`);
  await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  return figures;
}

/** Layout and render time of the graph at each size (min/median/max over rounds), timed in the webview. */
async function graphPhase(api: FlowctlExtensionApi, cfg: BenchConfig, out: Record<string, unknown>, write: () => void): Promise<void> {
  const graph = api.graph.graph;
  for (const g of cfg.graphFiles ?? []) {
    log(`graph: ${g.nodes} nodes, ${g.rounds} rounds`);
    const previous = graph.stats.rendered?.signature;
    await vscode.commands.executeCommand('flowctl.showGraph', vscode.Uri.file(g.file));
    await waitFor(`the ${g.nodes}-node graph drawn`, () => graph.stats.rendered?.nodes === g.nodes && graph.stats.rendered.signature !== previous, 300_000, 250);
    const r = await graph.bench(g.rounds);
    out[String(g.nodes)] = { nodes: g.nodes, edges: graph.stats.rendered?.edges, layoutMs: spread(r.layoutMs), renderMs: spread(r.renderMs) };
    log(`graph: ${JSON.stringify(out[String(g.nodes)])}`);
    write();
  }
  await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
}

async function floodPhase(api: FlowctlExtensionApi, cfg: BenchConfig): Promise<Record<string, unknown>> {
  const file = cfg.floodFile;
  log(`flood: starting ${path.basename(file)}`);
  await vscode.commands.executeCommand('flowctl.runPipeline', vscode.Uri.file(file));
  const session = api.context.session(file);
  if (!session || session.snapshot().state !== 'running') throw new Error(`the flood pipeline did not start: ${session?.snapshot().error ?? failureOf(api)}`);
  // Lines are only written once VS Code has opened the Pseudoterminal (queued, bounded, before that).
  const terminal = await waitFor('the flood terminal to open', () => {
    const t = session.terminalFor(cfg.floodId);
    return t?.opened ? t : undefined;
  }, 60_000);
  await sleep(1000);
  let received = 0;
  const sub = session.runner.onEvent((e: RunnerEvent) => {
    if (e.type === 'log' && e.componentId === cfg.floodId) received++;
  });
  const before = terminal.stats;
  const readCount = (): { produced: number; seconds: number; done: boolean } => {
    try {
      return JSON.parse(fs.readFileSync(cfg.floodCountFile, 'utf8'));
    } catch {
      return { produced: 0, seconds: 0, done: false }; // not written yet
    }
  };
  fs.writeFileSync(cfg.floodGoFile, 'go');
  log('flood: go');
  const profiles: Record<string, HotFunction[]> = {};
  const lag = await maybeProfiled(cfg, profiles, 'window', () =>
    measureLag(cfg.seconds * 1000, () => waitFor('the flood to finish', () => readCount().done, cfg.seconds * 1000 + 60_000, 100)),
  'flood');
  const count = readCount();
  // Whatever the terminal still has queued is written within a few flushes.
  await waitFor('the terminal queue to drain', () => terminal.stats.queued === 0, 30_000, 50).catch(() => undefined);
  await sleep(500);
  sub.dispose();
  const after = terminal.stats;
  const written = after.written - before.written;
  const dropped = after.dropped - before.dropped;
  const figures = {
    targetRate: 100_000,
    produced: count.produced,
    floodSeconds: round(count.seconds, 2),
    producedPerSecond: Math.round(count.produced / count.seconds),
    receivedByRunner: received,
    writtenToTerminal: written,
    writtenPerSecond: Math.round(written / count.seconds),
    dropped,
    dropNotices: after.dropNotices - before.dropNotices,
    stillQueued: after.queued,
    accounted: written + dropped >= received,
    lag,
    extensionHostRssMb: round(process.memoryUsage().rss / 2 ** 20),
    profiles: cfg.profile ? profiles : undefined,
  };
  log(`flood: ${JSON.stringify(figures)}`);
  const stop = await stopRun(api, file);
  log(`flood: stopped in ${stop.stopMs} ms; processes left alive: ${stop.leftAlive}`);
  return { ...figures, ...stop };
}

export async function run(): Promise<void> {
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  if (!folder) throw new Error('bench: no workspace folder open');
  const cfg = JSON.parse(fs.readFileSync(path.join(folder, 'bench-config.json'), 'utf8')) as BenchConfig;
  const results: Record<string, unknown> = { vscode: vscode.version, node: process.version };
  const write = () => fs.writeFileSync(path.join(folder, 'results.json'), JSON.stringify(results, null, 2));
  let api: FlowctlExtensionApi | undefined;
  try {
    const a = await activation();
    api = a.api;
    results.activation = a.figures;
    write();
    // The Services view must be visible: its refreshes are skipped while it is hidden.
    await vscode.commands.executeCommand('flowctl.services.focus');
    await sleep(2000);
    log(`baseline: measuring event-loop lag for ${cfg.seconds} s with nothing running`);
    results.baseline = { lag: await measureLag(cfg.seconds * 1000), extensionHostRssMb: round(process.memoryUsage().rss / 2 ** 20) };
    log(`baseline: ${JSON.stringify(results.baseline)}`);
    write();
    results.graph = {};
    if (!cfg.heartbeatsOnly) await graphPhase(api, cfg, results.graph as Record<string, unknown>, write);
    if (cfg.graphOnly) return;
    // The flood first: the thousand-component phase leaves the workbench busy closing its terminals.
    if (!cfg.heartbeatsOnly) {
      results.flood = await floodPhase(api, cfg);
      write();
    }
    results.heartbeats = await heartbeatPhase(api, cfg);
    write();
  } catch (err) {
    const failures = (err as { startFailures?: string[] }).startFailures;
    if (failures) results.heartbeats = { startFailures: failures };
    results.error = String((err as Error)?.stack ?? err);
    write();
    throw err;
  } finally {
    await api?.context.stopAll('bench finished');
  }
}
