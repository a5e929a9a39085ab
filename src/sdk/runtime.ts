// One running component: the flowctl.v1 data-plane gRPC server, the optional HTTP health server,
// the control-plane link, and the stop sequence. Role-specific stream handlers live in services.ts.
import * as grpc from '@grpc/grpc-js';
import { protos } from '../core/proto';
import { ComponentType, HealthStatus } from '../core/controlplane/model';
import { advertisedEndpoint, readSdkConfig, type SdkConfig } from './config';
import { joinHostPort } from '../core/hostPort';
import { ControlPlaneLink, controlPlaneCredentials, type RegisterRequestWire } from './controlPlane';
import { dataPlaneServerCredentials } from './dataPlaneTls';
import { HealthHttpServer, type HealthName } from './health';
import { createLogger, type Logger } from './log';
import { ComponentMetrics } from './metrics';
import type { CommonOptions, ComponentHandle } from './types';

export type Role = 'source' | 'processor' | 'consumer';

const SERVICE: Record<Role, 'SourceService' | 'ProcessorService' | 'ConsumerService'> = {
  source: 'SourceService',
  processor: 'ProcessorService',
  consumer: 'ConsumerService',
};
const TYPE: Record<Role, number> = { source: ComponentType.SOURCE, processor: ComponentType.PROCESSOR, consumer: ComponentType.CONSUMER };

export const DEFAULT_MAX_MESSAGE_BYTES = 50 * 1024 * 1024;

/** A data-plane call in progress, so stop() can let it finish or end it. */
export interface ActiveCall {
  /** The handler currently running for one event, if any. */
  busy: Promise<void> | null;
  finished: boolean;
  /** Ends the call from our side (idempotent). */
  finish(): void;
  /** Resolves when the handler has returned. */
  done: Promise<void>;
  close(): void;
}

export class ComponentRuntime {
  readonly cfg: SdkConfig;
  readonly log: Logger = createLogger();
  readonly metrics = new ComponentMetrics();
  readonly id: string;
  /** Aborted when stop() begins. */
  readonly stopSignal: AbortSignal;
  endpoint = '';
  private healthState: HealthName = 'STARTING';
  private readonly stopController = new AbortController();
  private readonly active = new Set<ActiveCall>();
  private server?: grpc.Server;
  private http?: HealthHttpServer;
  private link?: ControlPlaneLink;
  private stopPromise?: Promise<void>;
  private resolveStopped!: () => void;
  readonly stopped = new Promise<void>((r) => (this.resolveStopped = r));
  registered: Promise<boolean> = Promise.resolve(false);

  constructor(
    readonly role: Role,
    readonly opts: CommonOptions,
    readonly inputEventTypes: string[],
    readonly outputEventTypes: string[],
  ) {
    if (!opts || typeof opts.name !== 'string' || opts.name.trim() === '') throw new Error(`run${role[0].toUpperCase()}${role.slice(1)}: "name" is required`);
    this.cfg = readSdkConfig(opts.name, opts.env ?? process.env);
    this.id = this.cfg.componentId;
    this.stopSignal = this.stopController.signal;
  }

  get stopping(): boolean {
    return this.stopController.signal.aborted;
  }

  health(): HealthName {
    return this.healthState;
  }

  setHealth(status: HealthName): void {
    if (!(status in HealthStatus)) throw new Error(`setHealth: unknown status "${status}" (use ${Object.keys(HealthStatus).join(', ')})`);
    if (this.stopping && status !== 'STOPPING') return;
    if (status !== this.healthState) this.log.info(`health ${this.healthState} → ${status}`);
    this.healthState = status;
  }

  healthCode(): number {
    return HealthStatus[this.healthState];
  }

  componentInfo(): RegisterRequestWire['component'] {
    const key = this.role;
    const o = this.opts;
    const metadata: Record<string, string> = {
      ...(o.metadata ?? {}),
      FLOWCTL_COMPONENT_ID: this.id,
      [`${key}_id`]: this.id,
      [`${key}_name`]: o.name,
      [`${key}_version`]: o.version ?? '',
      [`${key}_description`]: o.description ?? '',
      endpoint: this.endpoint,
      pid: String(process.pid),
      sdk: 'flowctl-ts',
    };
    if (this.http) metadata.health_port = String(this.http.port);
    if (this.cfg.instance) metadata.FLOWCTL_INSTANCE = this.cfg.instance;
    const partitionKey = this.opts.partitionKey ?? this.cfg.partitionKey;
    if (partitionKey) metadata.FLOWCTL_PARTITION_KEY = partitionKey;
    return {
      id: this.id,
      name: o.name,
      description: o.description ?? '',
      version: o.version ?? '',
      type: TYPE[this.role],
      input_event_types: [...this.inputEventTypes],
      output_event_types: [...this.outputEventTypes],
      endpoint: this.endpoint,
      metadata,
    };
  }

  /** Registers an in-progress call; `finish` ends it from our side. */
  track(finish: () => void): ActiveCall {
    let resolveDone!: () => void;
    const call: ActiveCall = {
      busy: null,
      finished: false,
      finish: () => {
        if (call.finished) return;
        call.finished = true;
        try {
          finish();
        } catch {
          /* the call may already be gone */
        }
      },
      done: new Promise<void>((r) => (resolveDone = r)),
      close: () => {
        this.active.delete(call);
        resolveDone();
      },
    };
    this.active.add(call);
    return call;
  }

