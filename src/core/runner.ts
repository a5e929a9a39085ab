// The runner: composes pipeline loading, the embedded control plane, the process supervisor and the
// data plane for ONE run of a pipeline file. It is the only thing the front ends (CLI, extension) drive;
// they render its events and call start/stop/restartComponent/stopComponent.
import * as crypto from 'node:crypto';
import * as path from 'node:path';
import { Emitter, type Disposable } from './typedEmitter';
import type { RegistryEvent, RunnerEvent, RunSnapshot, RunState } from './events';
import type { ApplyResult, PipelineRunner, RestartOptions, RunnerOptions } from './runnerTypes';
import { HealthStatus, RunStatus, emptyRunMetrics, type RunMetrics, type ServiceRecord } from './controlplane/model';
import type { ControlPlaneLink } from './runner/controlPlaneLink';
import { openControlPlane } from './runner/openControlPlane';
import { loadPipelineFile, readPipelineTextSync } from './pipeline/load';
import { allComponents, type ComponentSpec, type Pipeline } from './pipeline/model';
import type { Diagnostic } from './pipeline/diagnostics';
import { buildComponentEnv } from './supervisor/env';
import { Supervisor } from './supervisor/supervisor';
import type { ProcessEvent } from './supervisor/process';
import { reapLeftovers } from './supervisor/stateFile';
import { DataPlane } from './dataplane';
import { flowctlHome } from './paths';
import { safeJoin } from './safePath';
import { ComponentTable } from './runner/componentTable';
import { matchRegistration, type Candidate } from './runner/registrations';
import { deferred, type Deferred } from './runner/deferred';
import { RunCounters } from './runner/counters';
import { planWiring, sourceParams } from './runner/wiring';
import { commandlessMessage, registrationTimeoutMessage } from './runner/messages';

/** Thrown by start() when the pipeline file has errors; carries every diagnostic. */
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

export function createRunner(options: RunnerOptions): PipelineRunner {
  return new Runner(options);
}

export class Runner implements PipelineRunner {
  readonly options: RunnerOptions;
  readonly done: Promise<RunSnapshot>;

  private readonly emitter = new Emitter<RunnerEvent>();
  private state: RunState = 'idle';
  private error?: string;
  private file: string;
  private pipeline?: Pipeline;
  private specs = new Map<string, ComponentSpec>();
  /** The pipeline's component ids (registration matching looks them up on every registration). */
  private readonly specIds = new Set<string>();
  private table = new ComponentTable([], () => undefined);
  private cp?: ControlPlaneLink;
  private supervisor?: Supervisor;
  private dataPlane?: DataPlane;
  private runId?: string;
  private startedAt?: number;
  private readonly serviceOf = new Map<string, string>(); // component id → service id
  private readonly componentOf = new Map<string, string>(); // service id → component id
  private readonly spawnedAt = new Map<string, number>();
  private readonly registered = new Map<string, Deferred<void>>();
  private readonly subscriptions: Disposable[] = [];
  private readonly startAbort = deferred<never>();
  /** Resolved by forceStop(): waits for draining streams and grace periods end at once. */
  private readonly forced = deferred<void>();
  private metricsTimer?: NodeJS.Timeout;
  private stopping?: Promise<void>;
  private resolveDone!: (s: RunSnapshot) => void;
  private wiredOnce = false;
  private rewireTimer?: NodeJS.Timeout;
  /** Time marks of the start-up (ms, performance.now()), for `bench:run` and diagnostics. */
  readonly marks: { start?: number; controlPlaneReady?: number; firstSpawn?: number; lastSpawn?: number; lastRegistration?: number; running?: number } = {};
  private readonly counters = new RunCounters((id) => this.specs.get(id)?.role === 'sink');

  constructor(options: RunnerOptions) {
    this.options = options;
    this.file = path.resolve(options.file);
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
  }

  onEvent(listener: (event: RunnerEvent) => void): Disposable {
    return this.emitter.on(listener);
  }

