// What one run knows, shared by the runner's parts (launch, process facts, registry facts, component
// actions, the live update, the run's end): the components and their state machines, the views, the
// control and data planes, and the run's own lifecycle. Plain state and small helpers; every decision
// lives in the part whose job it is.
import * as path from 'node:path';
import { Emitter, type Disposable } from '../typedEmitter';
import type { RunnerEvent, RunSnapshot, RunState } from '../events';
import type { RunnerOptions } from '../runnerTypes';
import type { ControlPlaneLink } from './controlPlaneLink';
import type { ComponentSpec, Pipeline } from '../pipeline/model';
import type { DataPlaneManager } from '../dataplane';
import { Signal } from '../dataplane/signal';
import { ComponentTable, type ComponentSeed } from './componentTable';
import { ComponentState } from './componentState';
import { MetricsPublisher } from './metricsPublisher';
import { MetricHistory } from '../history/metricHistory';
import type { Sequencer } from './sequencer';
import type { RunLogs } from './runLogs';
import type { Deferred } from './deferred';
import { createDriver, driverSelection } from '../drivers/factory';
import { flowctlHome } from '../paths';
import type { DriverSelection } from '../drivers/select';
import { mergeInstanceCounts, mergeInstanceEdges, type Hub } from '../hub/hub';
import type { ComponentDriver, ComponentHandle, DriverKind } from '../drivers/types';

export const RUN_DEFAULTS = {
  registrationTimeoutMs: 30_000,
  shutdownGraceMs: 10_000,
};

/** One component of the run: its spec, its state machine, how it runs. */
export interface Comp {
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
export interface Startup {
  failure: Deferred<never>;
}

/** The first picture of a component: where it is, where it logs, how it runs (and its image when a container). */
export function initialView(run: Run, id: string): ComponentSeed {
  const c = run.comps.get(id)!;
  const docker = c.driver.kind === 'docker';
  return { id, role: c.spec.role, position: c.spec.position, logFile: run.logs?.fileOf(id), driver: c.driver.kind, ...(docker ? { image: c.spec.image } : {}) };
}

/** Components under spec.pipelines are black boxes: started, not required to register (as flowctl). */
export function mustRegister(spec: ComponentSpec): boolean {
  return spec.role !== 'pipeline';
}

export class Run {
  readonly file: string;
  readonly events = new Emitter<RunnerEvent>();
  state: RunState = 'idle';
  error?: string;
  pipeline?: Pipeline;
  runId?: string;
  startedAt?: number;
  logs?: RunLogs;
  cp?: ControlPlaneLink;
  dp?: DataPlaneManager;
  /** Set in hub mode (`components: external`): replicas, placement, the data plane's instance nodes. */
  hub?: Hub;
  readonly comps = new Map<string, Comp>();
  readonly table: ComponentTable;
  readonly drivers = new Map<DriverKind, ComponentDriver>();
  /** service id → component id */
  readonly componentOf = new Map<string, string>();
  readonly subscriptions: Disposable[] = [];
  readonly publisher: MetricsPublisher;
  /** Rates and numeric metrics of every component over the last minutes, one sample per metrics tick. */
  readonly history = new MetricHistory();
  /** Set by the runner (its hooks start components). */
  sequencer!: Sequencer;
  metricsTimer?: NodeJS.Timeout;
  startup?: Startup;
  /** Fired on every registration and component state change (start-up waits on it). */
  readonly progress = new Signal();
  /** The run's end, once it began (stop(), a failed start, or every component ended). */
  ending?: Promise<void>;
  /** Set by the runner: ends the run (once). */
  end!: (status: number, error?: string, reason?: string) => Promise<void>;
  /** Aborted by forceStop(): grace periods and drain waits end at once. */
  readonly noGrace = new AbortController();
  /** Resolves with the final snapshot when the run has ended. */
  readonly done: Promise<RunSnapshot>;
  resolveDone!: (snapshot: RunSnapshot) => void;
  /** Time marks of the start-up (ms, performance.now()), for `bench:run` and diagnostics. */
  /** Components that ended in failure and why, for the run record (the Runs view shows them). */
  failures(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const v of this.table.list()) {
      if (v.phase !== 'exited' || (v.exitCode === 0 && !v.exitSignal)) continue;
      out[v.id] = v.problem ?? (v.exitSignal ? `killed by ${v.exitSignal}` : `exited with code ${v.exitCode}`);
    }
    return out;
  }

  readonly marks: { start?: number; controlPlaneReady?: number; firstSpawn?: number; lastSpawn?: number; lastRegistration?: number; running?: number } = {};

