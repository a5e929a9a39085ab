// The runner: ONE run of a pipeline file — pipeline loading, the control plane, the components (through
// their drivers) and the data plane. It is the only thing the front ends (CLI, extension) drive; they
// render its events and call start/stop and the component actions.
//
// Each job lives in its own part under runner/: the sequencer decides when a component may start
// (depends_on only), one state machine per component decides what a process fact means (componentState),
// launch starts one component, processFacts / registryFacts / dataPlaneFacts turn what the driver, the
// registry and the data plane say into state and words, actions stop/start/restart one component and
// touch only its edges (the data-plane manager adds and removes one edge at a time), liveUpdate applies
// a changed file, the metrics publisher computes figures and data health every second, and runEnd ends
// the run (drain: sources first). This file holds the run's start-up and its public face.
import * as crypto from 'node:crypto';
import * as path from 'node:path';
import type { Disposable } from './typedEmitter';
import type { RunnerEvent, RunSnapshot } from './events';
import type { ApplyResult, ComponentStartInfo, PipelineRunner, RestartOptions, RunnerOptions } from './runnerTypes';
import { RunStatus } from './controlplane/model';
import type { ControlPlaneLink } from './runner/controlPlaneLink';
import { isUnixPeer, type PeerInfo } from './controlplane/access';
import { openControlPlane } from './runner/openControlPlane';
import { loadPipelineFile, readPipelineTextSync } from './pipeline/load';
import { allComponents } from './pipeline/model';
import { DataPlaneManager, DEFAULT_BUFFER_LIMITS, dataPlaneTls, type NodeCounts } from './dataplane';
import { Sequencer } from './runner/sequencer';
import type { MetricHistory } from './history/metricHistory';
import { prepareRunLogs, DEFAULT_KEEP_RUN_LOGS } from './runner/runLogs';
import { deferred } from './runner/deferred';
import { dataNodes, sourceParams } from './runner/wiring';
import { commandlessMessage } from './runner/messages';
import { reapDeadRuns } from './drivers/leftovers';
import { preflight } from './runner/preflight';
import { Run, initialView, mustRegister, type Startup } from './runner/run';
import { launch, launchFailed } from './runner/launch';
import { onRegistryEvent } from './runner/registryFacts';
import { onDataPlaneEvent } from './runner/dataPlaneFacts';
import { restartComponent, serialize, startComponent, stopComponent } from './runner/actions';
import { applyPipeline } from './runner/liveUpdate';
import { checkRunEnd, teardown } from './runner/runEnd';
import { PipelineInvalidError } from './runner/errors';
import { Hub } from './hub/hub';

export { PipelineInvalidError, PipelinePreflightError } from './runner/errors';

const METRICS_INTERVAL_MS = 1000;
/** How long the start waits for the data-plane servers of registered components to answer. */
const WIRING_WAIT_MS = 10_000;
/** How long the run record waits for the first launches to spawn (it costs CPU the spawns need more). */
const LAUNCH_HEAD_START_MS = 1_000;

export function createRunner(options: RunnerOptions): PipelineRunner {
  return new Runner(options);
}

export class Runner implements PipelineRunner {
  readonly options: RunnerOptions;
  readonly done: Promise<RunSnapshot>;
  /** Time marks of the start-up (ms, performance.now()), for `bench:run` and diagnostics. */
  readonly marks: Run['marks'];
  private readonly run: Run;

  /** Rates and numeric metrics of every component over the last minutes (recorded on every metrics tick). */
  get history(): MetricHistory {
    return this.run.history;
  }

  constructor(options: RunnerOptions) {
    this.options = options;
    const run = new Run(options);
    this.run = run;
    this.done = run.done;
    this.marks = run.marks;
    run.end = (status, error, reason) => {
      run.ending ??= teardown(run, status, error, reason);
      return run.ending;
    };
    run.sequencer = new Sequencer({
      dependsOn: (id) => {
        const c = run.comps.get(id);
        return [...new Set(c?.spec.depends_on ?? [])].filter((d) => d !== id && run.comps.has(d));
      },
      isReady: (id) => !!run.comps.get(id)?.state.registered,
      launch: (id) => {
        const c = run.comps.get(id);
        if (c) void serialize(c, () => launch(run, c)).catch((err) => launchFailed(run, c, err));
      },
      waiting: (id, on) => {
        const c = run.comps.get(id);
        if (!c) return;
        if (on.length) c.state.waiting();
        run.table.update(id, { waitingFor: on });
      },
    });
  }

  onEvent(listener: (event: RunnerEvent) => void): Disposable {
    return this.run.events.on(listener);
  }

  snapshot(): RunSnapshot {
    return this.run.snapshot();
  }