  snapshot(): RunSnapshot {
    const totals = this.totals();
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
    };
  }

  /** The control plane this run uses (undefined before start). */
  get controlPlane(): ControlPlaneLink | undefined {
    return this.cp;
  }

  logTail(id: string, lines = 200): string[] {
    return this.supervisor?.get(id)?.tail(lines) ?? [];
  }

  // ---------------------------------------------------------------- start

  async start(): Promise<void> {
    if (this.state !== 'idle') throw new Error(`this run was already started (state: ${this.state})`);
    this.setState('starting');
    this.startedAt = Date.now();
    this.marks.start = performance.now();
    try {
      await Promise.race([this.startSteps(), this.startAbort.promise]);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (this.stopping) {
        // Stop was requested during start-up: stop() owns the cleanup and the final state.
        await this.stopping;
        throw new Error(`pipeline stopped during start-up`);
      }
      await this.failStart(message);
      throw err;
    }
  }

  private async startSteps(): Promise<void> {
    const opts = this.options;
    // 1. The pipeline file.
    const parsed = await loadPipelineFile(this.file);
    if (!parsed.ok || !parsed.pipeline) throw new PipelineInvalidError(this.file, parsed.diagnostics);
    const pipeline = parsed.pipeline;
    this.pipeline = pipeline;
    for (const d of parsed.diagnostics.filter((x) => x.severity === 'warning')) {
      this.notice('warning', `${path.basename(d.file)}:${d.line}:${d.column}: ${d.message}`);
    }
    const components = allComponents(pipeline);
    // flowctl would download registry components or fall back to built-in binaries by type; offline we can
    // only run what has a command. Say so for all of them at once, before anything starts.
    const commandless = components.filter((c) => !c.command?.length);
    if (commandless.length) throw new Error(commandlessMessage(this.file, commandless));
    const logDir = opts.logDir ? path.resolve(path.dirname(this.file), opts.logDir) : path.join(path.dirname(this.file), 'logs');
    this.table = new ComponentTable(
      components.map((c) => ({ id: c.id, role: c.role, position: c.position, logFile: safeJoin(logDir, `${c.id}.log`) })),
      (view) => this.emit({ type: 'component', view }),
    );
    for (const c of components) {
      this.specs.set(c.id, c);
      this.specIds.add(c.id);
      this.registered.set(c.id, deferred<void>());
    }
    for (const view of this.table.list()) this.emit({ type: 'component', view });

    // 2. Leftovers of a runner that was killed (kill -9, crashed editor window).
    const stateDir = opts.stateDir ?? flowctlHome();
    try {
      const reaped = await reapLeftovers(stateDir, { graceMs: 2000 });
      for (const r of reaped.reaped) {
        this.notice('warning', `stopped leftover process ${r.pid} (${r.id}) from an earlier run that did not shut down (${r.file})`);
      }
      for (const r of reaped.skipped) {
        this.notice('warning', `left process ${r.pid} (${r.id}) of an earlier run alone: ${r.reason}`);
      }
    } catch (err) {
      this.notice('warning', `could not check for leftover processes: ${(err as Error).message}`);
    }
    this.checkAborted();

    // 3. The control plane: embedded (default) or one already running at address:port.
    // Only processes of this run may register, heartbeat or unregister its components (controlplane/access.ts).
    const access = { isRunProcess: (pid: number) => this.supervisor?.ownsProcess(pid) ?? false };
    const cp = await openControlPlane(opts, { file: this.file, name: pipeline.metadata.name }, (m) => this.notice('warning', m), this, access);
    if (this.stopping || this.startAbort.settled) {
      // Stopped while it was opening: the teardown has already run without it.
      await cp.close().catch(() => undefined); // also removes the run's endpoint entry and lock
      this.checkAborted();
    }
    this.cp = cp;
    this.marks.controlPlaneReady = performance.now();
    this.emit({ type: 'controlPlane', endpoint: cp.endpoint, address: cp.address, port: cp.port });
    this.subscriptions.push(cp.events.on((e) => this.onRegistryEvent(e)));
    this.checkAborted();

    // 4. The pipeline run record (legacy service's run RPCs read it).
    this.runId = crypto.randomUUID();
    await cp.createRun({
      runId: this.runId,
      pipelineName: pipeline.metadata.name,
      configYaml: readPipelineTextSync(this.file),
      componentIds: components.map((c) => c.id),
    });
    this.subscriptions.push(cp.onStopRequested(this.runId, () => void this.stop('stopped through StopPipelineRun')));

    // 5. Components, in dependency order: each waits for what it depends on to register.
    this.supervisor = new Supervisor({ stateDir, runnerFile: this.file });
    this.subscriptions.push(this.supervisor.events.on((e) => this.onProcessEvent(e)));
    const timeoutMs = opts.registrationTimeoutMs ?? DEFAULTS.registrationTimeoutMs;
    const launches = components.map((c) => this.launchWhenReady(c, cp.endpoint, logDir, timeoutMs));
    await Promise.all(launches);
    this.checkAborted();

    // 6. Wire the data plane and go.
    this.wireDataPlane();
    await cp.updateRun({ runId: this.runId, status: RunStatus.RUNNING });
    this.metricsTimer = setInterval(() => this.publishMetrics(), METRICS_INTERVAL_MS);
    this.metricsTimer.unref();
    this.marks.running = performance.now();
    this.setState('running');
  }

  /** Dependencies of a component that must register before it starts. */
  private dependenciesOf(c: ComponentSpec): string[] {
    const deps = new Set([...(c.inputs ?? []), ...(c.depends_on ?? [])]);
    return [...deps].filter((d) => this.specs.has(d) && d !== c.id);
  }

  /** Components under spec.pipelines are black boxes: started, not required to register (as flowctl). */
  private mustRegister(id: string): boolean {
    return this.specs.get(id)?.role !== 'pipeline';
  }

  private async launchWhenReady(c: ComponentSpec, endpoint: string, logDir: string, timeoutMs: number): Promise<void> {
    const deps = this.dependenciesOf(c);
    const pending = () => deps.filter((d) => !this.registered.get(d)!.settled);
    if (pending().length) {
      this.table.setPhase(c.id, 'waiting', { waitingFor: pending() });
      for (const d of deps) {
        await Promise.race([this.registered.get(d)!.promise, this.startAbort.promise]);
        this.table.update(c.id, { waitingFor: pending() });
      }
    }
    this.checkAborted();
    const env = await buildComponentEnv(
      { id: c.id, env: c.env, config: c.config, healthPort: c.health_port },
      { endpoint, parentEnv: process.env, extraEnv: this.options.env },
    );
    this.checkAborted();
    const command = [...(c.command ?? []), ...(c.args ?? [])];
    const proc = this.supervisor!.add({
      id: c.id,
      command,
      cwd: this.pipeline!.dir,
      env,
      restartPolicy: (c.restart_policy as 'no' | 'on-failure' | 'always' | 'unless-stopped' | undefined) ?? 'no',
      logFile: safeJoin(logDir, `${c.id}.log`),
    });
    this.table.setPhase(c.id, 'starting', { waitingFor: [] });
    this.spawnedAt.set(c.id, Date.now());
    proc.start();
    this.marks.firstSpawn ??= performance.now();
    this.marks.lastSpawn = performance.now();
    if (!this.mustRegister(c.id)) {
      this.registered.get(c.id)!.resolve();
      return;
    }
    await this.waitForRegistration(c.id, timeoutMs);
  }

  private async waitForRegistration(id: string, timeoutMs: number): Promise<void> {
    const wait = this.registered.get(id)!;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(this.registrationTimeoutMessage(id, timeoutMs))), timeoutMs);
    });
    try {
      await Promise.race([wait.promise, timeout, this.startAbort.promise]);
    } finally {
      clearTimeout(timer);
    }
  }

  private registrationTimeoutMessage(id: string, timeoutMs: number): string {
    const proc = this.supervisor?.get(id);
    const strangers = this.cp?.list().filter((r) => !this.componentOf.has(r.serviceId) && (r.registeredAt ?? 0) >= (this.startedAt ?? 0));
    return registrationTimeoutMessage({
      id,
      timeoutMs,
      pid: proc?.state === 'running' ? proc.pid : undefined,
      exitCode: proc?.exitCode,
      strangers: strangers ?? [],
      endpoint: this.cp?.endpoint,
      tail: proc?.tail(10) ?? [],
    });
  }

  private checkAborted(): void {
    if (this.stopping || this.startAbort.settled) throw new Error('pipeline stopped during start-up');
  }

  private async failStart(message: string): Promise<void> {
    this.error = message;
    // Unblock every launch still waiting, so nothing new is spawned after the cleanup.
    this.startAbort.reject(new Error(message));
    if (this.runId && this.cp) {
      await this.cp.updateRun({ runId: this.runId, status: RunStatus.FAILED, error: message }).catch(() => undefined);
    }
    await this.teardown();
    this.setState('failed', message);
    this.resolveDone(this.snapshot());
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
        if (e.record.status === HealthStatus.UNHEALTHY) {
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
      this.table.ids().map((id) => ({ id, pid: this.supervisor?.get(id)?.pid, spawnedAt: this.spawnedAt.get(id) }));
    const match = await matchRegistration(record, this.specIds, candidates, this.cp.port);
    if (!match) {
      this.notice('warning', `a component registered as "${record.serviceId}" that is not part of this pipeline`);
      return;
    }
    const id = match.id;
    const spawned = this.spawnedAt.get(id);
    // A record older than the process (an earlier run's, kept by persistence or another control plane) is not this one.
    if (spawned === undefined || record.registeredAt + 1000 < spawned) return;
    const previous = this.serviceOf.get(id);
    if (previous && previous !== record.serviceId) this.componentOf.delete(previous);
    this.serviceOf.set(id, record.serviceId);
    this.componentOf.set(record.serviceId, id);
    const viaLegacy = record.legacy ? ' through the legacy flowctl.ControlPlane API' : '';
    const how =
      record.serviceId === id
        ? ''
        : match.how === 'process'
          ? ` under id "${record.serviceId}" (matched by its process)`
          : ` under id "${record.serviceId}" (matched by ${match.how === 'metadata' ? 'FLOWCTL_COMPONENT_ID in its metadata' : 'component id'})`;
    this.table.setPhase(id, 'running', {
      serviceId: record.serviceId,
      endpoint: record.info.endpoint || record.legacy?.healthEndpoint,
      registeredAt: record.registeredAt,
      lastHeartbeat: record.lastHeartbeat,
      health: record.status,
      metrics: { ...record.metrics },
      problem: undefined,
    });
    this.notice('info', `${id} registered${how}${viaLegacy}`, id);
    if (this.state === 'starting') this.marks.lastRegistration = performance.now();
    this.registered.get(id)?.resolve();
    // A component that comes back after a restart needs its streams re-opened.
    if (this.state === 'running' && this.wiredOnce) this.scheduleRewire();
  }

  // ---------------------------------------------------------------- process facts

  private onProcessEvent(e: { id: string; event: ProcessEvent }): void {
    const { id, event } = e;
    switch (event.type) {
      case 'spawned':
        this.spawnedAt.set(id, Date.now());
        this.table.update(id, {
          pid: event.pid,
          startedAt: Date.now(),
          exitCode: undefined,
          exitSignal: undefined,
          phase: this.serviceOf.has(id) && event.attempt > 1 ? 'starting' : (this.table.get(id)?.phase ?? 'starting'),
        });
        if (event.attempt > 1) this.notice('info', `${id} restarted (pid ${event.pid}, restart ${event.attempt - 1})`, id);
        break;
      case 'line':
        this.emit({ type: 'log', componentId: id, stream: event.stream, line: event.line, time: event.time });
        break;
      case 'exited': {
        const how = event.signal ? `was killed by ${event.signal}` : `exited with code ${event.code}`;
        this.table.update(id, {
          phase: event.willRestart ? 'restarting' : this.stopping ? 'stopped' : 'exited',
          exitCode: event.code,
          exitSignal: event.signal,
          restarts: event.restarts,
          health: this.stopping ? this.table.get(id)?.health ?? 0 : HealthStatus.UNHEALTHY,
          problem: this.stopping ? undefined : `${how}`,
        });
        if (this.stopping) break;
        const serviceId = this.serviceOf.get(id);
        if (serviceId) this.cp?.markExited(serviceId);
        if (event.willRestart) {
          this.notice('warning', `${id} ${how}; restarting in ${Math.round((event.restartInMs ?? 0) / 100) / 10}s (restart ${event.restarts + 1})`, id);
        } else {
          this.notice(event.code === 0 ? 'info' : 'error', `${id} ${how}`, id);
          if (this.state === 'starting' && this.mustRegister(id) && !this.registered.get(id)?.settled) {
            const tail = this.supervisor?.get(id)?.tail(10) ?? [];
            this.startAbort.reject(
              new Error(
                `component ${id} ${how} before it registered with the control plane` +
                  (tail.length ? `\n  last lines of its log:\n${tail.map((l) => `    ${l}`).join('\n')}` : ''),
              ),
            );
          }
          this.checkAllExited();
        }
        break;
      }
      case 'spawnError':
        this.table.update(id, { phase: 'exited', problem: event.message });
        this.notice('error', `${id}: ${event.message}`, id);
        if (this.state === 'starting') this.startAbort.reject(new Error(`component ${id} could not start: ${event.message}`));
        else this.checkAllExited();
        break;
      case 'stopped':
        this.table.update(id, { phase: 'stopped' });
        break;
    }
  }

  /** When every component process has ended on its own, the run is over. */
  private checkAllExited(): void {
    if (this.state !== 'running' || this.stopping) return;
    const views = this.table.list();
    if (!views.every((v) => v.phase === 'exited' || v.phase === 'stopped')) return;
    const failed = views.filter((v) => (v.exitCode ?? 0) !== 0 || v.exitSignal);
    void this.finish(failed.length ? RunStatus.FAILED : RunStatus.COMPLETED, failed.length ? `${failed.map((v) => v.id).join(', ')} failed` : undefined);
  }

  // ---------------------------------------------------------------- data plane

  private wireDataPlane(): void {
    if (!this.pipeline || !this.cp) return;
    this.wiredOnce = true;
    const plan = planWiring(allComponents(this.pipeline), (id) => this.recordOf(id));
    for (const id of plan.legacy) {
      this.notice('info', `${id} registered through the legacy API; it wires its own data (not through flowctl)`, id);
    }
    if (plan.nodes.length === 0) return;
    const dp = new DataPlane({
      nodes: plan.nodes,
      endpointOf: (id) => this.recordOf(id)?.info.endpoint || undefined,
      params: (id) => sourceParams(this.specs.get(id)),
    });
    this.subscriptions.push(
      dp.events.on((ev) => {
        if (ev.type === 'error') this.notice('warning', `data plane: ${ev.id}: ${ev.message}`, ev.id);
        else if (ev.type === 'sourceEnded') this.notice('info', `${ev.id} finished streaming`, ev.id);
      }),
    );
    this.dataPlane = dp;
    void dp.start();
  }

  private scheduleRewire(): void {
    clearTimeout(this.rewireTimer);
    this.rewireTimer = setTimeout(() => void this.rewire(), 200);
    this.rewireTimer.unref();
  }

  private async rewire(): Promise<void> {
    if (this.state !== 'running' || this.stopping) return;
    await this.drainDataPlane(this.options.shutdownGraceMs ?? DEFAULTS.shutdownGraceMs);
    if (this.state === 'running' && !this.stopping) {
      this.notice('info', 're-wiring the data plane after a component restart');
      this.wireDataPlane();
    }
  }

  /** Ends the data plane's streams (sources first, so what is in flight reaches the sinks), then keeps its counts. */
  private async drainDataPlane(timeoutMs: number): Promise<void> {
    const dp = this.dataPlane;
    if (!dp) return;
    await Promise.race([withTimeout(dp.stop(), timeoutMs).catch(() => undefined), this.forced.promise]);
    this.counters.absorb(dp.counts());
    if (this.dataPlane === dp) this.dataPlane = undefined;
  }

  private recordOf(id: string): ServiceRecord | undefined {
    const serviceId = this.serviceOf.get(id);
    return serviceId ? this.cp?.get(serviceId) : undefined;
  }

  private totals(): { eventsProcessed: number; eventsPerSecond: number; bytes: number } {
    const { eventsProcessed, bytes } = this.counters.totals(this.counters.current(this.dataPlane?.counts()));
    return { eventsProcessed, bytes, eventsPerSecond: this.counters.rate(eventsProcessed) };
  }

  /** Run metrics for the registry's run record: per-component counts and totals. */
  private runMetrics(eventsPerSecond: number): RunMetrics {
    const counts = this.counters.current(this.dataPlane?.counts());
    const { eventsProcessed, bytes } = this.counters.totals(counts);
    const component_metrics: RunMetrics['component_metrics'] = {};
    for (const id of this.table.ids()) {
      const c = this.counters.of(counts, id);
      component_metrics[id] = { events_in: c.eventsIn, events_out: c.eventsOut, bytes_in: c.bytesIn, bytes_out: c.bytesOut, processing_time_ms: 0 };
    }
    return { ...emptyRunMetrics(), events_processed: eventsProcessed, events_per_second: round1(eventsPerSecond), bytes_processed: bytes, component_metrics };
  }

  /** Every second: per-component figures into the views, the run record, and a `metrics` event. */
  private publishMetrics(): void {
    if (!this.cp || !this.runId) return;
    const counts = this.counters.current(this.dataPlane?.counts());
    const { eventsProcessed } = this.counters.totals(counts);
    this.counters.sample(eventsProcessed);
    for (const id of this.table.ids()) {
      const c = this.counters.of(counts, id);
      const prev = this.table.get(id)!;
      const rate = Math.max(0, Math.max(c.eventsIn, c.eventsOut) - Math.max(prev.eventsIn, prev.eventsOut)) / (METRICS_INTERVAL_MS / 1000);
      this.table.update(id, { eventsIn: c.eventsIn, eventsOut: c.eventsOut, eventsPerSecond: round1(rate) });
    }
    void this.cp.updateRun({ runId: this.runId, metrics: this.runMetrics(this.counters.rate(eventsProcessed)) }).catch(() => undefined);
    this.emit({ type: 'metrics', snapshot: this.snapshot() });
  }

  // ---------------------------------------------------------------- component actions

  async restartComponent(id: string, options?: RestartOptions): Promise<void> {
    if (options?.override) throw new Error('restart with an override is not implemented yet');
    const proc = this.supervisor?.get(id);
    if (!proc) throw new Error(`no component ${id} in this run`);
    this.notice('info', `restarting ${id}`, id);
    await proc.restart();
  }

  async stopComponent(id: string): Promise<void> {
    const proc = this.supervisor?.get(id);
    if (!proc) throw new Error(`no component ${id} in this run`);
    this.notice('info', `stopping ${id}`, id);
    this.table.setPhase(id, 'stopping');
    await proc.stop(this.options.shutdownGraceMs ?? DEFAULTS.shutdownGraceMs);
    this.table.setPhase(id, 'stopped');
  }

  async startComponent(id: string): Promise<void> {
    const proc = this.supervisor?.get(id);
    if (!proc) throw new Error(`no component ${id} in this run`);
    if (proc.state === 'running' || proc.state === 'backoff') return;
    this.notice('info', `starting ${id}`, id);
    proc.start();
  }

  applyPipeline(): Promise<ApplyResult> {
    return Promise.reject(new Error('applying a changed pipeline to a live run is not implemented yet'));
  }

  // ---------------------------------------------------------------- stop

  stop(reason = 'stopped'): Promise<void> {
    if (this.stopping) return this.stopping;
    if (this.state === 'idle' || this.state === 'stopped' || this.state === 'failed') {
      this.stopping = Promise.resolve();
      if (this.state === 'idle') {
        this.setState('stopped');
        this.resolveDone(this.snapshot());
      }
      return this.stopping;
    }
    this.stopping = this.finish(RunStatus.STOPPED, undefined, reason);
    return this.stopping;
  }

  forceStop(reason = 'stopped at once'): Promise<void> {
    this.forced.resolve();
    this.supervisor?.killAll();
    return this.stop(reason);
  }

  private finishing?: Promise<void>;

  private finish(status: number, error?: string, reason?: string): Promise<void> {
    if (this.finishing) return this.finishing;
    this.finishing = (async () => {
      const wasStarting = this.state === 'starting';
      this.setState('stopping');
      if (reason) this.notice('info', `stopping the pipeline (${reason})`);
      if (wasStarting) this.startAbort.reject(new Error('pipeline stopped during start-up'));
      // Drain first, so the run record's final counts match what the sinks consumed.
      await this.drainDataPlane(this.options.shutdownGraceMs ?? DEFAULTS.shutdownGraceMs);
      if (this.runId && this.cp) {
        this.publishMetrics();
        const elapsed = this.startedAt ? (Date.now() - this.startedAt) / 1000 : 0;
        const metrics = this.runMetrics(elapsed > 0 ? this.totals().eventsProcessed / elapsed : 0);
        await this.cp.updateRun({ runId: this.runId, status, metrics, error: error ?? '' }).catch(() => undefined);
      }
      await this.teardown();
      if (error) this.error = error;
      this.setState(status === RunStatus.FAILED ? 'failed' : 'stopped', error);
      this.resolveDone(this.snapshot());
    })();
    return this.finishing;
  }

  /** Stops everything this run started, in order: data plane, processes, control plane. Never throws. */
  private async teardown(): Promise<void> {
    clearInterval(this.metricsTimer);
    clearTimeout(this.rewireTimer);
    const graceMs = this.forced.settled ? 0 : (this.options.shutdownGraceMs ?? DEFAULTS.shutdownGraceMs);
    await this.drainDataPlane(graceMs);
    if (this.supervisor) {
      for (const v of this.table.list()) if (v.phase !== 'exited' && v.phase !== 'stopped') this.table.setPhase(v.id, 'stopping');
      await this.supervisor.stopAll(graceMs).catch((err: Error) => this.notice('error', `stopping components: ${err.message}`));
      for (const v of this.table.list()) if (v.phase === 'stopping') this.table.setPhase(v.id, 'stopped');
    }
    for (const sub of this.subscriptions.splice(0)) sub.dispose();
    if (this.cp) {
      await this.cp.close().catch((err: Error) => this.notice('error', `closing the control plane: ${err.message}`)); // and the run's endpoint entry and lock
    }
  }

  // ---------------------------------------------------------------- emit helpers

  private setState(state: RunState, error?: string): void {
    if (state === this.state) return;
    const previous = this.state;
    this.state = state;
    this.emit({ type: 'state', state, previous, error });
  }

  private notice(level: 'info' | 'warning' | 'error', message: string, componentId?: string): void {
    this.emit({ type: 'notice', level, message, componentId, time: Date.now() });
  }

  private emit(event: RunnerEvent): void {
    this.emitter.emit(event);
  }
}

function round1(n: number): number {
  return Math.round(n * 10) / 10;
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p,
    new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), ms);
      timer.unref();
    }),
  ]).finally(() => clearTimeout(timer));
}

