// What the runner needs from a control plane, whether it embeds one (in-process registry, events
// without polling) or uses one that already runs elsewhere (`--use-external-control-plane`: gRPC
// clients; registrations are seen by watching ListComponents, the only way a remote registry tells).
import * as grpc from '@grpc/grpc-js';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Emitter, type Disposable } from '../typedEmitter';
import type { RegistryEvent } from '../events';
import { HealthStatus, RunStatus, type RunMetrics, type ServiceRecord } from '../controlplane/model';
import type { ControlPlaneServer } from '../controlplane/server';
import { joinHostPort } from '../hostPort';
import { componentInfoFromWire, fromTimestamp } from '../controlplane/convert';
import { protos } from '../proto';
import { fastV1ControlPlaneClient } from '../wire/fastClient';
import type { TlsFiles } from '../runnerTypes';

export interface CreateRunInput {
  runId: string;
  pipelineName: string;
  configYaml: string;
  componentIds: string[];
  /** This run's log folder (kept with the run record; the Runs view opens it). */
  logDir?: string;
}

export interface UpdateRunInput {
  runId: string;
  status?: number;
  metrics?: RunMetrics;
  error?: string;
  /** Components that failed, and why. */
  failures?: Record<string, string>;
}

export interface ControlPlaneLink {
  readonly external: boolean;
  readonly address: string;
  readonly port: number;
  readonly endpoint: string;
  readonly events: Emitter<RegistryEvent>;
  get(serviceId: string): ServiceRecord | undefined;
  list(): ServiceRecord[];
  createRun(input: CreateRunInput): Promise<void>;
  updateRun(input: UpdateRunInput): Promise<void>;
  /** Calls fn when someone asks to stop the run (StopPipelineRun). */
  onStopRequested(runId: string, fn: () => void): Disposable;
  /** The runner saw the component's process end. */
  markExited(serviceId: string): void;
  /**
   * Lets (allowed = true) or stops letting a process outside the run register component `serviceId`;
   * answers the ids allowed now. An external control plane has its own rules: throws there.
   */
  allowExternal(serviceId: string, allowed: boolean): string[];
  /**
   * The control plane on a unix socket in a private folder (made on the first call), for containers on a
   * bridge network: mounted into them, it reaches nothing but this control plane. Only an embedded one has it.
   */
  containerSocket?(): Promise<string>;
  /**
   * Resolves once the control plane can take the run's own calls (createRun…): an embedded one listens
   * before its registry is open and opens it while the components boot. Rejects when it cannot open.
   */
  ready(): Promise<void>;
  close(): Promise<void>;
}

export class EmbeddedLink implements ControlPlaneLink {
  readonly external = false;

  private socket?: Promise<{ dir: string; file: string }>;
  private opened?: Promise<void>;

  /** `whenOpen`: what ready() waits for (the server's registry open, and what the caller does then). */
  constructor(
    private readonly server: ControlPlaneServer,
    private readonly whenOpen: () => Promise<void>,
  ) {}

  ready(): Promise<void> {
    this.opened ??= this.whenOpen();
    return this.opened;
  }

  async containerSocket(): Promise<string> {
    this.socket ??= (async () => {
      // A short private folder: a socket path must fit in 107 bytes; 0700 so only this user reaches it from the host.
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flowctl-cp-'));
      fs.chmodSync(dir, 0o700);
      const file = path.join(dir, 'control.sock');
      try {
        await this.server.listenUnix(file);
        // Whoever the image runs as may connect; on the host the 0700 folder keeps everyone else out.
        fs.chmodSync(file, 0o666);
      } catch (err) {
        fs.rmSync(dir, { recursive: true, force: true });
        throw err;
      }
      return { dir, file };
    })();
    this.socket.catch(() => (this.socket = undefined));
    return (await this.socket).file;
  }

