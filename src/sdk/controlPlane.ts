// The component's side of flowctl.v1.ControlPlaneService: register (retrying with backoff while
// the control plane is unreachable), heartbeat at a fixed interval (one heartbeat in flight at a
// time: a tick while the last is unanswered is skipped), re-register when the control
// plane no longer knows us (it restarted), unregister on stop.
import * as fs from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { protos } from '../core/proto';
import type { ComponentInfo } from '../core/controlplane/model';
import type { Logger } from './log';
import type { SdkTls } from './config';

export interface RegisterRequestWire {
  component: ComponentInfo;
  component_id: string;
}

export interface ControlPlaneLinkOptions {
  endpoint: string;
  heartbeatMs: number;
  request: () => RegisterRequestWire;
  status: () => number;
  metrics: () => Record<string, string>;
  log: Logger;
  /** Per-call deadline (default 5 s). */
  callTimeoutMs?: number;
  /** TLS to the control plane (mutual when a client certificate is given); plaintext without. */
  tls?: SdkTls;
}

/** Channel credentials for `tls` (files read now, so a missing one is reported at start, by name). */
export function controlPlaneCredentials(tls: SdkTls | undefined): { credentials: grpc.ChannelCredentials; options: grpc.ChannelOptions } {
  if (!tls) return { credentials: grpc.credentials.createInsecure(), options: {} };
  const read = (what: string, file?: string): Buffer | null => {
    if (!file) return null;
    try {
      return fs.readFileSync(file);
    } catch (err) {
      throw new Error(`cannot read ${what} ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'file does not exist' : (err as Error).message}`);
    }
  };
  const ca = read('FLOWCTL_TLS_CA_FILE', tls.caFile);
  const cert = tls.certFile && tls.keyFile ? read('FLOWCTL_TLS_CERT_FILE', tls.certFile) : null;
  const key = tls.certFile && tls.keyFile ? read('FLOWCTL_TLS_KEY_FILE', tls.keyFile) : null;
  const options: grpc.ChannelOptions = {};
  if (tls.serverName) options['grpc.ssl_target_name_override'] = tls.serverName;
  return { credentials: grpc.credentials.createSsl(ca, key, cert), options };
}

const BACKOFF_START_MS = 250;
const BACKOFF_MAX_MS = 5_000;

function isNotFound(err: grpc.ServiceError): boolean {
  // flowctl answers an unknown service_id with UNKNOWN "service <id> not found"; ours may say NOT_FOUND.
  return err.code === grpc.status.NOT_FOUND || /not found/i.test(err.details ?? err.message ?? '');
}

export class ControlPlaneLink {
  private readonly client: grpc.Client & Record<string, any>;
  private timer?: NodeJS.Timeout;
  private closed = false;
  private registering?: Promise<boolean>;
  private unreachableLogged = false;
  serviceId?: string;
  heartbeatsSent = 0;
  /** Heartbeat ticks skipped because the previous heartbeat was still unanswered (a slow control plane). */
  heartbeatsSkipped = 0;
  private heartbeatInFlight = false;

  constructor(private readonly opts: ControlPlaneLinkOptions) {
    const Ctor = protos().v1.ControlPlaneService;
    const { credentials, options } = controlPlaneCredentials(opts.tls);
    this.client = new Ctor(opts.endpoint, credentials, options) as any;
  }

  private deadline(): Date {
    return new Date(Date.now() + (this.opts.callTimeoutMs ?? 5_000));
  }

  private unary<T>(method: string, req: unknown): Promise<T> {
    return new Promise((resolve, reject) => {
      this.client[method](req, { deadline: this.deadline() }, (err: grpc.ServiceError | null, res: T) =>
        err ? reject(err) : resolve(res),
      );
    });
  }

  /** Registers, retrying with backoff until it succeeds or close() is called. Resolves true once registered. */
  register(): Promise<boolean> {
    this.registering ??= this.registerLoop().finally(() => (this.registering = undefined));
    return this.registering;
  }

  private async registerLoop(): Promise<boolean> {
    let delay = BACKOFF_START_MS;
    let attempt = 0;
    while (!this.closed) {
      attempt++;
      const req = this.opts.request();
      try {
        const res = await this.unary<{ service_id: string }>('RegisterComponent', req);
        if (this.closed) return false;
        this.serviceId = res.service_id || req.component_id || req.component.id;
        this.opts.log.info(
          `registered with the control plane at ${this.opts.endpoint} as ${this.serviceId} (data endpoint ${req.component.endpoint}, heartbeat every ${this.opts.heartbeatMs} ms)`,
        );
        this.unreachableLogged = false;
        return true;
      } catch (err) {
        const e = err as grpc.ServiceError;
        if (attempt === 1 || attempt % 10 === 0) {
          this.opts.log.warn(
            `cannot register with the control plane at ${this.opts.endpoint} (attempt ${attempt}): ${e.details || e.message}; retrying`,
          );
        }
        await this.sleep(delay);
        delay = Math.min(delay * 2, BACKOFF_MAX_MS);
      }
    }
    return false;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      t.unref?.();
      if (this.closed) {
        clearTimeout(t);
        resolve();
      }
    });
  }

  /** Heartbeats every interval; the first one goes out one interval after this call. */
  startHeartbeats(): void {
    if (this.timer || this.closed) return;
    this.timer = setInterval(() => void this.heartbeat(), this.opts.heartbeatMs);
  }

  /**
   * One heartbeat. While the previous one is still unanswered this tick is skipped (resolves at once):
   * a control plane that falls behind then sees fewer heartbeats, not a growing queue of calls whose
   * answers nobody waits for any more (flowctl's Go SDK behaves the same: a ticker and a blocking call).
   */
  async heartbeat(): Promise<void> {
    if (this.closed || !this.serviceId || this.registering) return;
    if (this.heartbeatInFlight) {
      this.heartbeatsSkipped++;
      return;
    }
    this.heartbeatInFlight = true;
    try {
      await this.beatOnce();
    } finally {
      this.heartbeatInFlight = false;
    }
  }

  private async beatOnce(): Promise<void> {
    if (!this.serviceId) return;
    try {
      await this.unary('Heartbeat', { service_id: this.serviceId, status: this.opts.status(), metrics: this.opts.metrics() });
      this.heartbeatsSent++;
      if (this.unreachableLogged) this.opts.log.info(`control plane at ${this.opts.endpoint} is reachable again`);
      this.unreachableLogged = false;
    } catch (err) {
      const e = err as grpc.ServiceError;
      if (this.closed) return;
      if (isNotFound(e)) {
        this.opts.log.warn(`the control plane does not know ${this.serviceId} (it probably restarted); registering again`);
        await this.register();
      } else if (!this.unreachableLogged) {
        this.unreachableLogged = true;
        this.opts.log.warn(`heartbeat failed: ${e.details || e.message}; will keep trying every ${this.opts.heartbeatMs} ms`);
      }
    }
  }

  stopHeartbeats(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  async unregister(): Promise<void> {
    const id = this.serviceId;
    if (!id) return;
    try {
      await this.unary('UnregisterComponent', { service_id: id });
      this.opts.log.info(`unregistered ${id}`);
    } catch (err) {
      this.opts.log.warn(`could not unregister ${id}: ${(err as grpc.ServiceError).details || (err as Error).message}`);
    }
    this.serviceId = undefined;
  }

  close(): void {
    this.closed = true;
    this.stopHeartbeats();
    this.client.close();
  }
}
