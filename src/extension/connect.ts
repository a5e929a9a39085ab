// "Connect to Control Plane…": shows the services of a control plane running elsewhere (a CLI run,
// `flowctl server`, another window) in the tree, in pipeline order (sources → processors → sinks),
// under the pipeline's name. For a run, the runner service (GetRun) gives the runner's own picture
// (phases, pids, data flow, rates); with the run's owner token from the endpoint file — the run is
// this user's — its components can be restarted, stopped and started as in a local run. Otherwise
// (a `flowctl server`, an address typed in, an older flowctl) ListComponents shows it read-only,
// ordered by the pipeline file when it is known and readable. The picker's choices come from the
// endpoint file (every live run and server, with their TLS settings and tokens).
import type { ComponentView, RunSnapshot } from '../core/events';
import type { EndpointTls } from '../core/endpointFile';
import type { RunnerClient } from '../core/runctl/client';
import type { ModelSource } from './runModel';

export interface ConnectTarget {
  /** host:port to dial. */
  address: string;
  pipeline?: string;
  /** Pipeline file of a run (absolute). */
  file?: string;
  /** null/undefined = plaintext. */
  tls?: EndpointTls | null;
  /** The run's owner token (for the runner service's actions), from its endpoint entry. */
  token?: string;
  /** host:port of the run's runner service (runs only; the control-plane port unless the run uses an external one). */
  runnerAddress?: string;
}

export interface ConnectCandidate {
  label: string;
  description: string;
  detail: string;
  target: ConnectTarget;
}

/** Every live run and server of the endpoint file ($FLOWCTL_HOME/endpoint.json, its real path shown). */
export async function connectCandidates(): Promise<{ endpointFile: string; candidates: ConnectCandidate[] }> {
  const { readEndpointEntries, dialAddress, runnerDialAddress } = await import('../core/endpointFile');
  const { endpointFilePath } = await import('../core/paths');
  const endpointFile = endpointFilePath();
  const candidates = readEndpointEntries(endpointFile)
    .reverse() // newest first
    .map((e) => ({
      label: `$(plug) ${dialAddress(e)}`,
      description: `${e.kind === 'server' ? 'flowctl server' : (e.pipeline ?? 'run')} (pid ${e.pid})${e.tls ? ' · TLS' : ''}`,
      detail: `${e.file ? `${e.file} — ` : ''}from ${endpointFile}, started ${e.startedAt}`,
      target: {
        address: dialAddress(e),
        pipeline: e.pipeline,
        file: e.file,
        tls: e.tls,
        token: e.token,
        // Runs serve the runner service (on the control-plane port unless it is an external one).
        runnerAddress: e.kind === 'run' ? runnerDialAddress(e) : undefined,
      },
    }));
  return { endpointFile, candidates };
}

const ROLE_OF_TYPE: Record<number, ComponentView['role']> = { 1: 'source', 2: 'processor', 3: 'sink' };
const ROLE_RANK: Record<ComponentView['role'], number> = { source: 0, processor: 1, sink: 2, pipeline: 3 };

/** Order and roles of a pipeline file's components (undefined when it cannot be read or parsed). */
export async function pipelineOrder(file: string | undefined): Promise<{ name: string; order: Map<string, { index: number; role: ComponentView['role'] }> } | undefined> {
  if (!file) return undefined;
  try {
    const [{ loadPipelineFile }, { allComponents }] = await Promise.all([import('../core/pipeline/load'), import('../core/pipeline/model')]);
    const parsed = await loadPipelineFile(file);
    if (!parsed.pipeline) return undefined;
    const order = new Map<string, { index: number; role: ComponentView['role'] }>();
    allComponents(parsed.pipeline).forEach((c, index) => order.set(c.id, { index, role: c.role }));
    return { name: parsed.pipeline.metadata.name, order };
  } catch {
    return undefined;
  }
}

