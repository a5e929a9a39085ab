// Minimal control-plane client for the extension bench's components (ext-heartbeats, ext-flood):
// RegisterComponent / Heartbeat on flowctl.v1 and ListPipelineRuns on the legacy service, over one
// channel. A helper module, not a component: it does nothing when run on its own.
import * as grpc from '@grpc/grpc-js';
import { protos } from '../../src/core/proto';

type Callback<T> = (err: grpc.ServiceError | null, res: T) => void;
type AnyClient = grpc.Client & Record<string, (req: unknown, meta: { deadline: Date }, cb: Callback<any>) => void>;

export const SOURCE_TYPE = 1; // flowctl.v1.ComponentType.SOURCE
export const RUN_STARTING = 1; // flowctl.RunStatus.RUN_STATUS_STARTING

export class BenchControlPlane {
  private readonly v1: AnyClient;
  private readonly legacy: AnyClient;

  constructor(readonly endpoint: string) {
    if (!endpoint) throw new Error('FLOWCTL_ENDPOINT is not set (run this component from a pipeline)');
    const p = protos();
    this.v1 = new p.v1.ControlPlaneService(endpoint, grpc.credentials.createInsecure()) as AnyClient;
    // Same target and options: grpc-js shares one subchannel (one TCP connection) between them.
    this.legacy = new p.legacy.ControlPlane(endpoint, grpc.credentials.createInsecure()) as AnyClient;
  }

  private call<T>(client: AnyClient, method: string, req: unknown, timeoutMs = 10_000): Promise<T> {
    return new Promise((resolve, reject) => {
      client[method](req, { deadline: new Date(Date.now() + timeoutMs) }, (err, res) => (err ? reject(err) : resolve(res as T)));
    });
  }

  /** Registers `id` as a source; resolves with the service id. */
  async register(id: string, name: string): Promise<string> {
    const res = await this.call<{ service_id: string }>(this.v1, 'RegisterComponent', {
      component_id: id,
      component: { id, name, description: 'bench:extension component', version: '0.0.0', type: SOURCE_TYPE, input_event_types: [], output_event_types: ['bench.ext.v1'], endpoint: '', metadata: { FLOWCTL_COMPONENT_ID: id } },
    });
    return res.service_id || id;
  }

  /**
   * register() until it succeeds, with backoff (the control plane lives in the extension host, whose
   * event loop can be busy for seconds while it spawns a thousand processes). Gives up after `withinMs`.
   */
  async registerWithRetry(id: string, name: string, withinMs = 180_000): Promise<string> {
    const deadline = Date.now() + withinMs;
    let delay = 250;
    for (;;) {
      try {
        return await this.register(id, name);
      } catch (err) {
        if (Date.now() + delay > deadline) throw err;
        await sleep(delay);
        delay = Math.min(delay * 2, 2000);
      }
    }
  }

  /** status: 0 (UNKNOWN: keeps the current one, a stale record becomes healthy), 2 HEALTHY, 3 DEGRADED… */
  heartbeat(serviceId: string, metrics: Record<string, string>, status = 0): Promise<unknown> {
    return this.call(this.v1, 'Heartbeat', { service_id: serviceId, status, metrics });
  }

  /** Status of the newest pipeline run the control plane knows (undefined when there is none). */
  async latestRunStatus(): Promise<number | undefined> {
    const res = await this.call<{ runs: { status: number; start_time?: { seconds: number } }[] }>(this.legacy, 'ListPipelineRuns', { limit: 10 });
    const runs = [...(res.runs ?? [])].sort((a, b) => (b.start_time?.seconds ?? 0) - (a.start_time?.seconds ?? 0));
    return runs[0]?.status;
  }

  close(): void {
    this.v1.close();
    this.legacy.close();
  }
}

/** FLOWCTL_HEARTBEAT_INTERVAL as a Go-style duration ("1s", "500ms") or FLOWCTL_HEARTBEAT_INTERVAL_MS. */
export function heartbeatMs(env: NodeJS.ProcessEnv = process.env): number {
  const ms = Number(env.FLOWCTL_HEARTBEAT_INTERVAL_MS);
  if (ms > 0) return ms;
  const m = /^(\d+(?:\.\d+)?)(ms|s)$/.exec((env.FLOWCTL_HEARTBEAT_INTERVAL ?? '').trim());
  if (m) return Number(m[1]) * (m[2] === 's' ? 1000 : 1);
  return 10_000;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