  get address(): string {
    return this.server.address;
  }
  get port(): number {
    return this.server.port;
  }
  get endpoint(): string {
    return this.server.endpoint;
  }
  get events(): Emitter<RegistryEvent> {
    return this.server.registry.events;
  }
  get(serviceId: string): ServiceRecord | undefined {
    return this.server.registry.get(serviceId);
  }
  list(): ServiceRecord[] {
    return this.server.registry.list({ includeUnhealthy: true });
  }
  async createRun(input: CreateRunInput): Promise<void> {
    // Our own run must not fail over the size of its file: a config over the limit is kept as a note.
    await this.server.registry.createRun({ ...input, oversizedConfig: 'withhold' });
  }
  async updateRun(input: UpdateRunInput): Promise<void> {
    await this.server.registry.updateRun(input);
  }
  onStopRequested(runId: string, fn: () => void): Disposable {
    this.server.registry.registerRunStopper(runId, fn);
    return { dispose: () => this.server.registry.unregisterRunStopper(runId) };
  }
  markExited(serviceId: string): void {
    this.server.registry.markExited(serviceId);
  }
  allowExternal(serviceId: string, allowed: boolean): string[] {
    const access = this.server.access;
    if (!access) return []; // no rules: everyone may register already
    if (allowed) access.allowExternal(serviceId);
    else access.disallowExternal(serviceId);
    return access.externalIds();
  }
  /**
   * Runs still STARTING/RUNNING in a registry we just opened were left by a runner that died (the database
   * lock means nobody else is using it): mark them FAILED instead of leaving them "running" forever.
   */
  async reconcileInterruptedRuns(): Promise<string[]> {
    const stale = this.server.registry
      .listRuns({ limit: -1 })
      .filter((r) => r.status === RunStatus.STARTING || r.status === RunStatus.RUNNING);
    for (const run of stale) {
      await this.server.registry.updateRun({
        runId: run.runId,
        status: RunStatus.FAILED,
        error: 'interrupted: the flowctl process running it stopped without ending it (killed or crashed)',
      });
    }
    return stale.map((r) => r.runId);
  }
  async close(): Promise<void> {
    try {
      await this.server.stop();
    } finally {
      const socket = await this.socket?.catch(() => undefined);
      if (socket) fs.rmSync(socket.dir, { recursive: true, force: true });
    }
  }
}

const WATCH_INTERVAL_MS = 250;

/** A control plane running elsewhere (flowctl server, another flowctl run, the extension). */
export class ExternalLink implements ControlPlaneLink {
  readonly external = true;
  readonly events = new Emitter<RegistryEvent>();
  private readonly records = new Map<string, ServiceRecord>();
  private readonly v1: any;
  private readonly legacy: any;
  private timer?: NodeJS.Timeout;
  private readonly stopWatches = new Map<string, () => void>();
  private polling = false;

  /** Connected means ready: its registry is that control plane's business. */
  ready(): Promise<void> {
    return Promise.resolve();
  }

  private constructor(
    readonly address: string,
    readonly port: number,
    creds: grpc.ChannelCredentials,
  ) {
    const p = protos();
    this.v1 = fastV1ControlPlaneClient(this.endpoint, creds, { 'grpc.max_receive_message_length': 256 * 1024 * 1024 }); // ListComponents decoded by src/core/wire
    this.legacy = new p.legacy.ControlPlane(this.endpoint, creds);
  }

  get endpoint(): string {
    return joinHostPort(this.address, this.port);
  }

  /** Connects (waits up to timeoutMs for the control plane) and starts watching its registry. */
  static async connect(address: string, port: number, opts: { tls?: TlsFiles; timeoutMs?: number } = {}): Promise<ExternalLink> {
    const creds = opts.tls
      ? grpc.credentials.createSsl(
          opts.tls.caFile ? fs.readFileSync(opts.tls.caFile) : null,
          opts.tls.keyFile ? fs.readFileSync(opts.tls.keyFile) : null,
          opts.tls.certFile ? fs.readFileSync(opts.tls.certFile) : null,
        )
      : grpc.credentials.createInsecure();
    const link = new ExternalLink(address === '0.0.0.0' ? '127.0.0.1' : address, port, creds);
    const timeoutMs = opts.timeoutMs ?? 30_000;
    try {
      await new Promise<void>((resolve, reject) =>
        link.v1.waitForReady(Date.now() + timeoutMs, (err?: Error) => (err ? reject(err) : resolve())),
      );
    } catch {
      link.v1.close();
      link.legacy.close();
      throw new Error(
        `no control plane is reachable at ${link.endpoint} (waited ${Math.round(timeoutMs / 1000)}s)\n` +
          `start one with: flowctl server --port ${port}, or run without --use-external-control-plane`,
      );
    }
    await link.poll();
    link.timer = setInterval(() => void link.poll(), WATCH_INTERVAL_MS);
    link.timer.unref();
    return link;
  }