  /** The control plane this run uses (undefined before start). */
  get controlPlane(): ControlPlaneLink | undefined {
    return this.run.cp;
  }

  /** The data plane's counts right now (the views are refreshed once a second; benchmarks need the live ones). */
  liveCounts(): Record<string, NodeCounts> {
    return this.run.dp?.counts() ?? {};
  }

  /**
   * True when host process `pid` belongs to this run: a component process (or a descendant carrying the
   * run marker) or any process inside one of its containers. The control plane's access rules ask it
   * (`isRunProcess`).
   */
  ownsProcess(pid: number): boolean {
    return this.run.ownsProcess(pid);
  }

  logTail(id: string, lines = 200): string[] {
    return this.run.comps.get(id)?.handle?.tail(lines) ?? [];
  }

  componentStartInfo(id: string): ComponentStartInfo | undefined {
    const c = this.run.comps.get(id);
    const pipeline = this.run.pipeline;
    if (!c || !pipeline) return undefined;
    return { spec: c.spec, cwd: pipeline.dir, driver: c.driver.kind, overridden: !!c.overridden };
  }

  async restartComponent(id: string, options?: RestartOptions): Promise<void> {
    return restartComponent(this.run, id, options);
  }

  async stopComponent(id: string): Promise<void> {
    return stopComponent(this.run, id);
  }

  async startComponent(id: string): Promise<void> {
    return startComponent(this.run, id);
  }

  async applyPipeline(): Promise<ApplyResult> {
    return applyPipeline(this.run);
  }

  allowExternal(id: string, allowed = true): string[] {
    const cp = this.run.cp;
    if (!cp) throw new Error(`the run has no control plane yet (state: ${this.run.state}); allow components once it is running`);
    const trimmed = id.trim();
    if (!trimmed || trimmed.length > 253 || /[\s\x00-\x1f]/.test(trimmed)) {
      throw new Error(`invalid component id "${trimmed.slice(0, 80)}": use 1-253 characters without spaces or control characters`);
    }
    return cp.allowExternal(trimmed, allowed);
  }

  // ---------------------------------------------------------------- start

  async start(): Promise<void> {
    const run = this.run;
    if (run.state !== 'idle') throw new Error(`this run was already started (state: ${run.state})`);
    run.setState('starting');
    run.startedAt = Date.now();
    run.marks.start = performance.now();
    const startup: Startup = { failure: deferred<never>() };
    run.startup = startup;
    try {
      await Promise.race([this.startSteps(startup), startup.failure.promise]);
      run.startup = undefined;
    } catch (err) {
      run.startup = undefined;
      if (run.ending) {
        // Stopped during start-up: the run's end owns the cleanup and the final state.
        await run.ending;
        if (run.snapshot().state === 'stopped') throw new Error('pipeline stopped during start-up');
        throw err;
      }
      await run.end(RunStatus.FAILED, err instanceof Error ? err.message : String(err));
      throw err;
    }
  }

