// The runner: composes pipeline loading, the control plane, the component drivers and the data plane for
// ONE run of a pipeline file. It is the only thing the front ends (CLI, extension) drive; they render its
// events and call start/stop and the component actions.
//
// Each job lives in its own part: the sequencer decides when a component may start (depends_on), one
// state machine per component (runner/componentState.ts) decides what a process fact means, the data-plane
// manager adds and removes one edge at a time (dataplane/manager.ts), the metrics publisher computes the
// figures and data health every second, and drivers (drivers/) run the components. This file wires them
// together and holds the run's own lifecycle: idle → starting → running → stopping → stopped | failed.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Emitter, type Disposable } from './typedEmitter';
import type { RegistryEvent, RunnerEvent, RunSnapshot, RunState } from './events';
import type { ApplyResult, ComponentOverride, PipelineRunner, RestartOptions, RunnerOptions } from './runnerTypes';
import { HealthStatus, RunStatus, type ServiceRecord } from './controlplane/model';
import type { ControlPlaneLink } from './runner/controlPlaneLink';
import { openControlPlane } from './runner/openControlPlane';
import { loadPipelineFile } from './pipeline/load';
import { allComponents, type ComponentSpec, type Pipeline } from './pipeline/model';
import type { Diagnostic } from './pipeline/diagnostics';
import { buildComponentEnv } from './supervisor/env';
import type { ProcessEvent } from './supervisor/process';
import { DataPlaneManager, DEFAULT_BUFFER_LIMITS, type DataPlaneEvent, type NodeCounts } from './dataplane';
import { flowctlHome } from './paths';
import { removeEndpointFile } from './endpointFile';
import { ComponentTable } from './runner/componentTable';
import { ComponentState } from './runner/componentState';
import { Sequencer } from './runner/sequencer';
import { MetricsPublisher } from './runner/metricsPublisher';
import { prepareRunLogs, DEFAULT_KEEP_RUN_LOGS, type RunLogs } from './runner/runLogs';
import { diffSpecs } from './runner/apply';
import { matchRegistration, type Candidate } from './runner/registrations';
import { deferred, type Deferred } from './runner/deferred';
import { dataNodes, sourceParams } from './runner/wiring';
import { commandlessMessage, registrationTimeoutMessage } from './runner/messages';
import { Signal } from './dataplane/signal';
import { createDriver, driverKindOf, runSpecOf } from './drivers/select';
import type { ComponentDriver, ComponentHandle, DriverKind } from './drivers/types';

/** Thrown by start() (and applyPipeline()) when the pipeline file has errors; carries every diagnostic. */
export class PipelineInvalidError extends Error {
  constructor(
    readonly file: string,
    readonly diagnostics: Diagnostic[],
  ) {
    const errors = diagnostics.filter((d) => d.severity === 'error');
    super(
      `pipeline ${file} is invalid (${errors.length} error(s)):\n` +
        errors.map((d) => `  ${d.file}:${d.line}:${d.column}: ${d.message}`).join('\n'),
    );
    this.name = 'PipelineInvalidError';
  }
}

const DEFAULTS = {
  registrationTimeoutMs: 30_000,
  shutdownGraceMs: 10_000,
};

const METRICS_INTERVAL_MS = 1000;
/** Environment variables every component gets from the runner; a one-time override cannot change them. */
const CONTRACT_ENV = ['ENABLE_FLOWCTL', 'FLOWCTL_ENDPOINT', 'FLOWCTL_HEARTBEAT_INTERVAL', 'FLOWCTL_SERVICE_ID', 'FLOWCTL_COMPONENT_ID'];

export function createRunner(options: RunnerOptions): PipelineRunner {
  return new Runner(options);
}

/** One component of the run: its spec, its state machine, how it runs. */
interface Comp {
  spec: ComponentSpec;
  state: ComponentState;
  driver: ComponentDriver;
  handle?: ComponentHandle;
  handleSub?: Disposable;
  /** The handle was made from a one-time override: the next start makes it from the spec again. */
  overridden: boolean;
  /** The spec changed since the handle was made. */
  stale: boolean;
  serviceId?: string;
  spawnedAt?: number;
  regTimer?: NodeJS.Timeout;
  /** Restarts so far (by hand and by its restart policy). */
  restarts: number;
  /** The component action in progress (actions on one component run one after the other). */
  action: Promise<void>;
  /** The latest data-plane connect after a registration. */
  wiring?: Promise<boolean>;
  /** Event types it accepts (sinks: as registered, else as the file says). */
  accepts?: string[];
}

/** The start-up in progress: anything that fails it rejects `failure`. */
interface Startup {
  failure: Deferred<never>;
}

export class Runner implements PipelineRunner {
  readonly options: RunnerOptions;
  readonly done: Promise<RunSnapshot>;