  private call<T>(client: any, method: string, request: unknown): Promise<T> {
    return new Promise((resolve, reject) =>
      client[method](request, { deadline: Date.now() + 5000 }, (err: Error | null, res: T) => (err ? reject(err) : resolve(res))),
    );
  }

  /** One look at the remote registry: differences become the same events an embedded registry emits. */
  private async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      const res = await this.call<{ components: any[] }>(this.v1, 'ListComponents', { include_unhealthy: true });
      const seen = new Set<string>();
      for (const wire of res.components) {
        const info = componentInfoFromWire(wire.component);
        // The v1 API does not return the service id: flowctl keys services by component_id, else component.id.
        const serviceId = info.id;
        if (!serviceId) continue;
        seen.add(serviceId);
        const record: ServiceRecord = {
          serviceId,
          info,
          status: wire.status,
          metrics: { ...(wire.metrics ?? {}) },
          registeredAt: fromTimestamp(wire.registered_at) ?? 0,
          lastHeartbeat: fromTimestamp(wire.last_heartbeat) ?? 0,
          stale: false,
        };
        const before = this.records.get(serviceId);
        this.records.set(serviceId, record);
        if (!before || before.registeredAt !== record.registeredAt) {
          this.events.emit({ type: 'registered', record, replaced: !!before });
          continue;
        }
        if (before.status !== record.status) {
          this.events.emit({ type: 'healthChanged', record, previous: before.status, reason: 'reported' });
        }
        if (before.lastHeartbeat !== record.lastHeartbeat) this.events.emit({ type: 'heartbeat', record });
      }
      for (const [id, record] of this.records) {
        if (!seen.has(id)) {
          this.records.delete(id);
          this.events.emit({ type: 'unregistered', record });
        }
      }
      for (const [runId, fn] of this.stopWatches) {
        const run = await this.call<{ status: number }>(this.legacy, 'GetPipelineRun', { run_id: runId }).catch(() => undefined);
        if (run?.status === RunStatus.STOPPED) {
          this.stopWatches.delete(runId);
          fn();
        }
      }
    } catch {
      // the control plane went away for a moment; the next look will tell
    } finally {
      this.polling = false;
    }
  }

  get(serviceId: string): ServiceRecord | undefined {
    return this.records.get(serviceId);
  }
  list(): ServiceRecord[] {
    return [...this.records.values()];
  }
  async createRun(input: CreateRunInput): Promise<void> {
    await this.call(this.legacy, 'CreatePipelineRun', {
      run_id: input.runId,
      pipeline_name: input.pipelineName,
      config_yaml: input.configYaml,
      component_ids: input.componentIds,
    });
  }
  async updateRun(input: UpdateRunInput): Promise<void> {
    await this.call(this.legacy, 'UpdatePipelineRun', {
      run_id: input.runId,
      status: input.status ?? RunStatus.UNKNOWN,
      metrics: input.metrics ?? null,
      error: input.error ?? '',
    });
  }
  /** flowctl cannot stop an external-mode run (no stopper crosses processes); we watch the run's status. */
  onStopRequested(runId: string, fn: () => void): Disposable {
    this.stopWatches.set(runId, fn);
    return { dispose: () => void this.stopWatches.delete(runId) };
  }
  allowExternal(): string[] {
    throw new Error(
      `this run uses the control plane at ${this.endpoint} (--use-external-control-plane): its own rules decide who may register, not this run`,
    );
  }
  markExited(serviceId: string): void {
    const record = this.records.get(serviceId);
    if (record && record.status !== HealthStatus.UNHEALTHY) {
      const previous = record.status;
      record.status = HealthStatus.UNHEALTHY;
      this.events.emit({ type: 'healthChanged', record, previous, reason: 'exited' });
    }
  }
  async close(): Promise<void> {
    clearInterval(this.timer);
    this.v1.close();
    this.legacy.close();
  }
}
