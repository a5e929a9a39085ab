// The control plane's gRPC server: one grpc-js server on one port serving
//   - flowctl.v1.ControlPlaneService (v1Service.ts),
//   - the legacy flowctl.ControlPlane (legacyService.ts),
//   - grpc.health.v1.Health ('' and both service names SERVING; NOT_SERVING while stopping),
//   - server reflection, so `grpcurl -plaintext host:port list` works,
//   - with an access policy (embedded runs): flowctl.access.v1.AccessService (accessService.ts),
// all over one Registry. Used by `flowctl run` (embedded), the extension and `flowctl server`.
// Every request is bounded (limits.ts): per-method request sizes, concurrent streams per connection,
// and answers not yet read by their client (connections.ts).
import * as grpc from '@grpc/grpc-js';
import * as path from 'node:path';
import type * as protoLoader from '@grpc/proto-loader';
import { LOADER_OPTIONS, packageDefinition } from '../proto';
import { AccessControl, type AccessPolicy } from './access';
import { ACCESS_SERVICE_NAME, accessHandlers, accessPackageDefinition, accessServiceDefinition } from './accessService';
import { Connections } from './connections';
import { limitRequestSizes } from './grpcUtil';
import type { HandlerContext } from './handlerContext';
import { resolveLimits, type ControlPlaneLimits } from './limits';
import { RegistryGate } from './gate';
import { LazyHealth, LazyReflection } from './lazyServices';
import { COMPONENT_TYPE_NAMES, HEALTH_STATUS_NAMES, RUN_STATUS_NAMES } from './model';
import { Registry, type LogFn, type LogLevel } from './registry';
import type { RunStopper } from './runs';
import { MemoryStorage } from './storage/memory';
import type { Storage } from './storage/types';
import { loadServerCredentials, type TlsFiles, type TransportSecurity } from './tls';
import { LEGACY_SERVICE_NAME, legacyHandlers } from './legacyService';
import { V1_SERVICE_NAME, v1Handlers, v1ServiceDefinition } from './v1Service';

export const HEALTH_SERVICE_NAME = 'grpc.health.v1.Health';
export const DEFAULT_MAX_MESSAGE_BYTES = 4 * 1024 * 1024;

export interface ControlPlaneServerOptions {
  /** Bind address (default 127.0.0.1). */
  address?: string;
  /** Port (default 8080; 0 = a free port, see `.port`). */
  port?: number;
  /** Default: a fresh MemoryStorage. */
  storage?: Storage;
  heartbeatTtlMs?: number;
  janitorIntervalMs?: number;
  tls?: TlsFiles;
  /** Transport limit: largest message accepted at all (default 4 MiB); per-method limits are lower (limits). */
  maxMessageBytes?: number;
  /** Size limits and caps (defaults: DEFAULT_LIMITS in limits.ts). */
  limits?: Partial<ControlPlaneLimits>;
  /** Who may do what (see access.ts). Without it everything is open, as in flowctl (flowctl server). */
  access?: AccessPolicy;
  /** Serve gRPC server reflection (default true). */
  reflection?: boolean;
  log?: LogFn;
  /** Lowest level passed to `log` (default info); debug includes every heartbeat. */
  logLevel?: LogLevel;
  /** Flag named in the "port in use" hint (default --port; the runner passes --control-plane-port). */
  portFlag?: string;
  /** Clock for timestamps (tests). */
  now?: () => number;
  /**
   * Listen first and open the registry (storage) later: when `ready` is first read, or when the first call
   * of a control-plane service arrives; those calls wait until it is open (gate.ts) and health says
   * NOT_SERVING until then. `ready` rejects when it cannot be opened. A run uses it to spawn its components
   * before the database is loaded. Default false: start() resolves once the registry is open and the server listens.
   */
  openRegistryAfterBind?: boolean;
  /** More gRPC services on the same server and port (e.g. the runner's flowctl.runner.v1.RunnerService). */
  services?: Array<{ definition: grpc.ServiceDefinition; implementation: grpc.UntypedServiceImplementation }>;
}