  async start(handlers: grpc.UntypedServiceImplementation): Promise<ComponentHandle> {
    for (const w of this.cfg.warnings) this.log.warn(w);
    // Unreadable TLS files are reported before anything listens.
    if (this.cfg.enabled) controlPlaneCredentials(this.cfg.tls);
    const max = this.opts.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;

    if (this.cfg.healthPort !== undefined) {
      const http = new HealthHttpServer({ health: () => this.healthState, startedAt: this.metrics.startedAt, metrics: () => this.metrics.snapshot() });
      try {
        await http.listen(this.cfg.healthPort, this.cfg.healthHost);
        this.http = http;
      } catch (err) {
        this.log.warn(`health server could not listen on ${this.cfg.healthHost} port ${this.cfg.healthPort}: ${(err as Error).message}; continuing without it`);
      }
    }

    // No channelz: it stamps a Date on every message sent and received, and nothing here reads it.
    const server = new grpc.Server({ 'grpc.max_receive_message_length': max, 'grpc.max_send_message_length': max, 'grpc.enable_channelz': 0 });
    const serviceName = SERVICE[this.role];
    server.addService(protos().v1[serviceName].service, handlers);
    const { host, port } = this.cfg.listen;
    const bindHost = host.includes(':') ? `[${host}]` : host;
    const dataPlane = dataPlaneServerCredentials(this.cfg.tls);
    const actualPort = await new Promise<number>((resolve, reject) =>
      server.bindAsync(`${bindHost}:${port}`, dataPlane.credentials, (err, p) =>
        err ? reject(new Error(`${this.id}: cannot listen on ${bindHost}:${port}: ${err.message}`)) : resolve(p),
      ),
    ).catch(async (err) => {
      await this.http?.close();
      throw err;
    });
    this.server = server;
    // In a cluster the hub dials this replica from another container: FLOWCTL_ADVERTISE_HOST names the
    // address it is reached at; without it the hub uses the address our registration came from.
    this.endpoint = this.cfg.advertiseHost ? joinHostPort(this.cfg.advertiseHost, actualPort) : advertisedEndpoint(host, actualPort);
    // Before "serving" is announced: whoever stops the component as soon as it says so (a test, a script)
    // gets a graceful stop, not the default SIGTERM action (its reader may run before this process goes on).
    if (this.opts.handleSignals !== false) installSignalHandlers(this);
    this.log.info(`${this.id}: serving flowctl.v1.${serviceName} on ${this.endpoint}${dataPlane.mutualTls ? ' (mutual TLS)' : ''}`);
    if (this.http) this.log.info(`${this.id}: health endpoints on http://${advertisedEndpoint(this.cfg.healthHost, this.http.port)}/health`);
    this.setHealth('HEALTHY');

    if (this.cfg.enabled) {
      const link = new ControlPlaneLink({
        endpoint: this.cfg.endpoint,
        heartbeatMs: this.cfg.heartbeatMs,
        request: () => ({ component: this.componentInfo(), component_id: this.id }),
        status: () => this.healthCode(),
        metrics: () => this.metrics.toHeartbeat(),
        log: this.log,
        tls: this.cfg.tls,
      });
      this.link = link;
      this.registered = link.register().then((ok) => {
        if (ok) link.startHeartbeats();
        return ok;
      });
    } else {
      this.log.info(`ENABLE_FLOWCTL is not "true": standalone mode, not registering with a control plane`);
    }
    return this.handle();
  }

  handle(): ComponentHandle {
    const rt = this;
    return {
      id: rt.id,
      get endpoint() {
        return rt.endpoint;
      },
      get healthPort() {
        return rt.http?.port;
      },
      metrics: rt.metrics,
      get registered() {
        return rt.registered;
      },
      serviceId: () => rt.link?.serviceId,
      health: () => rt.health(),
      setHealth: (s) => rt.setHealth(s),
      stop: () => rt.stop(),
      stopped: rt.stopped,
    };
  }

  stop(): Promise<void> {
    this.stopPromise ??= this.doStop().finally(() => this.resolveStopped());
    return this.stopPromise;
  }

  private async doStop(): Promise<void> {
    this.setHealth('STOPPING');
    this.log.info(`${this.id}: stopping (finishing ${this.active.size} open stream(s))`);
    this.stopController.abort();
    const grace = this.opts.stopGraceMs ?? 5_000;
    if (this.active.size > 0) {
      await Promise.race([Promise.all([...this.active].map((c) => c.done)), delay(grace)]);
    }
    for (const call of [...this.active]) {
      await call.busy?.catch(() => undefined);
      call.finish();
    }
    if (this.active.size > 0) await Promise.race([Promise.all([...this.active].map((c) => c.done)), delay(1_000)]);
    if (this.link) {
      this.link.stopHeartbeats();
      await this.link.unregister();
      this.link.close();
    }
    const server = this.server;
    if (server) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, 2_000);
        server.tryShutdown(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    await this.http?.close();
    this.log.info(`${this.id}: stopped (processed ${this.metrics.processed}, errors ${this.metrics.errors})`);
  }
}

export function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

const runtimes = new Set<ComponentRuntime>();
let signalsInstalled = false;

function installSignalHandlers(rt: ComponentRuntime): void {
  runtimes.add(rt);
  if (signalsInstalled) return;
  signalsInstalled = true;
  let received = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    received++;
    if (received > 1) {
      process.stderr.write(`received ${sig} again: exiting now\n`);
      process.exit(1);
    }
    process.stdout.write(`received ${sig}: shutting down\n`);
    void Promise.allSettled([...runtimes].map((r) => r.stop())).then(() => process.exit(0));
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}