  private readonly emitter = new Emitter<RunnerEvent>();
  private state: RunState = 'idle';
  private error?: string;
  private readonly file: string;
  private pipeline?: Pipeline;
  private runId?: string;
  private startedAt?: number;
  private logs?: RunLogs;
  private readonly comps = new Map<string, Comp>();
  private table = new ComponentTable([], (view) => this.emit({ type: 'component', view }));
  private cp?: ControlPlaneLink;
  private dp?: DataPlaneManager;
  private readonly drivers = new Map<DriverKind, ComponentDriver>();
  private readonly componentOf = new Map<string, string>(); // service id → component id
  private readonly subscriptions: Disposable[] = [];
  private readonly sequencer: Sequencer;
  private readonly publisher: MetricsPublisher;
  private metricsTimer?: NodeJS.Timeout;
  private startup?: Startup;
  /** Fired on every registration and component state change (start-up waits on it). */
  private readonly progress = new Signal();
  /** The run's end, once it began (stop(), a failed start, or every component ended). */
  private ending?: Promise<void>;
  /** Aborted by forceStop(): grace periods and drain waits end at once. */
  private readonly noGrace = new AbortController();
  private resolveDone!: (s: RunSnapshot) => void;
  /** Time marks of the start-up (ms, performance.now()), for `bench:run` and diagnostics. */
  readonly marks: { start?: number; controlPlaneReady?: number; firstSpawn?: number; lastSpawn?: number; lastRegistration?: number; running?: number } = {};

  constructor(options: RunnerOptions) {
    this.options = options;
    this.file = path.resolve(options.file);
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
    this.sequencer = new Sequencer({
      dependsOn: (id) => {
        const c = this.comps.get(id);
        return [...new Set(c?.spec.depends_on ?? [])].filter((d) => d !== id && this.comps.has(d));
      },
      isReady: (id) => !!this.comps.get(id)?.state.registered,
      launch: (id) => {
        const c = this.comps.get(id);
        if (c) void this.serialize(c, () => this.launch(c)).catch((err) => this.launchFailed(c, err));
      },
      waiting: (id, on) => {
        const c = this.comps.get(id);
        if (!c) return;
        if (on.length) c.state.waiting();
        this.table.update(id, { waitingFor: on });
      },
    });
    this.publisher = new MetricsPublisher(
      {
        ids: () => this.table.ids(),
        view: (id) => this.table.get(id),
        update: (id, patch) => this.table.update(id, patch),
        upstreamOf: (id) => this.upstreamOf(id),
        counts: () => this.dp?.counts() ?? {},
        drops: (id) => this.dp?.drops(id) ?? { dropped: 0, droppedBy: {}, queued: 0 },
        edges: () => this.dp?.edges() ?? [],
      },
      (id) => this.comps.get(id)?.spec.role === 'sink',
    );
  }

  onEvent(listener: (event: RunnerEvent) => void): Disposable {
    return this.emitter.on(listener);
  }

  snapshot(): RunSnapshot {
    const totals = this.publisher.totals();
    return {
      runId: this.runId,
      pipelineName: this.pipeline?.metadata.name ?? path.basename(this.file),
      file: this.file,
      state: this.state,
      endpoint: this.cp?.endpoint,
      startedAt: this.startedAt,
      error: this.error,
      components: this.table.list(),
      eventsProcessed: totals.eventsProcessed,
      eventsPerSecond: totals.eventsPerSecond,
      edges: this.publisher.edges(),
      dropped: this.publisher.dropped(),
      logDir: this.logs?.dir,
    };
  }

  /** The control plane this run uses (undefined before start). */
  get controlPlane(): ControlPlaneLink | undefined {
    return this.cp;
  }

  /** The data plane's counts right now (the views are refreshed once a second; benchmarks need the live ones). */
  liveCounts(): Record<string, NodeCounts> {
    return this.dp?.counts() ?? {};
  }

  logTail(id: string, lines = 200): string[] {
    return this.comps.get(id)?.handle?.tail(lines) ?? [];
  }

  // ---------------------------------------------------------------- start

  async start(): Promise<void> {
    if (this.state !== 'idle') throw new Error(`this run was already started (state: ${this.state})`);
    this.setState('starting');
    this.startedAt = Date.now();
    this.marks.start = performance.now();
    const startup: Startup = { failure: deferred<never>() };
    this.startup = startup;
    try {
      await Promise.race([this.startSteps(startup), startup.failure.promise]);
      this.startup = undefined;
    } catch (err) {
      this.startup = undefined;
      if (this.ending) {
        // Stopped during start-up: the run's end owns the cleanup and the final state.
        await this.ending;
        if (this.snapshot().state === 'stopped') throw new Error('pipeline stopped during start-up');
        throw err;
      }
      await this.end(RunStatus.FAILED, err instanceof Error ? err.message : String(err));
      throw err;
    }
  }