  constructor(readonly options: RunnerOptions) {
    this.file = path.resolve(options.file);
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
    this.table = new ComponentTable([], (view) => this.emit({ type: 'component', view }));
    this.publisher = new MetricsPublisher(
      {
        ids: () => this.table.ids(),
        view: (id) => this.table.get(id),
        update: (id, patch) => this.table.update(id, patch),
        upstreamOf: (id) => this.upstreamOf(id),
        counts: () => mergeInstanceCounts(this.dp?.counts() ?? {}),
        drops: (id) => this.dp?.drops(id) ?? { dropped: 0, droppedBy: {}, queued: 0 },
        edges: () => mergeInstanceEdges(this.dp?.edges() ?? []),
      },
      (id) => this.comps.get(id)?.spec.role === 'sink',
    );
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

  /** A component of the run by id (an Error naming it otherwise). */
  comp(id: string): Comp {
    const c = this.comps.get(id);
    if (!c) throw new Error(`no component ${id} in this run`);
    return c;
  }

  /** The state folder: journals, leftover records, the endpoint file (FLOWCTL_HOME unless the options say). */
  get stateDir(): string {
    return this.options.stateDir ?? flowctlHome();
  }

  /** How each component of `pipeline` runs (process or container), by --orchestrator, spec.driver and what it has. */
  selection(pipeline = this.pipeline!): DriverSelection {
    return driverSelection(pipeline, { orchestrator: this.options.orchestrator, network: this.options.network });
  }

  /** Which driver kind runs this component (one with nothing to run counts as a process: its start says so). */
  kindOf(spec: ComponentSpec, pipeline = this.pipeline!): DriverKind {
    // A hub (`components: external`) runs nothing: every component is expected from elsewhere.
    if (this.options.components === 'external') return 'external';
    return this.selection(pipeline).drivers.get(spec.id) ?? 'process';
  }

  /** The run's driver of this kind (one of each kind per run, made when first needed). */
  driverOf(kind: DriverKind): ComponentDriver {
    let driver = this.drivers.get(kind);
    if (!driver) {
      driver = createDriver(kind, {
        stateDir: this.stateDir,
        file: this.file,
        runId: this.runId!,
        pipelineName: this.pipeline!.metadata.name,
        pull: this.options.pull,
        onProgress: (m) => this.notice('info', m),
      });
      this.drivers.set(kind, driver);
    }
    return driver;
  }

  /**
   * True when host process `pid` belongs to this run: a component process (or anything carrying the run
   * marker) or a process inside one of the run's containers (by its cgroup). The control plane's access
   * rules use it (`isRunProcess`).
   */
  ownsProcess(pid: number): boolean {
    for (const d of this.drivers.values()) if (d.ownsProcess(pid)) return true;
    return false;
  }

  /** A new component, with its state machine and its driver (one driver of each kind per run). */
  addComp(spec: ComponentSpec): Comp {
    const driver = this.driverOf(this.kindOf(spec));
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

  /** Upstream ids of a component on the data graph; undefined when it is not on it. */
  upstreamOf(id: string): string[] | undefined {
    const c = this.comps.get(id);
    if (!c || c.spec.role === 'pipeline') return undefined;
    const onPlane = (x: string) => {
      const o = this.comps.get(x);
      return !!o && o.spec.role !== 'pipeline';
    };
    const ups = c.spec.role === 'source' ? [] : (c.spec.inputs ?? []).filter(onPlane);
    const fed = [...this.comps.values()].some((o) => o.spec.role !== 'source' && o.spec.role !== 'pipeline' && (o.spec.inputs ?? []).includes(id));
    return ups.length || fed ? ups : undefined;
  }

  graceMs(): number {
    return this.noGrace.signal.aborted ? 0 : (this.options.shutdownGraceMs ?? RUN_DEFAULTS.shutdownGraceMs);
  }

  /** `p`, or sooner when forceStop() is called. */
  hurry<T>(p: Promise<T>): Promise<T | undefined> {
    const signal = this.noGrace.signal;
    if (signal.aborted) return Promise.resolve(undefined);
    // The listener goes when `p` settles: a long run restarts components many times, and listeners left on
    // the signal would pile up (a leak, and Node's MaxListenersExceededWarning after 10).
    let onAbort: (() => void) | undefined;
    const forced = new Promise<undefined>((resolve) => {
      onAbort = () => resolve(undefined);
      signal.addEventListener('abort', onAbort, { once: true });
    });
    return Promise.race([p, forced]).finally(() => signal.removeEventListener('abort', onAbort!));
  }

  setState(state: RunState, error?: string): void {
    if (state === this.state) return;
    const previous = this.state;
    this.state = state;
    this.emit({ type: 'state', state, previous, error });
    this.progress.fire();
  }

  notice(level: 'info' | 'warning' | 'error', message: string, componentId?: string): void {
    this.emit({ type: 'notice', level, message, componentId, time: Date.now() });
  }

  emit(event: RunnerEvent): void {
    this.events.emit(event);
  }
}
