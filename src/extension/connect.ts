// "Connect to Control Plane…": lists the services of a control plane running elsewhere (a CLI run,
// `flowctl server`, another window) through ListComponents and shows them read-only in the tree.
import * as fs from 'node:fs';
import type { ComponentView, RunSnapshot } from '../core/events';
import type { ModelSource } from './runModel';

export interface ConnectTarget {
  /** host:port to dial. */
  address: string;
  pipeline?: string;
  tls?: { caFile?: string; certFile?: string; keyFile?: string };
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
  const grpc = await import('@grpc/grpc-js');
  const { fastV1ControlPlaneClient } = await import('../core/wire/fastClient');
  let creds = grpc.credentials.createInsecure();
  if (target.tls) {
    const read = (f?: string) => (f ? fs.readFileSync(f) : null);
    creds = grpc.credentials.createSsl(read(target.tls.caFile), read(target.tls.keyFile), read(target.tls.certFile));
  }
  const client = fastV1ControlPlaneClient(target.address, creds, { 'grpc.max_receive_message_length': 256 * 1024 * 1024 }); // ListComponents decoded by src/core/wire
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