  private async startSteps(startup: Startup): Promise<void> {
    const opts = this.options;
    const aborted = () => {
      if (this.ending || startup.failure.settled) throw new Error('pipeline stopped during start-up');
    };
    // 1. The pipeline file.
    const parsed = await loadPipelineFile(this.file);
    if (!parsed.ok || !parsed.pipeline) throw new PipelineInvalidError(this.file, parsed.diagnostics);
    const pipeline = parsed.pipeline;
    this.pipeline = pipeline;
    for (const d of parsed.diagnostics.filter((x) => x.severity === 'warning')) {
      this.notice('warning', `${path.basename(d.file)}:${d.line}:${d.column}: ${d.message}`);
    }
    const components = allComponents(pipeline);
    this.runId = crypto.randomUUID();
    const stateDir = opts.stateDir ?? flowctlHome();
    for (const c of components) this.addComp(c, stateDir);
    // The process driver runs only what has a command: say so for all of them at once, before anything starts.
    const commandless = components.filter((c) => this.comps.get(c.id)!.driver.kind === 'process' && !c.command?.length);
    if (commandless.length) throw new Error(commandlessMessage(this.file, commandless));
    for (const driver of this.drivers.values()) {
      const mine = components.filter((c) => this.comps.get(c.id)!.driver === driver);
      const problems = await driver.preflight(mine.map((c) => runSpecOf(c, { runId: this.runId!, pipeline, env: {} })));
      if (problems.length) throw new Error(problems.join('\n'));
    }

    // 2. This run's own log folder.
    const baseLogDir = opts.logDir ? path.resolve(path.dirname(this.file), opts.logDir) : path.join(path.dirname(this.file), 'logs');
    this.logs = prepareRunLogs(baseLogDir, this.startedAt!, this.runId, opts.keepRunLogs ?? DEFAULT_KEEP_RUN_LOGS);
    for (const w of this.logs.warnings) this.notice('warning', w);
    for (const c of components) this.table.add({ id: c.id, role: c.role, position: c.position, logFile: this.logs.fileOf(c.id), driver: this.comps.get(c.id)!.driver.kind });
    for (const view of this.table.list()) this.emit({ type: 'component', view });

    // 3. Leftovers of a runner that was killed (kill -9, crashed editor window).
    for (const driver of this.drivers.values()) {
      try {
        const reaped = await driver.reapLeftovers();
        for (const r of reaped.reaped) {
          this.notice('warning', `stopped leftover process ${r.pid ?? r.containerId} (${r.id}) from an earlier run that did not shut down${r.file ? ` (${r.file})` : ''}`);
        }
        for (const r of reaped.skipped) this.notice('warning', `left process ${r.pid ?? r.containerId} (${r.id}) of an earlier run alone: ${r.reason}`);
      } catch (err) {
        this.notice('warning', `could not check for leftover processes: ${(err as Error).message}`);
      }
    }
    aborted();

    // 4. The control plane: embedded (default) or one already running at address:port.
    const cp = await openControlPlane(opts, { file: this.file, name: pipeline.metadata.name }, (m) => this.notice('warning', m));
    if (this.ending || startup.failure.settled) {
      // Stopped while it was opening: the run's end has already run without it.
      await cp.close().catch(() => undefined);
      if (!cp.external) removeEndpointFile();
      aborted();
    }
    this.cp = cp;
    this.marks.controlPlaneReady = performance.now();
    this.emit({ type: 'controlPlane', endpoint: cp.endpoint, address: cp.address, port: cp.port });
    this.subscriptions.push(cp.events.on((e) => this.onRegistryEvent(e)));

    // 5. The pipeline run record (legacy service's run RPCs read it).
    await cp.createRun({
      runId: this.runId,
      pipelineName: pipeline.metadata.name,
      configYaml: fs.readFileSync(this.file, 'utf8'),
      componentIds: components.map((c) => c.id),
    });
    this.subscriptions.push(cp.onStopRequested(this.runId, () => void this.stop('stopped through StopPipelineRun')));
    aborted();

    // 6. The data plane: edges open as their two ends register.
    this.dp = new DataPlaneManager({
      nodes: [],
      params: (id) => sourceParams(this.comps.get(id)?.spec),
      buffer: {
        events: opts.holdBufferEvents ?? DEFAULT_BUFFER_LIMITS.events,
        bytes: opts.holdBufferBytes ?? DEFAULT_BUFFER_LIMITS.bytes,
      },
    });
    for (const p of this.dp.setGraph(dataNodes(components))) this.notice('warning', `data plane: ${p.id}: ${p.message}`, p.id);
    this.subscriptions.push(this.dp.events.on((e) => this.onDataPlaneEvent(e)));

    // 7. Every component whose depends_on are met starts now, the others as their dependencies register.
    this.sequencer.request(components.map((c) => c.id));
    await this.allUpAndWired(startup);
    aborted();

    // 8. Go.
    await cp.updateRun({ runId: this.runId, status: RunStatus.RUNNING });
    aborted();
    this.metricsTimer = setInterval(() => this.publishMetrics(), METRICS_INTERVAL_MS);
    this.metricsTimer.unref();
    this.marks.running = performance.now();
    this.setState('running');
    this.publishMetrics(); // the edges and data health from the first moment
    this.checkRunEnd();
  }

  private addComp(spec: ComponentSpec, stateDir: string): Comp {
    const kind = driverKindOf(spec, this.pipeline!);
    let driver = this.drivers.get(kind);
    if (!driver) {
      driver = createDriver(kind, { stateDir, file: this.file, runId: this.runId!, pipelineName: this.pipeline!.metadata.name });
      this.drivers.set(kind, driver);
    }
    const id = spec.id;
    const c: Comp = {
      spec,
      driver,
      state: new ComponentState(id, () => {
        this.table.setPhase(id, c.state.phase);
        this.progress.fire();
      }),
      overridden: false,
      stale: false,
      restarts: 0,
      action: Promise.resolve(),
    };
    this.comps.set(id, c);
    return c;
  }

  /** Resolves once every component that must register has (or was stopped by hand) and its edges are open. */
  private async allUpAndWired(startup: Startup): Promise<void> {
    for (;;) {
      const comps = [...this.comps.values()];
      const waiting = comps.filter((c) => mustRegister(c.spec) && !c.state.registered && !c.state.stoppedByHand);
      if (waiting.length === 0) {
        await Promise.race([Promise.all(comps.map((c) => c.wiring ?? Promise.resolve(false))), startup.failure.promise]);
        return;
      }
      await Promise.race([this.progress.wait(), startup.failure.promise]);
    }
  }