const LEVELS: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

/** host:port with IPv6 literals bracketed. */
import { joinHostPort } from '../hostPort';
export { joinHostPort };

function bind(server: grpc.Server, target: string, credentials: grpc.ServerCredentials): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(target, credentials, (err, port) => (err ? reject(err) : resolve(port)));
  });
}

/** The names gRPC health answers for: the server as a whole ('') and both control-plane services. */
const HEALTH_NAMES = ['', V1_SERVICE_NAME, LEGACY_SERVICE_NAME];

export class ControlPlaneServer {
  readonly registry: Registry;
  readonly address: string;
  readonly port: number;
  /** "host:port" as bound (e.g. 127.0.0.1:41234). */
  readonly endpoint: string;
  readonly security: TransportSecurity;
  readonly storage: Storage;
  private readonly gate?: RegistryGate;

  /**
   * Resolves once the registry is open (at once unless openRegistryAfterBind, where the first `ready` or
   * the first call of a control-plane service opens it); rejects when it could not be opened.
   */
  get ready(): Promise<void> {
    return this.gate ? this.gate.ready : Promise.resolve();
  }
  readonly limits: Readonly<ControlPlaneLimits>;
  readonly connections: Connections;
  /** The access rules (undefined: everything open). allowExternal()/disallowExternal() change them at run time. */
  readonly access: AccessControl | undefined;

  private readonly server: grpc.Server;
  private readonly credentials: grpc.ServerCredentials;
  private readonly health: LazyHealth;
  private readonly log: LogFn;
  private stopping: Promise<void> | undefined;

  private constructor(init: {
    registry: Registry;
    server: grpc.Server;
    credentials: grpc.ServerCredentials;
    health: LazyHealth;
    address: string;
    port: number;
    security: TransportSecurity;
    storage: Storage;
    log: LogFn;
    limits: ControlPlaneLimits;
    connections: Connections;
    access: AccessControl | undefined;
    gate: RegistryGate | undefined;
  }) {
    this.gate = init.gate;
    this.registry = init.registry;
    this.server = init.server;
    this.credentials = init.credentials;
    this.health = init.health;
    this.address = init.address;
    this.port = init.port;
    this.endpoint = joinHostPort(init.address, init.port);
    this.security = init.security;
    this.storage = init.storage;
    this.log = init.log;
    this.limits = init.limits;
    this.connections = init.connections;
    this.access = init.access;
  }

  static async start(opts: ControlPlaneServerOptions = {}): Promise<ControlPlaneServer> {
    const address = opts.address ?? '127.0.0.1';
    const port = opts.port ?? 8080;
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`invalid port ${port}: use 0-65535 (0 = pick a free port)`);
    const minLevel = LEVELS[opts.logLevel ?? 'info'] ?? LEVELS.info;
    const sink = opts.log;
    const log: LogFn = sink ? (level, msg) => LEVELS[level] >= minLevel && sink(level, msg) : () => {};
    const maxMessageBytes = opts.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    const limits = resolveLimits(opts.limits);

    // Credentials first: a bad certificate is reported before anything is opened or bound.
    const { credentials, security } = loadServerCredentials(opts.tls);
    const storage = opts.storage ?? new MemoryStorage();
    let endpoint = joinHostPort(address, port);
    const registry = new Registry({
      storage,
      heartbeatTtlMs: opts.heartbeatTtlMs,
      janitorIntervalMs: opts.janitorIntervalMs,
      endpoint: () => endpoint,
      now: opts.now,
      log,
      limits,
    });
    const deferred = opts.openRegistryAfterBind === true;
    if (!deferred) await registry.open();
    // Deferred: opened by the first `ready` or the first call of a control-plane service, which waits for it.
    let cp: ControlPlaneServer | undefined;
    const gate = deferred
      ? new RegistryGate(async () => {
          await registry.open();
          if (cp?.stopping) return;
          for (const name of HEALTH_NAMES) health.setStatus(name, 'SERVING');
        })
      : undefined;
    const held = (def: grpc.ServiceDefinition, impl: grpc.UntypedServiceImplementation) => (gate ? gate.wrap(def, impl) : impl);