  private async startSteps(startup: Startup): Promise<void> {
    const run = this.run;
    const opts = this.options;
    const aborted = () => {
      if (run.ending || startup.failure.settled) throw new Error('pipeline stopped during start-up');
    };
    // 1. The pipeline file (validated with the drivers' rules: how each component runs, what it needs);
    // every component with its state machine and its driver.
    // A hub runs nothing itself: images are fine without a command, and commands are not looked up here.
    const hubMode = opts.components === 'external';
    const parsed = await loadPipelineFile(run.file, hubMode ? { orchestrator: 'container', checkCommands: false, driverRules: false } : { orchestrator: opts.orchestrator, network: opts.network });
    if (!parsed.ok || !parsed.pipeline) throw new PipelineInvalidError(run.file, parsed.diagnostics);
    const pipeline = parsed.pipeline;
    run.pipeline = pipeline;
    run.emit({ type: 'pipeline', pipeline });
    for (const d of parsed.diagnostics.filter((x) => x.severity === 'warning')) {
      run.notice('warning', `${path.basename(d.file)}:${d.line}:${d.column}: ${d.message}`);
    }
    const components = allComponents(pipeline);
    run.runId = crypto.randomUUID();
    const stateDir = run.stateDir;
    for (const c of components) run.addComp(c);
    // Hub mode: nothing runs here; components register from wherever they run (their images, commands and
    // volumes are the orchestrator's business), and replicas of one component share its events.
    if (hubMode) {
      if (opts.useExternalControlPlane) throw new Error('--components external is the pipeline\'s hub: it needs its own (embedded) control plane, not --use-external-control-plane');
      run.hub = new Hub(components, (id) => run.cp?.get(id), {
        setGraph: (nodes) => {
          for (const p of run.dp?.setGraph(nodes) ?? []) run.notice('warning', `data plane: ${p.id}: ${p.message}`, p.id);
        },
        up: (id, endpoint, accepts) => void run.dp?.up(id, endpoint, accepts),
        down: (id, expectBack) => run.dp?.down(id, expectBack),
        notice: (level, message, id) => run.notice(level, message, id),
      });
    }
    // The process driver runs only what has a command, a container needs an image: say so for all of them at once.
    const commandless = hubMode ? [] : components.filter((c) => run.comps.get(c.id)!.driver.kind === 'process' && !c.command?.length);
    if (commandless.length) throw new Error(commandlessMessage(run.file, commandless));
    // What the drivers need before anything starts (a Docker engine, the images, volume sources), at file:line:column.
    // A hub needs none of it.
    if (!hubMode) await preflight(run, components);

    // 2. This run's own log folder; the components' views.
    const baseLogDir = opts.logDir ? path.resolve(path.dirname(run.file), opts.logDir) : path.join(path.dirname(run.file), 'logs');
    const logs = prepareRunLogs(baseLogDir, run.startedAt!, run.runId, opts.keepRunLogs ?? DEFAULT_KEEP_RUN_LOGS);
    run.logs = logs;
    for (const w of logs.warnings) run.notice('warning', w);
    for (const c of components) run.table.add(initialView(run, c.id));
    for (const view of run.table.list()) run.emit({ type: 'component', view });

    // 3. Leftovers of a runner that was killed (kill -9, crashed editor window): its containers first, then its processes.
    try {
      for (const { kind, report } of await reapDeadRuns(stateDir, { drivers: [...run.drivers.values()] })) {
        const what = kind === 'docker' ? 'container' : 'process';
        for (const r of report.reaped) {
          const which = kind === 'docker' ? (r.containerId ?? '').slice(0, 12) : r.pid;
          run.notice('warning', `stopped leftover ${what} ${which} (${r.id}) from an earlier run that did not shut down${r.file ? ` (${r.file})` : ''}`);
        }
        for (const r of report.skipped) {
          const which = kind === 'docker' ? (r.containerId ?? '').slice(0, 12) : r.pid;
          run.notice('warning', `left ${what} ${which} (${r.id}) of an earlier run alone: ${r.reason}`);
        }
      }
    } catch (err) {
      run.notice('warning', `could not check for leftovers of earlier runs: ${(err as Error).message}`);
    }
    aborted();

    // 4. The control plane: embedded (default) or one already running at address:port.
    // (It also claims the pipeline file for this run, serves the runner service and writes the run's endpoint entry.)
    // Only processes (and containers) of this run may register, heartbeat or unregister its components (controlplane/access.ts).
    // A connection whose process cannot be traced and that is not TCP came over the run's private unix socket,
    // which only bridge-network containers of this run have mounted (grpc-js names such peers 'unknown').
    // A hub (--components external) starts nothing: its components register from wherever they run (mutual TLS
    // off loopback), so component calls stay open there; run control still needs the owner token.
    const access = run.hub
      ? {}
      : {
          isRunProcess: (pid: number) => [...run.drivers.values()].some((d) => d.ownsProcess(pid)),
          likelyPeers: () => [...run.drivers.values()].flatMap((d) => d.spawnedPids?.() ?? []),
          isRunPeer: (peer: PeerInfo) => isUnixPeer(peer.peer),
        };
    const placement = run.hub ? { placement: (r: Parameters<Hub['placement']['place']>[0]) => run.hub!.placement.place(r) } : undefined;
    const cp = await openControlPlane(opts, { file: run.file, name: pipeline.metadata.name }, (m) => run.notice('warning', m), this, access, placement);
    if (run.ending || startup.failure.settled) {
      // Stopped while it was opening: the run's end has already run without it.
      await cp.close().catch(() => undefined); // also removes the run's endpoint entry and lock
      aborted();
    }
    run.cp = cp;
    run.marks.controlPlaneReady = performance.now();
    run.emit({ type: 'controlPlane', endpoint: cp.endpoint, address: cp.address, port: cp.port });
    run.subscriptions.push(cp.events.on((e) => onRegistryEvent(run, e)));

    run.subscriptions.push(cp.onStopRequested(run.runId, () => void this.stop('stopped through StopPipelineRun')));

    // 6. The data plane: each edge opens once both of its ends have registered.
    const dp = new DataPlaneManager({
      nodes: [],
      params: (id) => sourceParams(run.comps.get(id)?.spec),
      // With mutual TLS on the control plane the event streams use the same files (dataplane/tls.ts).
      tls: dataPlaneTls(opts.tls),
      buffer: {
        events: opts.holdBufferEvents ?? DEFAULT_BUFFER_LIMITS.events,
        bytes: opts.holdBufferBytes ?? DEFAULT_BUFFER_LIMITS.bytes,
      },
    });
    run.dp = dp;
    for (const p of dp.setGraph(run.hub ? run.hub.nodes() : dataNodes(components))) run.notice('warning', `data plane: ${p.id}: ${p.message}`, p.id);
    run.subscriptions.push(dp.events.on((e) => onDataPlaneEvent(run, e)));

    // 7. Every component whose depends_on are met starts now, the others as their dependencies register.
    run.sequencer.request(components.map((c) => c.id));

    // 8. The pipeline run record (the legacy service's run RPCs read it), written while the components boot:
    // redacting the config parses the YAML once more, which the first spawn need not wait for. Nothing
    // depends on it before the run is RUNNING; when it fails the start fails and stops what was started.
    // The launches run as component actions (each awaits a free health port, then spawns): let them spawn
    // first, waiting at most LAUNCH_HEAD_START_MS (a container start may take longer; it need not be waited for).
    let headStart: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(components.map((c) => run.comps.get(c.id)?.action)),
      new Promise<void>((resolve) => (headStart = setTimeout(resolve, LAUNCH_HEAD_START_MS))),
    ]).finally(() => clearTimeout(headStart));
    aborted();
    // The registry is loaded and opened now, while the components boot (a call of theirs that comes first opens it
    // and waits); a registry that cannot be opened fails the start here, and what was started is stopped.
    await cp.ready();
    aborted();
    await cp.createRun({
      runId: run.runId,
      pipelineName: pipeline.metadata.name,
      configYaml: readPipelineTextSync(run.file),
      componentIds: components.map((c) => c.id),
      logDir: logs.dir,
    });
    aborted();
    await this.allUpAndWired(startup);
    aborted();

    // 9. Go.
    await cp.updateRun({ runId: run.runId, status: RunStatus.RUNNING });
    aborted();
    run.metricsTimer = setInterval(() => this.publishMetrics(), METRICS_INTERVAL_MS);
    run.metricsTimer.unref();
    run.marks.running = performance.now();
    run.setState('running');
    this.publishMetrics(); // the edges and data health from the first moment
    checkRunEnd(run);
  }

  /**
   * Resolves once every component that must register has (or was stopped by hand) and its streams are open.
   * A data-plane server that does not answer yet does not hold the start for longer than WIRING_WAIT_MS:
   * the run goes on and its edges open when it answers (within the connect timeout).
   */
  private async allUpAndWired(startup: Startup): Promise<void> {
    const run = this.run;
    for (;;) {
      const comps = [...run.comps.values()];
      const waiting = comps.filter((c) => mustRegister(c.spec) && !c.state.registered && !c.state.stoppedByHand);
      if (waiting.length === 0) break;
      await Promise.race([run.progress.wait(), startup.failure.promise]);
    }
    const comps = [...run.comps.values()];
    let timer: NodeJS.Timeout | undefined;
    const slow = new Promise<'slow'>((resolve) => (timer = setTimeout(() => resolve('slow'), WIRING_WAIT_MS)));
    const wired = Promise.all(comps.map((c) => c.wiring ?? Promise.resolve(false))).then(() => 'wired' as const);
    const outcome = await Promise.race([wired, slow, startup.failure.promise]).finally(() => clearTimeout(timer));
    if (outcome === 'slow') {
      const pending = comps.filter((c) => run.dp?.isConnecting(c.spec.id)).map((c) => c.spec.id);
      run.notice('warning', `the data-plane servers of ${pending.join(', ')} do not answer yet; their streams open when they do`);
    }
  }

  /** Every second: figures and data health into the views, the run record, and a `metrics` event. */
  private publishMetrics(): void {
    const run = this.run;
    if (!run.cp || !run.runId) return;
    const metrics = run.publisher.tick();
    void run.cp.updateRun({ runId: run.runId, metrics }).catch(() => undefined);
    const snapshot = run.snapshot();
    run.history.record(snapshot);
    run.emit({ type: 'metrics', snapshot });
  }

  // ---------------------------------------------------------------- stop

  stop(reason = 'stopped'): Promise<void> {
    const run = this.run;
    if (run.ending) return run.ending;
    if (run.state === 'idle') {
      run.ending = Promise.resolve();
      run.setState('stopped');
      run.resolveDone(run.snapshot());
      return run.ending;
    }
    if (run.state === 'stopped' || run.state === 'failed') return Promise.resolve();
    return run.end(RunStatus.STOPPED, undefined, reason);
  }

  forceStop(reason = 'stopped at once'): Promise<void> {
    this.run.noGrace.abort();
    for (const d of this.run.drivers.values()) d.killAll();
    return this.stop(reason);
  }
}