  // ---------------------------------------------------------------- starting one component

  /** Starts a component: a fresh handle when the spec changed or the last start was an override. */
  private async launch(c: Comp, override?: ComponentOverride): Promise<void> {
    if (this.ending || !this.cp) return;
    const id = c.spec.id;
    this.sequencer.cancel(id);
    c.state.launching();
    this.table.update(id, { waitingFor: [], problem: undefined });
    if (!c.handle || override || c.overridden || c.stale) {
      const env = await buildComponentEnv(
        { id, env: c.spec.env, config: c.spec.config, healthPort: c.spec.health_port },
        { endpoint: this.cp.endpoint, parentEnv: process.env, extraEnv: this.options.env },
      );
      for (const [k, v] of Object.entries(override?.env ?? {})) if (!CONTRACT_ENV.includes(k)) env[k] = v;
      if (this.ending) return;
      if (c.handle) {
        c.handleSub?.dispose();
        c.driver.release?.(id);
      }
      const handle = c.driver.create(runSpecOf(c.spec, { runId: this.runId!, pipeline: this.pipeline!, env, logFile: this.logs?.fileOf(id), override }));
      c.handle = handle;
      c.handleSub = handle.events.on((e) => this.onProcessEvent(c, handle, e));
      c.overridden = !!override;
      c.stale = false;
      if (override) {
        const cmd = [...(override.command ?? c.spec.command ?? []), ...(override.args ?? c.spec.args ?? [])];
        this.notice('info', `${id}: this start uses an override: ${cmd.join(' ')}${override.env ? ` (+ env ${Object.keys(override.env).join(', ')})` : ''}; the next restart uses the pipeline file again`, id);
      }
    }
    c.spawnedAt = Date.now();
    c.handle!.start();
    this.marks.firstSpawn ??= performance.now();
    this.marks.lastSpawn = performance.now();
    if (!mustRegister(c.spec)) {
      // Black boxes (spec.pipelines) are started, not required to register (as flowctl).
      if (c.handle!.state === 'running') c.state.registeredNow();
      this.sequencer.update();
      return;
    }
    this.armRegistrationTimer(c);
  }

  private launchFailed(c: Comp, err: unknown): void {
    const message = `component ${c.spec.id} could not start: ${err instanceof Error ? err.message : String(err)}`;
    c.state.spawnFailed();
    this.table.update(c.spec.id, { problem: message });
    this.notice('error', message, c.spec.id);
    this.startup?.failure.reject(new Error(message));
    this.dp?.expect(c.spec.id, false);
    this.checkRunEnd();
  }

  private armRegistrationTimer(c: Comp): void {
    clearTimeout(c.regTimer);
    const timeoutMs = this.options.registrationTimeoutMs ?? DEFAULTS.registrationTimeoutMs;
    c.regTimer = setTimeout(() => {
      if (c.state.registered || c.state.state !== 'starting') return;
      const message = this.registrationTimeoutMessage(c, timeoutMs);
      if (this.startup) {
        this.startup.failure.reject(new Error(message));
        return;
      }
      this.table.update(c.spec.id, { problem: `did not register within ${Math.round(timeoutMs / 1000)}s` });
      this.notice('warning', message, c.spec.id);
      // Nobody knows when it comes: events held for it drop (counted) instead of holding its upstream.
      this.dp?.expect(c.spec.id, false);
    }, timeoutMs);
    c.regTimer.unref();
  }

  private registrationTimeoutMessage(c: Comp, timeoutMs: number): string {
    const h = c.handle;
    const strangers = this.cp?.list().filter((r) => !this.componentOf.has(r.serviceId) && (r.registeredAt ?? 0) >= (this.startedAt ?? 0));
    return registrationTimeoutMessage({
      id: c.spec.id,
      timeoutMs,
      pid: h?.state === 'running' ? h.pid : undefined,
      exitCode: h?.exitCode,
      strangers: strangers ?? [],
      endpoint: this.cp?.endpoint,
      tail: h?.tail(10) ?? [],
    });
  }

  // ---------------------------------------------------------------- registry facts

  private onRegistryEvent(e: RegistryEvent): void {
    switch (e.type) {
      case 'registered':
        void this.onRegistered(e.record);
        break;
      case 'heartbeat': {
        const id = this.componentOf.get(e.record.serviceId);
        if (id) this.table.update(id, { lastHeartbeat: e.record.lastHeartbeat, metrics: { ...e.record.metrics }, health: e.record.status });
        break;
      }
      case 'healthChanged': {
        const id = this.componentOf.get(e.record.serviceId);
        if (!id) break;
        if (e.reason === 'exited') {
          this.table.update(id, { health: e.record.status });
          break;
        }
        this.table.update(id, { health: e.record.status, problem: e.reason === 'stale' ? 'no heartbeat within the heartbeat TTL' : undefined });
        if (e.record.status === HealthStatus.UNHEALTHY && this.comps.get(id)?.state.state === 'running') {
          this.notice('warning', `${id} is unhealthy${e.reason === 'stale' ? ': no heartbeat within the heartbeat TTL' : ''}`, id);
        } else if (e.record.status === HealthStatus.HEALTHY && e.previous === HealthStatus.UNHEALTHY) {
          this.notice('info', `${id} is healthy again`, id);
        }
        break;
      }
      case 'unregistered': {
        const id = this.componentOf.get(e.record.serviceId);
        if (id) {
          this.table.update(id, { health: HealthStatus.UNKNOWN });
          this.notice('info', `${id} unregistered`, id);
        }
        break;
      }
      case 'runChanged':
        break;
    }
  }