    let boundPort = port;
    const connections = new Connections(limits);
    const access = opts.access ? new AccessControl(opts.access, connections, () => boundPort) : undefined;
    const ctx: HandlerContext = { registry, connections, access, log };
    // Requests are capped per method (well under the transport limit); answers by what clients have not read yet.
    const server = new grpc.Server({
      'grpc.max_receive_message_length': maxMessageBytes,
      'grpc.max_concurrent_streams': limits.maxConcurrentStreams,
      // No channelz (grpc-js's call and socket statistics, on by default): nothing reads it, and its
      // trackers (a Date stamped per message, per-call closures) cost every one of a thousand heartbeats a second.
      'grpc.enable_channelz': 0,
    });
    const runMethods = new Set(['CreatePipelineRun', 'UpdatePipelineRun']);
    const requestLimit = (method: string) =>
      runMethods.has(method)
        ? { bytes: Math.min(limits.maxRunRequestBytes, maxMessageBytes), name: 'maxRunRequestBytes' }
        : { bytes: Math.min(limits.maxRequestBytes, maxMessageBytes), name: 'maxRequestBytes' };
    const def = packageDefinition();
    const v1Def = limitRequestSizes(v1ServiceDefinition(), requestLimit);
    const legacyDef = limitRequestSizes(def[LEGACY_SERVICE_NAME] as grpc.ServiceDefinition, requestLimit);
    server.addService(v1Def, held(v1Def, v1Handlers(ctx)));
    server.addService(legacyDef, held(legacyDef, legacyHandlers(ctx)));
    if (access) {
      const accessDef = limitRequestSizes(accessServiceDefinition(), requestLimit);
      server.addService(accessDef, held(accessDef, accessHandlers(ctx)));
    }
    // Health and reflection are served at once; their libraries load on their first call (lazyServices.ts).
    const serving = deferred ? 'NOT_SERVING' : 'SERVING';
    const health = new LazyHealth(Object.fromEntries(HEALTH_NAMES.map((name) => [name, serving])));
    health.addToServer(server);
    for (const extra of opts.services ?? []) server.addService(extra.definition, extra.implementation);
    if (opts.reflection !== false) {
      const served = [V1_SERVICE_NAME, LEGACY_SERVICE_NAME, HEALTH_SERVICE_NAME, ...(access ? [ACCESS_SERVICE_NAME] : [])];
      new LazyReflection(() => {
        const { ReflectionService } = require('@grpc/reflection') as typeof import('@grpc/reflection');
        const { protoPath: healthProtoPath } = require('grpc-health-check') as typeof import('grpc-health-check');
        const { loadSync } = require('@grpc/proto-loader') as typeof protoLoader;
        const withHealth = { ...def, ...loadSync(healthProtoPath, LOADER_OPTIONS), ...(access ? accessPackageDefinition() : {}) };
        return new ReflectionService(withHealth, { services: served });
      }).addToServer(server);
    }

    try {
      boundPort = await bind(server, joinHostPort(address, port), credentials);
    } catch (err) {
      server.forceShutdown();
      await registry.close().catch(() => {});
      throw listenError(address, port, err, opts.portFlag ?? '--port');
    }
    endpoint = joinHostPort(address, boundPort);