/** Pipeline order: by role (sources, processors, sinks, pipelines), then as in the file, then by id. */
export function sortInPipelineOrder(views: ComponentView[], order?: Map<string, { index: number }>): ComponentView[] {
  return views.sort((a, b) => ROLE_RANK[a.role] - ROLE_RANK[b.role] || (order?.get(a.id)?.index ?? 1e9) - (order?.get(b.id)?.index ?? 1e9) || a.id.localeCompare(b.id));
}

function ms(ts: { seconds?: number | string; nanos?: number } | null | undefined): number | undefined {
  if (!ts) return undefined;
  const v = Number(ts.seconds ?? 0) * 1000 + Math.floor(Number(ts.nanos ?? 0) / 1e6);
  return v > 0 ? v : undefined;
}

/** ListComponentsResponse entry → the ComponentView shape the tree renders. */
export function viewFromStatus(status: any): ComponentView {
  const info = status?.component ?? {};
  const id: string = info.id || info.name || '(unnamed)';
  return {
    id,
    role: ROLE_OF_TYPE[Number(info.type)] ?? 'processor',
    phase: 'running',
    health: Number(status?.status ?? 0),
    restarts: 0,
    serviceId: info.id,
    endpoint: info.endpoint || undefined,
    registeredAt: ms(status?.registered_at),
    lastHeartbeat: ms(status?.last_heartbeat),
    metrics: { ...(status?.metrics ?? {}) },
    waitingFor: [],
    eventsIn: 0,
    eventsOut: 0,
    eventsPerSecond: 0,
  };
}

/** One ListComponents call (include_unhealthy: true), with a deadline. */
export async function listComponents(target: ConnectTarget, timeoutMs = 5000): Promise<ComponentView[]> {
  const { fastV1ControlPlaneClient } = await import('../core/wire/fastClient');
  const { clientChannel } = await import('../core/runctl/clientTls');
  const { credentials, options } = clientChannel(target.tls);
  const client = fastV1ControlPlaneClient(target.address, credentials, { ...options, 'grpc.max_receive_message_length': 256 * 1024 * 1024 }); // ListComponents decoded by src/core/wire
  try {
    const response: any = await new Promise((resolve, reject) => {
      client.ListComponents({ include_unhealthy: true }, { deadline: Date.now() + timeoutMs }, (err: Error | null, res: unknown) =>
        err ? reject(err) : resolve(res),
      );
    });
    return ((response?.components ?? []) as unknown[]).map(viewFromStatus);
  } finally {
    client.close();
  }
}

/** A read-only model source: the last ListComponents answer. */
export class ConnectedControlPlane implements ModelSource {
  readonly readonly = true;
  private components: ComponentView[] = [];
  private byId = new Map<string, ComponentView>();
  private ids: string[] = [];
  private error: string | undefined;
  private readonly since = Date.now();
  private order: Map<string, { index: number; role: ComponentView['role'] }> | undefined;
  private fileName: string | undefined;
  private orderLoaded = false;
  private runner: RunnerClient | undefined;
  /** Whether the runner service answers: unknown until tried; `none` for servers and older runs. */
  private runnerState: 'unknown' | 'ok' | 'none' = 'unknown';
  private remote: RunSnapshot | undefined;

  constructor(readonly target: ConnectTarget) {}

  /** The runner service answers and the run's owner token is known: components can be controlled. */
  get controllable(): boolean {
    return this.runnerState === 'ok' && !!this.target.token;
  }

  /** The figures come from the runner itself (its own counts and rates), not only from ListComponents. */
  get hasRunnerCounts(): boolean {
    return this.runnerState === 'ok';
  }

  private runnerClient(client: typeof import('../core/runctl/client')): RunnerClient {
    // The runner service shares the control plane's TLS on its port; an external one is plaintext on loopback.
    const sameChannel = this.target.runnerAddress === this.target.address;
    return (this.runner ??= new client.RunnerClient({ address: this.target.runnerAddress!, token: this.target.token, tls: sameChannel ? this.target.tls : null }));
  }