  private async onRegistered(record: ServiceRecord): Promise<void> {
    if (!this.cp) return;
    const candidates = (): Candidate[] =>
      [...this.comps.values()].map((c) => ({ id: c.spec.id, pid: c.handle?.pid, spawnedAt: c.spawnedAt }));
    const match = await matchRegistration(record, new Set(this.comps.keys()), candidates, this.cp.port);
    if (!match) {
      this.notice('warning', `a component registered as "${record.serviceId}" that is not part of this pipeline`);
      return;
    }
    const id = match.id;
    const c = this.comps.get(id);
    // A record older than the process (an earlier run's, kept by persistence or another control plane) is not this one.
    if (!c || c.spawnedAt === undefined || record.registeredAt + 1000 < c.spawnedAt) return;
    // Only a starting (or running: registering again) process registers; one we are stopping does not come back.
    const s = c.state.state;
    if (s !== 'starting' && s !== 'running') return;
    const again = s === 'running' && c.serviceId === record.serviceId;
    if (c.serviceId && c.serviceId !== record.serviceId) this.componentOf.delete(c.serviceId);
    c.serviceId = record.serviceId;
    c.accepts = record.info.input_event_types?.length ? [...record.info.input_event_types] : c.spec.input_event_types;
    this.componentOf.set(record.serviceId, id);
    clearTimeout(c.regTimer);
    const viaLegacy = record.legacy ? ' through the legacy flowctl.ControlPlane API' : '';
    const how =
      record.serviceId === id
        ? ''
        : match.how === 'process'
          ? ` under id "${record.serviceId}" (matched by its process)`
          : ` under id "${record.serviceId}" (matched by ${match.how === 'metadata' ? 'FLOWCTL_COMPONENT_ID in its metadata' : 'component id'})`;
    c.state.registeredNow();
    this.table.update(id, {
      serviceId: record.serviceId,
      endpoint: record.info.endpoint || record.legacy?.healthEndpoint,
      registeredAt: record.registeredAt,
      lastHeartbeat: record.lastHeartbeat,
      health: record.status,
      metrics: { ...record.metrics },
      problem: undefined,
    });
    if (!again) this.notice('info', `${id} registered${how}${viaLegacy}`, id);
    if (this.state === 'starting') this.marks.lastRegistration = performance.now();
    this.sequencer.update();
    // Its edges: open as soon as it is reachable (only its own; nothing else is touched).
    if (this.dp && c.spec.role !== 'pipeline') {
      if (record.legacy) {
        this.notice('info', `${id} registered through the legacy API; it wires its own data (not through flowctl)`, id);
        this.dp.exclude(id);
        c.wiring = Promise.resolve(false);
      } else {
        const accepts = record.info.input_event_types?.length ? record.info.input_event_types : undefined;
        c.wiring = this.dp.up(id, record.info.endpoint || undefined, accepts);
      }
    }
    this.progress.fire();
  }

  // ---------------------------------------------------------------- process facts

  private onProcessEvent(c: Comp, handle: ComponentHandle, e: ProcessEvent): void {
    if (c.handle !== handle) return;
    const id = c.spec.id;
    switch (e.type) {
      case 'spawned': {
        const auto = c.state.state === 'backoff';
        c.spawnedAt = Date.now();
        c.state.spawned();
        if (auto) c.restarts++;
        this.table.update(id, { pid: e.pid, startedAt: Date.now(), exitCode: undefined, exitSignal: undefined, restarts: c.restarts });
        if (auto) {
          this.notice('info', `${id} restarted (pid ${e.pid}, restart ${c.restarts})`, id);
          if (mustRegister(c.spec)) this.armRegistrationTimer(c);
          else c.state.registeredNow();
        }
        break;
      }
      case 'line':
        this.emit({ type: 'log', componentId: id, stream: e.stream, line: e.line, time: e.time });
        break;
      case 'exited':
        this.onExit(c, e);
        break;
      case 'spawnError':
        clearTimeout(c.regTimer);
        c.state.spawnFailed();
        this.table.update(id, { problem: e.message, pid: undefined });
        this.notice('error', `${id}: ${e.message}`, id);
        this.startup?.failure.reject(new Error(`component ${id} could not start: ${e.message}`));
        this.dp?.expect(id, false);
        this.checkRunEnd();
        break;
      case 'stopped':
        break;
    }
  }