    cp = new ControlPlaneServer({ registry, server, credentials, health, address, port: boundPort, security, storage, log, limits, connections, access, gate });
    if (sink) cp.logEvents(minLevel);
    return cp;
  }

  /**
   * Serves the same services on a unix socket too (the runner gives bridge-network containers the control
   * plane this way: a socket file mounted into the container, reachable by nothing else). The caller owns
   * the socket's (private) folder. Same credentials as the TCP listener.
   */
  async listenUnix(socketPath: string): Promise<void> {
    if (this.stopping) throw new Error('the control plane is stopping');
    if (!path.isAbsolute(socketPath)) throw new Error(`unix socket path must be absolute: ${socketPath}`);
    // sun_path holds 108 bytes with its NUL: a longer path would be cut silently by some stacks.
    if (Buffer.byteLength(socketPath) > 107) throw new Error(`unix socket path is too long (${Buffer.byteLength(socketPath)} bytes, at most 107): ${socketPath}`);
    await bind(this.server, `unix://${socketPath}`, this.credentials);
  }

  registerRunStopper(runId: string, fn: RunStopper): void {
    this.registry.registerRunStopper(runId, fn);
  }

  unregisterRunStopper(runId: string): void {
    this.registry.unregisterRunStopper(runId);
  }

  get stopped(): boolean {
    return this.stopping !== undefined;
  }

  /**
   * Health goes NOT_SERVING, in-flight calls get up to graceMs to finish (then the server is forced
   * down), then the registry closes (timers cleared, storage flushed and closed). Idempotent.
   */
  stop(opts: { graceMs?: number } = {}): Promise<void> {
    if (!this.stopping) this.stopping = this.doStop(opts.graceMs ?? 2000);
    return this.stopping;
  }

  private async doStop(graceMs: number): Promise<void> {
    for (const name of HEALTH_NAMES) this.health.setStatus(name, 'NOT_SERVING');
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.log('warn', `control plane: calls still running after ${graceMs}ms, forcing shutdown`);
        this.server.forceShutdown();
        resolve();
      }, graceMs);
      timer.unref();
      this.server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
    await this.registry.close();
  }

  /** Readable log lines for what happens in the registry. */
  private logEvents(minLevel: number): void {
    const log = this.log;
    this.registry.events.on((e) => {
      switch (e.type) {
        case 'registered': {
          const r = e.record;
          const idNote = r.info.id && r.info.id !== r.serviceId ? ` component=${r.info.id}` : '';
          log(
            'info',
            `${e.replaced ? 're-registered' : 'registered'} ${r.serviceId} (${COMPONENT_TYPE_NAMES[r.info.type] ?? r.info.type})${idNote} endpoint=${r.info.endpoint || '-'}${r.legacy ? ' (legacy API)' : ''}`,
          );
          break;
        }
        case 'healthChanged':
          log(
            e.reason === 'stale' ? 'warn' : 'info',
            `${e.record.serviceId} ${HEALTH_STATUS_NAMES[e.previous] ?? e.previous} → ${HEALTH_STATUS_NAMES[e.record.status] ?? e.record.status} (${e.reason})`,
          );
          break;
        case 'unregistered':
          log('info', `unregistered ${e.record.serviceId}`);
          break;
        case 'runChanged':
          log('info', `run ${e.run.runId} (${e.run.pipelineName}) ${e.change}: ${RUN_STATUS_NAMES[e.run.status] ?? e.run.status}`);
          break;
        case 'heartbeat':
          if (minLevel <= LEVELS.debug) log('debug', `heartbeat ${e.record.serviceId} ${HEALTH_STATUS_NAMES[e.record.status] ?? e.record.status}`);
          break;
      }
    });
  }
}

function listenError(address: string, port: number, err: unknown, portFlag: string): Error {
  const message = err instanceof Error ? err.message : String(err);
  const target = joinHostPort(address, port);
  if (/EADDRINUSE|address already in use/i.test(message)) {
    if (port === 0) return new Error(`failed to create listener: address already in use`);
    return new Error(
      `failed to create listener on ${target}: address already in use\ntry a different port with ${portFlag} or use ${portFlag} 0 to auto-select a free port`,
    );
  }
  if (/EADDRNOTAVAIL/i.test(message)) return new Error(`failed to create listener on ${target}: address not available on this machine (${address})`);
  if (/EACCES/i.test(message)) return new Error(`failed to create listener on ${target}: permission denied (ports below 1024 need privileges)`);
  return new Error(`failed to create listener on ${target}: ${message}`);
}
