// "Connect to Control Plane…": lists the services of a control plane running elsewhere (a CLI run,
// `flowctl server`, another window) through ListComponents and shows them read-only in the tree.
// The picker's choices come from the endpoint file (every live run and server, with their TLS settings
// and, for runs, the owner token that the runner service asks for).
import type { ComponentView, RunSnapshot } from '../core/events';
import type { EndpointTls } from '../core/endpointFile';
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
  /** host:port of the run's runner service when it is not `address` (runs with an external control plane). */
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
        runnerAddress: e.runner ? runnerDialAddress(e) : undefined,
      },
    }));
  return { endpointFile, candidates };
}

const ROLE_OF_TYPE: Record<number, ComponentView['role']> = { 1: 'source', 2: 'processor', 3: 'sink' };

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
    return ((response?.components ?? []) as unknown[]).map(viewFromStatus).sort((a, b) => a.id.localeCompare(b.id));
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

  constructor(readonly target: ConnectTarget) {}

  get key(): string {
    return `connect:${this.target.address}`;
  }

  async refresh(): Promise<void> {
    try {
      const components = await listComponents(this.target);
      this.components = components;
      this.byId = new Map(components.map((c) => [c.id, c]));
      const ids = components.map((c) => c.id);
      // The same array while the set of services stays the same (the tree keys its nodes off it).
      if (ids.length !== this.ids.length || ids.some((id, i) => id !== this.ids[i])) this.ids = ids;
      this.error = undefined;
    } catch (err) {
      this.error = String((err as Error)?.message ?? err);
    }
  }

  componentIds(): readonly string[] {
    return this.ids;
  }

  view(id: string): ComponentView | undefined {
    return this.byId.get(id);
  }

  snapshot(): RunSnapshot {
    return {
      pipelineName: this.target.pipeline ? `${this.target.pipeline} @ ${this.target.address}` : this.target.address,
      file: '',
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