  private onExit(c: Comp, e: Extract<ProcessEvent, { type: 'exited' }>): void {
    const id = c.spec.id;
    clearTimeout(c.regTimer);
    const wasRegistered = c.state.registered;
    const meaning = c.state.exited({ code: e.code, signal: e.signal, willRestart: e.willRestart });
    this.table.update(id, { exitCode: e.code, exitSignal: e.signal, pid: undefined });
    if (meaning === 'expected') return; // we are stopping it: the stop goes on
    const how = e.signal ? `was killed by ${e.signal}` : `exited with code ${e.code}`;
    if (c.serviceId) this.cp?.markExited(c.serviceId);
    this.table.update(id, { health: HealthStatus.UNHEALTHY, problem: how });
    // Its edges hold: with a restart coming, a full buffer pauses its upstream; otherwise the oldest drop (counted).
    this.dp?.down(id, meaning === 'restarting');
    if (meaning === 'restarting') {
      this.notice('warning', `${id} ${how}; restarting in ${Math.round((e.restartInMs ?? 0) / 100) / 10}s (restart ${c.restarts + 1})`, id);
    } else {
      this.notice(meaning === 'exited' ? 'info' : 'error', `${id} ${how}`, id);
    }
    if (this.startup && mustRegister(c.spec) && !wasRegistered && meaning !== 'restarting') {
      const tail = c.handle?.tail(10) ?? [];
      this.startup.failure.reject(
        new Error(
          `component ${id} ${how} before it registered with the control plane` +
            (tail.length ? `\n  last lines of its log:\n${tail.map((l) => `    ${l}`).join('\n')}` : ''),
        ),
      );
    }
    this.checkRunEnd();
  }

  /**
   * The run ends by itself when nothing runs or is about to, and nothing was stopped by hand (a component
   * stopped by hand may be started again: the run stays up for it).
   */
  private checkRunEnd(): void {
    if (this.state !== 'running' || this.ending) return;
    const comps = [...this.comps.values()];
    if (comps.length === 0 || comps.some((c) => !c.state.down || c.state.stoppedByHand)) return;
    const failed = comps.filter((c) => c.state.failed).map((c) => c.spec.id);
    void this.end(failed.length ? RunStatus.FAILED : RunStatus.COMPLETED, failed.length ? `${failed.join(', ')} failed` : undefined);
  }

  // ---------------------------------------------------------------- data-plane facts

  private onDataPlaneEvent(e: DataPlaneEvent): void {
    switch (e.type) {
      case 'error':
        this.notice('warning', `data plane: ${e.id}: ${e.message}`, e.id);
        break;
      case 'notice':
        this.notice('info', `data plane: ${e.message}`, e.id);
        break;
      case 'sourceEnded':
        this.notice('info', `${e.id} finished streaming`, e.id);
        break;
      case 'opened':
        if (e.resumeToken !== undefined) this.notice('info', `${e.id}: stream re-opened, resuming after event "${e.resumeToken}"`, e.id);
        break;
      case 'typeMismatch':
        this.notice(
          'warning',
          `sink ${e.id} accepts only [${e.accepts.join(', ')}]; events of type "${e.eventType || '(none)'}" from ${e.from} are dropped (counted in its dropped events)`,
          e.id,
        );
        break;
      case 'wired':
      case 'ended':
        break;
    }
  }

  /** Upstream ids of a component on the data graph; undefined when it is not on it. */
  private upstreamOf(id: string): string[] | undefined {
    const c = this.comps.get(id);
    if (!c || c.spec.role === 'pipeline') return undefined;
    const ups = c.spec.role === 'source' ? [] : (c.spec.inputs ?? []).filter((i) => this.comps.get(i) && this.comps.get(i)!.spec.role !== 'pipeline');
    const fed = [...this.comps.values()].some((o) => o.spec.role !== 'source' && o.spec.role !== 'pipeline' && (o.spec.inputs ?? []).includes(id));
    return ups.length || fed ? ups : undefined;
  }

  /** Every second: figures and data health into the views, the run record, and a `metrics` event. */
  private publishMetrics(): void {
    if (!this.cp || !this.runId) return;
    const metrics = this.publisher.tick();
    void this.cp.updateRun({ runId: this.runId, metrics }).catch(() => undefined);
    this.emit({ type: 'metrics', snapshot: this.snapshot() });
  }

  // ---------------------------------------------------------------- component actions

  private comp(id: string): Comp {
    const c = this.comps.get(id);
    if (!c) throw new Error(`no component ${id} in this run`);
    return c;
  }

  private checkLive(action: string): void {
    if (this.ending || this.state === 'idle' || this.state === 'stopped' || this.state === 'failed') {
      throw new Error(`cannot ${action}: the run is ${this.state === 'idle' ? 'not started' : this.ending ? 'stopping' : this.state}`);
    }
  }

  /** Actions on one component run one after the other. */
  private serialize(c: Comp, fn: () => Promise<void>): Promise<void> {
    const next = c.action.then(fn, fn);
    c.action = next.catch(() => undefined);
    return next;
  }

  private graceMs(): number {
    return this.noGrace.signal.aborted ? 0 : (this.options.shutdownGraceMs ?? DEFAULTS.shutdownGraceMs);
  }

  /** `p`, or sooner when forceStop() is called. */
  private hurry<T>(p: Promise<T>): Promise<T | undefined> {
    if (this.noGrace.signal.aborted) return Promise.resolve(undefined);
    return Promise.race([p, new Promise<undefined>((resolve) => this.noGrace.signal.addEventListener('abort', () => resolve(undefined), { once: true }))]);
  }