  /** The runner's picture (GetRun), or undefined when there is no runner service to ask. */
  private async fromRunner(): Promise<ComponentView[] | undefined> {
    if (!this.target.runnerAddress || this.runnerState === 'none') return undefined;
    const client = await import('../core/runctl/client');
    try {
      const snap = await this.runnerClient(client).getRun(5000);
      this.runnerState = 'ok';
      this.remote = snap;
      return snap.components;
    } catch (err) {
      const grpc = await import('@grpc/grpc-js');
      // No runner service there (a server, an older flowctl): ListComponents from now on.
      if (err instanceof client.RunnerCallError && err.code === grpc.status.UNIMPLEMENTED) this.runnerState = 'none';
      if (this.runnerState === 'ok') throw err;
      return undefined;
    }
  }

  /** Restart/stop/start a component of a connected run through its runner service (owner token required). */
  async act(action: 'restart' | 'stop' | 'start', id: string): Promise<void> {
    if (!this.controllable || !this.runner) throw new Error(`the run at ${this.target.address} can only be watched from here (no runner service or no owner token)`);
    if (action === 'restart') await this.runner.restartComponent(id);
    else if (action === 'stop') await this.runner.stopComponent(id);
    else await this.runner.startComponent(id);
  }

  /** Asks the connected run to stop (its runner shuts it down); answers at once. */
  async stopRun(reason: string): Promise<void> {
    if (!this.controllable || !this.runner) throw new Error(`the run at ${this.target.address} can only be watched from here`);
    await this.runner.stopRun(reason);
  }

  dispose(): void {
    this.runner?.close();
    this.runner = undefined;
  }

  get key(): string {
    return `connect:${this.target.address}`;
  }

  /** True when the run's pipeline file was read (order and roles come from it). */
  get pipelineKnown(): boolean {
    return !!this.order;
  }

  /**
   * Lists the services again. Returns what changed: `set` when services came or went (or the error
   * changed), else the ids whose view differs — so the tree re-renders only those (a full refresh
   * every few seconds would close open tooltips).
   */
  async refresh(): Promise<{ set: boolean; changed: string[] }> {
    if (!this.orderLoaded) {
      this.orderLoaded = true;
      const known = await pipelineOrder(this.target.file);
      this.order = known?.order;
      this.fileName = known?.name;
    }
    const previousError = this.error;
    try {
      const fromRunner = await this.fromRunner();
      let components = fromRunner ?? (await listComponents(this.target));
      if (fromRunner) {
        // The runner lists them in pipeline order; keep that order among the roles.
        const order = new Map(fromRunner.map((c, index) => [c.id, { index, role: c.role }]));
        this.order ??= order;
      } else if (this.order) components = components.map((c) => ({ ...c, role: this.order!.get(c.id)?.role ?? c.role }));
      components = sortInPipelineOrder(components, this.order);
      const changed = components.filter((c) => JSON.stringify(c) !== JSON.stringify(this.byId.get(c.id))).map((c) => c.id);
      this.components = components;
      this.byId = new Map(components.map((c) => [c.id, c]));
      const ids = components.map((c) => c.id);
      this.error = undefined;
      // The same array while the set of services stays the same (the tree keys its nodes off it).
      if (ids.length !== this.ids.length || ids.some((id, i) => id !== this.ids[i])) {
        this.ids = ids;
        return { set: true, changed };
      }
      return { set: previousError !== undefined, changed };
    } catch (err) {
      this.error = String((err as Error)?.message ?? err);
      return { set: this.error !== previousError, changed: [] };
    }
  }

  componentIds(): readonly string[] {
    return this.ids;
  }

  view(id: string): ComponentView | undefined {
    return this.byId.get(id);
  }

  snapshot(): RunSnapshot {
    if (this.remote && this.runnerState === 'ok' && !this.error) {
      return { ...this.remote, pipelineName: this.remote.pipelineName || this.target.pipeline || `run at ${this.target.address}`, endpoint: this.target.address, components: this.components };
    }
    return {
      pipelineName: this.target.pipeline || this.fileName || `control plane ${this.target.address}`,
      file: this.target.file ?? '',
      state: this.error ? 'failed' : 'running',
      endpoint: this.target.address,
      startedAt: this.since,
      error: this.error,
      components: this.components,
      eventsProcessed: 0,
      eventsPerSecond: 0,
    };
  }
}
