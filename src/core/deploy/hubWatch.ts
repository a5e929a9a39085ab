// Watching a deployed pipeline's hub from outside: its registry (ListComponents) grouped by pipeline
// component, so `flowctl deploy` can say how many replicas of each component registered and are
// healthy, and when the whole pipeline is.
import * as fs from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { HealthStatus } from '../controlplane/model';
import { fastV1ControlPlaneClient } from '../wire/fastClient';

export interface WantedComponent {
  id: string;
  /** Replicas the pipeline asks for (0 = none expected). */
  replicas: number;
}

export interface ComponentProgress {
  id: string;
  wanted: number;
  registered: number;
  healthy: number;
  /** Service ids of its instances (`enrich`, `enrich#2`, …). */
  instances: string[];
}

export interface HubClientTls {
  caFile?: string;
  certFile?: string;
  keyFile?: string;
  serverName?: string;
}

interface WireStatus {
  component: { id: string; metadata: Record<string, string> } | null;
  status: number;
}

/**
 * The pipeline component an entry of the hub's registry belongs to: FLOWCTL_COMPONENT_ID in its
 * metadata (the hub sets it on every instance), else its id without the instance suffix (`enrich#2`).
 */
export function componentOfEntry(entry: { component: { id: string; metadata?: Record<string, string> } | null }): string | undefined {
  const c = entry.component;
  if (!c) return undefined;
  return c.metadata?.FLOWCTL_COMPONENT_ID || c.id.replace(/#[^#]*$/, '');
}

export function summarize(wanted: WantedComponent[], entries: WireStatus[]): ComponentProgress[] {
  const by = new Map<string, ComponentProgress>(wanted.map((w) => [w.id, { id: w.id, wanted: w.replicas, registered: 0, healthy: 0, instances: [] }]));
  for (const e of entries) {
    const id = componentOfEntry(e);
    const p = id !== undefined ? by.get(id) : undefined;
    if (!p) continue;
    p.registered++;
    if (e.status === HealthStatus.HEALTHY) p.healthy++;
    p.instances.push(e.component?.id ?? id!);
  }
  return [...by.values()];
}

export function allHealthy(progress: ComponentProgress[]): boolean {
  return progress.every((p) => p.healthy >= p.wanted);
}

/** One line: `3/4 components ready — waiting for enrich (1/3 healthy), out (not registered)`. */
export function describeProgress(progress: ComponentProgress[]): string {
  const ready = progress.filter((p) => p.healthy >= p.wanted);
  const waiting = progress.filter((p) => p.healthy < p.wanted);
  const head = `${ready.length}/${progress.length} components ready`;
  if (!waiting.length) return head;
  const parts = waiting.map((p) =>
    p.registered === 0 ? `${p.id} (not registered)` : p.wanted > 1 ? `${p.id} (${p.healthy}/${p.wanted} healthy)` : `${p.id} (registered, not healthy)`,
  );
  return `${head} — waiting for ${parts.join(', ')}`;
}

export class HubWatcher {
  private readonly client: any;

  constructor(
    readonly target: string,
    tls?: HubClientTls,
  ) {
    let creds = grpc.credentials.createInsecure();
    const options: grpc.ChannelOptions = { 'grpc.max_receive_message_length': 64 * 1024 * 1024 };
    if (tls && (tls.caFile || tls.certFile)) {
      const read = (f?: string) => (f ? fs.readFileSync(f) : null);
      creds = grpc.credentials.createSsl(read(tls.caFile), read(tls.keyFile), read(tls.certFile));
      if (tls.serverName) options['grpc.ssl_target_name_override'] = tls.serverName;
    }
    this.client = fastV1ControlPlaneClient(target, creds, options);
  }

  /** The hub's registry, or undefined while it does not answer (not started yet, restarting). */
  async list(timeoutMs = 3000): Promise<WireStatus[] | undefined> {
    return new Promise((resolve) => {
      this.client.ListComponents({ include_unhealthy: true }, { deadline: Date.now() + timeoutMs }, (err: grpc.ServiceError | null, res: { components: WireStatus[] }) =>
        resolve(err ? undefined : res.components),
      );
    });
  }

  close(): void {
    this.client.close();
  }
}