  /**
   * Stops one component: the edges into it hold, it finishes what it has (processor: flushes its outputs;
   * sink: answers its Consume), then its process stops with the grace period. Only its own edges change.
   */
  private async stopProcess(c: Comp, intent: 'user' | 'restart' | 'run' | 'removed', opts: { quiesce?: boolean } = {}): Promise<void> {
    const id = c.spec.id;
    clearTimeout(c.regTimer);
    c.state.stopping(intent);
    const expectBack = intent === 'restart';
    const grace = this.graceMs();
    this.dp?.expect(id, expectBack);
    if (opts.quiesce !== false) await this.hurry(this.dp?.quiesce(id, grace) ?? Promise.resolve());
    await c.handle?.stop(this.graceMs());
    this.dp?.down(id, expectBack);
    if (c.serviceId) this.cp?.markExited(c.serviceId);
    c.state.stopFinished();
    this.table.update(id, { pid: undefined, health: HealthStatus.UNKNOWN, problem: undefined, flow: undefined, waitingOn: undefined });
  }

  async stopComponent(id: string): Promise<void> {
    const c = this.comp(id);
    this.checkLive(`stop ${id}`);
    return this.serialize(c, async () => {
      if (this.ending) return;
      if (c.state.state === 'pending' || c.state.state === 'waiting') {
        this.sequencer.cancel(id);
        c.state.stopping('user');
        c.state.stopFinished();
        this.table.update(id, { waitingFor: [] });
        this.notice('info', `${id} will not start (stopped by hand)`, id);
        return;
      }
      if (c.state.down) return;
      this.notice('info', `stopping ${id}`, id);
      await this.stopProcess(c, 'user');
      this.notice('info', `${id} stopped`, id);
    });
  }

  async startComponent(id: string): Promise<void> {
    const c = this.comp(id);
    this.checkLive(`start ${id}`);
    return this.serialize(c, async () => {
      if (this.ending || !c.state.down) return;
      this.notice('info', `starting ${id}`, id);
      await this.launch(c);
    });
  }

  async restartComponent(id: string, options?: RestartOptions): Promise<void> {
    const c = this.comp(id);
    this.checkLive(`restart ${id}`);
    return this.serialize(c, async () => {
      if (this.ending) return;
      this.notice('info', `restarting ${id}`, id);
      if (!c.state.down) await this.stopProcess(c, 'restart');
      if (this.ending) return;
      c.restarts++;
      this.table.update(id, { restarts: c.restarts });
      await this.launch(c, options?.override);
    });
  }

  async applyPipeline(): Promise<ApplyResult> {
    this.checkLive('apply the pipeline file');
    if (!this.pipeline || !this.cp || !this.dp) throw new Error('cannot apply the pipeline file before the run has started');
    const parsed = await loadPipelineFile(this.file);
    if (!parsed.ok || !parsed.pipeline) throw new PipelineInvalidError(this.file, parsed.diagnostics);
    const next = parsed.pipeline;
    const after = allComponents(next);
    const commandless = after.filter((c) => driverKindOf(c, next) === 'process' && !c.command?.length);
    if (commandless.length) throw new Error(commandlessMessage(this.file, commandless));
    const diff = diffSpecs(allComponents(this.pipeline), after);
    const stateDir = this.options.stateDir ?? flowctlHome();
    this.notice(
      'info',
      `applying ${path.basename(this.file)}: ${diff.changed.length} to restart, ${diff.added.length} to add, ${diff.removed.length} to remove, ${diff.rewired.length} to re-wire, ${diff.unchanged.length} unchanged`,
    );

    // 1. Removed: stop and unwire.
    await Promise.all(
      diff.removed.map((id) => {
        const c = this.comps.get(id)!;
        return this.serialize(c, async () => {
          this.sequencer.cancel(id);
          if (!c.state.down) await this.stopProcess(c, 'removed');
          c.handleSub?.dispose();
          if (c.handle) c.driver.release?.(id);
          if (c.serviceId) this.componentOf.delete(c.serviceId);
          this.comps.delete(id);
          this.table.remove(id);
          this.emit({ type: 'componentRemoved', id });
          this.notice('info', `${id} removed from the run`, id);
        });
      }),
    );

    // 2. The new specs; new edges (and dropped ones) in the data plane.
    this.pipeline = next;
    for (const spec of after) {
      const c = this.comps.get(spec.id);
      if (c) {
        if (diff.changed.includes(spec.id)) c.stale = true;
        c.spec = spec;
        this.table.update(spec.id, { position: spec.position });
      }
    }
    for (const spec of diff.added) {
      this.addComp(spec, stateDir);
      this.table.add({ id: spec.id, role: spec.role, position: spec.position, logFile: this.logs?.fileOf(spec.id), driver: this.comps.get(spec.id)!.driver.kind });
      this.emit({ type: 'component', view: this.table.get(spec.id)! });
    }
    for (const p of this.dp.setGraph(dataNodes(after))) this.notice('warning', `data plane: ${p.id}: ${p.message}`, p.id);
    for (const id of diff.rewired) this.notice('info', `${id}: inputs re-wired`, id);

    // 3. Changed: restarted with the new spec (its edges hold meanwhile). Added: started as their depends_on allow.
    await Promise.all(
      diff.changed.map((id) => {
        const c = this.comps.get(id)!;
        return this.serialize(c, async () => {
          if (this.ending) return;
          if (c.state.stoppedByHand) return; // stays stopped; the new spec is used when it is started
          this.notice('info', `restarting ${id} (its spec changed)`, id);
          if (!c.state.down) await this.stopProcess(c, 'restart');
          if (this.ending) return;
          c.restarts++;
          this.table.update(id, { restarts: c.restarts });
          await this.launch(c);
        });
      }),
    );
    this.sequencer.request(diff.added.map((c) => c.id));
    return {
      restarted: diff.changed,
      added: diff.added.map((c) => c.id),
      removed: diff.removed,
      unchanged: [...diff.unchanged, ...diff.rewired],
    };
  }

  // ---------------------------------------------------------------- stop

  stop(reason = 'stopped'): Promise<void> {
    if (this.ending) return this.ending;
    if (this.state === 'idle') {
      this.ending = Promise.resolve();
      this.setState('stopped');
      this.resolveDone(this.snapshot());
      return this.ending;
    }
    if (this.state === 'stopped' || this.state === 'failed') return Promise.resolve();
    return this.end(RunStatus.STOPPED, undefined, reason);
  }

  forceStop(reason = 'stopped at once'): Promise<void> {
    this.noGrace.abort();
    for (const d of this.drivers.values()) d.killAll();
    return this.stop(reason);
  }

  /** The run's end, once: drains the data plane, stops everything, records the outcome. Never throws. */
  private end(status: number, error?: string, reason?: string): Promise<void> {
    this.ending ??= this.teardown(status, error, reason);
    return this.ending;
  }

  private async teardown(status: number, error?: string, reason?: string): Promise<void> {
    this.setState('stopping');
    if (reason) this.notice('info', `stopping the pipeline (${reason})`);
    this.startup?.failure.reject(new Error(error ?? 'pipeline stopped during start-up'));
    this.sequencer.halt();
    clearInterval(this.metricsTimer);
    for (const c of this.comps.values()) clearTimeout(c.regTimer);
    const grace = this.graceMs();
    const live = (c: Comp) => !c.state.down && c.state.state !== 'waiting';

    // 1. Sources first: they end their streams after the last event; what is in flight reaches the sinks
    //    (processors flush once their inputs end, sinks answer), then everything else stops.
    this.dp?.beginDrain();
    const comps = [...this.comps.values()];
    await Promise.all(comps.filter((c) => c.spec.role === 'source' && live(c)).map((c) => this.stopProcess(c, 'run').catch(() => undefined)));
    if (this.dp) await this.hurry(this.dp.whenDrained(grace));
    await Promise.all(comps.filter(live).map((c) => this.stopProcess(c, 'run', { quiesce: false }).catch(() => undefined)));
    for (const d of this.drivers.values()) {
      await d.stopAll(this.graceMs()).catch((err: Error) => this.notice('error', `stopping components: ${err.message}`));
    }
    this.dp?.close();

    // 2. The final figures and what was dropped, said once.
    if (this.runId && this.cp) {
      const metrics = this.publisher.tick();
      this.emit({ type: 'metrics', snapshot: this.snapshot() });
      const elapsed = this.startedAt ? (Date.now() - this.startedAt) / 1000 : 0;
      metrics.events_per_second = elapsed > 0 ? Math.round((metrics.events_processed / elapsed) * 10) / 10 : 0;
      this.summarizeDrops();
      await this.cp.updateRun({ runId: this.runId, status, metrics, error: error ?? '' }).catch(() => undefined);
    }

    // 3. The control plane.
    for (const sub of this.subscriptions.splice(0)) sub.dispose();
    for (const c of this.comps.values()) c.handleSub?.dispose();
    if (this.cp) {
      await this.cp.close().catch((err: Error) => this.notice('error', `closing the control plane: ${err.message}`));
      if (!this.cp.external) removeEndpointFile();
    }
    if (error) this.error = error;
    this.setState(status === RunStatus.FAILED ? 'failed' : 'stopped', error);
    this.resolveDone(this.snapshot());
  }

  /** One line per component that lost events, by reason (never silent). */
  private summarizeDrops(): void {
    for (const view of this.table.list()) {
      if (!view.dropped) continue;
      const parts = Object.entries(view.droppedBy ?? {}).map(([why, n]) => `${n} (${why})`);
      const c = this.comps.get(view.id);
      const mismatch = Object.keys(view.droppedBy ?? {}).some((k) => k.startsWith('type mismatch'));
      const accepts = mismatch && c?.spec.role === 'sink' ? ` — it accepts only [${(c.accepts ?? c.spec.input_event_types ?? []).join(', ')}]` : '';
      this.notice('warning', `${view.id}: ${view.dropped} event(s) dropped: ${parts.join(', ')}${accepts}`, view.id);
    }
  }

  // ---------------------------------------------------------------- emit helpers

  private setState(state: RunState, error?: string): void {
    if (state === this.state) return;
    const previous = this.state;
    this.state = state;
    this.emit({ type: 'state', state, previous, error });
    this.progress.fire();
  }

  private notice(level: 'info' | 'warning' | 'error', message: string, componentId?: string): void {
    this.emit({ type: 'notice', level, message, componentId, time: Date.now() });
  }

  private emit(event: RunnerEvent): void {
    this.emitter.emit(event);
  }
}

/** Components under spec.pipelines are black boxes: started, not required to register (as flowctl). */
function mustRegister(spec: ComponentSpec): boolean {
  return spec.role !== 'pipeline';
}

