// The control plane's registry: who is registered, their health, their metrics, and the pipeline
// runs. No gRPC in here: the v1 and legacy services (and in-process callers such as the runner)
// all drive this one object, and it reports every change as a typed event.
//
// Semantics follow flowctl (reference §1.3-§1.6) with these deliberate changes:
// - storage is keyed by serviceId (flowctl keyed it by component.id and lost records);
// - registrations and run changes are durable when acknowledged; heartbeats are coalesced by storage;
// - stale detection fires at the TTL after the last heartbeat (one unref'd timer per record,
//   refreshed on each heartbeat), the janitor interval is only a safety-net sweep;
// - a record that went UNHEALTHY only because it went stale recovers on any heartbeat, including
//   the UNKNOWN-status ones flowctl-sdk sends (flowctl kept those UNHEALTHY for good);
// - errors carry codes (NOT_FOUND, INVALID_ARGUMENT, INTERNAL) that the gRPC layer maps to statuses.
import { Emitter } from '../typedEmitter';
import type { RegistryEvent } from '../events';
import {
  MAX_ID_LENGTH,
  componentInfoFromWire,
  componentTypeToServiceType,
  isKnownComponentType,
  isKnownHealthStatus,
} from './convert';
import { internalError, invalidArgument, messageOf, notFound } from './errors';
import {
  COMPONENT_TYPE_NAMES,
  ComponentType,
  HEALTH_STATUS_NAMES,
  HealthStatus,
  type ComponentInfo,
  type LegacyExtras,
  type PipelineRun,
  type ServiceRecord,
} from './model';
import { PipelineRuns, type RunStopper } from './runs';
import type { Storage } from './storage/types';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFn = (level: LogLevel, msg: string) => void;

export const DEFAULT_HEARTBEAT_TTL_MS = 30_000;
export const DEFAULT_JANITOR_INTERVAL_MS = 10_000;

export interface RegistryOptions {
  /** Where records and runs are kept across restarts; none = memory only. */
  storage?: Storage;
  heartbeatTtlMs?: number;
  /** Safety-net sweep interval (stale detection itself is timer-driven). */
  janitorIntervalMs?: number;
  /** The control plane's endpoint ("host:port") as handed to components in connection_info. */
  endpoint: () => string;
  /** Clock (ms since the epoch) for timestamps; timers always use real time. */
  now?: () => number;
  log?: LogFn;
}

export interface RegisterInput {
  component?: Partial<ComponentInfo> | null;
  /** v1 RegisterRequest.component_id (FLOWCTL_COMPONENT_ID); wins over component.id. */
  componentId?: string;
}

export interface RegisterOptions {
  /** gRPC peer of the registering call. */
  peer?: string;
  /** What a legacy registration carried that v1 has no field for. */
  legacy?: Omit<LegacyExtras, 'metrics'> & { metrics?: Record<string, number> };
}

export interface RegisterResult {
  serviceId: string;
  record: ServiceRecord;
  assignedTopics: string[];
  connectionInfo: Record<string, string>;
}

export interface ListInput {
  /** COMPONENT_TYPE_UNSPECIFIED (0) = all types. */
  typeFilter?: number;
  /** false (default): only records whose status is exactly HEALTHY, like flowctl. */
  includeUnhealthy?: boolean;
}

export interface DiscoverInput {
  type?: number;
  /** Keep a component if any of these equals any of its input or output event types. */
  event_types?: string[];
  /** Every key must be present with exactly this value. */
  metadata_filters?: Record<string, string>;
}

interface Entry {
  record: ServiceRecord;
  timer: NodeJS.Timeout | undefined;
  /** Delay the timer was created with (refresh() reuses it). */
  armedDelay: number;
  onTimer: () => void;
  /** The record's encoded wire form (listEncoded), dropped whenever the record changes. */
  encoded: Uint8Array | undefined;
}

function checkId(what: string, id: string, required: boolean): void {
  if (typeof id !== 'string') throw invalidArgument(`${what} must be a string`);
  if (required && id === '') throw invalidArgument(`${what} is required`);
  if (id.length > MAX_ID_LENGTH) throw invalidArgument(`${what} is too long (${id.length} characters, at most ${MAX_ID_LENGTH})`);
}

function listTypeFilter(input: ListInput): number {
  const typeFilter = input.typeFilter ?? ComponentType.UNSPECIFIED;
  if (!isKnownComponentType(typeFilter)) throw invalidArgument(`unknown component type ${typeFilter}`);
  return typeFilter;
}

export class Registry {
  readonly events = new Emitter<RegistryEvent>();
  readonly runs: PipelineRuns;

  private readonly services = new Map<string, Entry>();
  private readonly storage: Storage | undefined;
  private readonly endpoint: () => string;
  private readonly now: () => number;
  private readonly log: LogFn;
  private ttl: number;
  private janitorMs: number;
  private janitor: NodeJS.Timeout | undefined;
  private lastNanos = 0n;
  private encoder: ((record: ServiceRecord) => Uint8Array) | undefined;
  private opened = false;
  private closed = false;

  /**
   * Decides the service id of a registration when set (a hub: every replica of one component gets an
   * instance id of its own instead of overwriting the others' records). Returns undefined to keep the
   * default (component_id, else component.id).
   */
  placement?: (registration: { serviceId: string; info: ComponentInfo; peer?: string }) => { serviceId: string; info: ComponentInfo } | undefined;

  constructor(opts: RegistryOptions) {
    this.storage = opts.storage;
    this.endpoint = opts.endpoint;
    this.now = opts.now ?? Date.now;
    this.log = opts.log ?? (() => {});
    this.ttl = opts.heartbeatTtlMs && opts.heartbeatTtlMs > 0 ? opts.heartbeatTtlMs : DEFAULT_HEARTBEAT_TTL_MS;
    this.janitorMs = opts.janitorIntervalMs && opts.janitorIntervalMs > 0 ? opts.janitorIntervalMs : DEFAULT_JANITOR_INTERVAL_MS;
    this.runs = new PipelineRuns({ storage: () => this.storage, now: this.now, events: this.events, log: this.log });
  }

  get heartbeatTtlMs(): number {
    return this.ttl;
  }

  get janitorIntervalMs(): number {
    return this.janitorMs;
  }

  get size(): number {
    return this.services.size;
  }

  // ---- lifecycle ------------------------------------------------------------------------------

  /** Opens storage and loads records and runs; records silent for longer than the TTL come back UNHEALTHY (stale). */
  async open(): Promise<void> {
    if (this.opened) return;
    if (this.storage) {
      await this.storage.open();
      const records = await this.storage.loadServices();
      const runs = await this.storage.loadRuns();
      this.loadRecords(records);
      this.runs.load(runs);
    }
    this.opened = true;
    this.startJanitor();
  }

  /** Clears timers, flushes and closes storage. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.janitor) clearInterval(this.janitor);
    this.janitor = undefined;
    for (const entry of this.services.values()) this.disarm(entry);
    if (this.storage) await this.storage.close();
  }

  private loadRecords(records: ServiceRecord[]): void {
    const now = this.now();
    const sorted = [...records].sort((a, b) => a.registeredAt - b.registeredAt || (a.serviceId < b.serviceId ? -1 : a.serviceId > b.serviceId ? 1 : 0));
    for (const stored of sorted) {
      if (!stored || typeof stored.serviceId !== 'string') continue;
      const record: ServiceRecord = {
        ...stored,
        info: componentInfoFromWire(stored.info),
        metrics: { ...(stored.metrics ?? {}) },
        stale: !!stored.stale,
      };
      const entry = this.newEntry(record);
      this.services.set(record.serviceId, entry);
      const remaining = record.lastHeartbeat + this.ttl - now;
      if (remaining <= 0) {
        if (record.status !== HealthStatus.UNHEALTHY || !record.stale) {
          record.status = HealthStatus.UNHEALTHY;
          record.stale = true;
          this.storage?.touchService(record);
        }
      } else {
        this.arm(entry, remaining);
      }
    }
  }

  // ---- services -------------------------------------------------------------------------------

  /** Registers (or re-registers, overwriting) a component. Resolves once the record is stored. */
  async register(input: RegisterInput, opts: RegisterOptions = {}): Promise<RegisterResult> {
    if (!input || !input.component || typeof input.component !== 'object') throw invalidArgument('component is required');
    let info = componentInfoFromWire(input.component);
    if (!isKnownComponentType(info.type)) throw invalidArgument(`unknown component type ${info.type}`);
    const componentId = input.componentId ?? '';
    checkId('component_id', componentId, false);
    checkId('component.id', info.id, false);
    let serviceId = componentId || info.id || `${COMPONENT_TYPE_NAMES[info.type]}-${this.uniqueNanos()}`;
    if (this.placement) {
      const placed = this.placement({ serviceId, info, peer: opts.peer });
      if (placed) ({ serviceId, info } = placed);
    }

    const now = this.now();
    const record: ServiceRecord = {
      serviceId,
      info,
      status: HealthStatus.HEALTHY,
      metrics: {},
      registeredAt: now,
      lastHeartbeat: now,
      stale: false,
    };
    if (opts.peer) record.peer = opts.peer;
    if (opts.legacy) record.legacy = { ...opts.legacy, metrics: { ...(opts.legacy.metrics ?? {}) } };

    const previous = this.services.get(serviceId);
    if (previous) {
      this.disarm(previous);
      this.services.delete(serviceId); // re-insert at the end: listing is by registration time
    }
    const entry = this.newEntry(record);
    this.services.set(serviceId, entry);
    this.arm(entry);

    if (this.storage) {
      try {
        await this.storage.putService(record);
      } catch (err) {
        if (this.services.get(serviceId) === entry) {
          this.disarm(entry);
          this.services.delete(serviceId);
          if (previous) {
            this.services.set(serviceId, previous);
            this.arm(previous, Math.max(1, previous.record.lastHeartbeat + this.ttl - this.now()));
          }
        }
        throw internalError(`failed to store registration of ${serviceId}: ${messageOf(err)}`, err);
      }
    }

    this.events.emit({ type: 'registered', record, replaced: !!previous });
    const assignedTopics =
      info.type === ComponentType.SOURCE || info.type === ComponentType.PROCESSOR ? info.output_event_types.map((t) => `${t}.v1`) : [];
    return { serviceId, record, assignedTopics, connectionInfo: { control_plane_endpoint: this.endpoint() } };
  }

  /**
   * v1 heartbeat. Refreshes liveness; an explicit status (≠ UNKNOWN) wins, UNKNOWN keeps the current
   * status except that a stale record and an UNKNOWN one become HEALTHY. Metrics merge (request wins).
   * Synchronous: storage is only marked (coalesced write), nothing is awaited.
   */
  heartbeat(serviceId: string, status: number = HealthStatus.UNKNOWN, metrics?: Record<string, string> | null): ServiceRecord {
    if (status !== HealthStatus.UNKNOWN && !isKnownHealthStatus(status)) throw invalidArgument(`unknown health status ${status}`);
    const entry = this.lookup(serviceId);
    const record = entry.record;
    if (metrics) {
      const target = record.metrics;
      for (const key in metrics) target[key] = metrics[key];
    }
    this.beat(entry, status);
    return record;
  }

  /** Legacy heartbeat: keeps the doubles (and the component's timestamp) and merges them as strings into the v1 metrics. */
  heartbeatLegacy(serviceId: string, metrics?: Record<string, number> | null, timestampMs?: number): ServiceRecord {
    const entry = this.lookup(serviceId);
    const record = entry.record;
    let legacy = record.legacy;
    if (!legacy) {
      legacy = record.legacy = { serviceType: componentTypeToServiceType(record.info.type), healthEndpoint: '', maxInflight: 0, metrics: {} };
    }
    if (metrics) {
      const doubles = legacy.metrics;
      const strings = record.metrics;
      for (const key in metrics) {
        const v = metrics[key];
        doubles[key] = v;
        strings[key] = String(v);
      }
    }
    if (timestampMs !== undefined) legacy.reportedAt = timestampMs;
    this.beat(entry, HealthStatus.UNKNOWN);
    return record;
  }

  private beat(entry: Entry, status: number): void {
    const record = entry.record;
    entry.encoded = undefined;
    record.lastHeartbeat = this.now();
    const previous = record.status;
    let next = previous;
    if (status !== HealthStatus.UNKNOWN) next = status;
    else if (record.stale || previous === HealthStatus.UNKNOWN) next = HealthStatus.HEALTHY;
    let reason: 'reported' | 'recovered' = 'reported';
    if (record.stale) {
      record.stale = false;
      if (next === HealthStatus.HEALTHY) reason = 'recovered';
    }
    this.arm(entry);
    this.storage?.touchService(record);
    if (next !== previous) {
      record.status = next;
      this.events.emit({ type: 'healthChanged', record, previous, reason });
    }
    if (this.events.size !== 0) this.events.emit({ type: 'heartbeat', record });
  }

  /** The live record (do not mutate it), or undefined. */
  get(serviceId: string): ServiceRecord | undefined {
    return this.services.get(serviceId)?.record;
  }

  /** The live record; NOT_FOUND (`service <id> not found`) if unknown. */
  mustGet(serviceId: string): ServiceRecord {
    return this.lookup(serviceId).record;
  }

  private lookup(serviceId: string): Entry {
    const entry = this.services.get(serviceId);
    if (entry !== undefined) return entry;
    checkId('service_id', serviceId, true);
    throw notFound(`service ${serviceId} not found`);
  }

  /** Records in registration order; without includeUnhealthy only exactly-HEALTHY ones (like flowctl). */
  list(input: ListInput = {}): ServiceRecord[] {
    const typeFilter = listTypeFilter(input);
    const out: ServiceRecord[] = [];
    for (const { record } of this.services.values()) {
      if (typeFilter !== ComponentType.UNSPECIFIED && record.info.type !== typeFilter) continue;
      if (!input.includeUnhealthy && record.status !== HealthStatus.HEALTHY) continue;
      out.push(record);
    }
    return out;
  }

  /**
   * list(), as each record's encoded form. Encodings are kept per record and reused until the record
   * changes (heartbeat, health change, re-registration), so listing unchanged records encodes nothing.
   * `encode` must be a pure function of the record, the same one on every call (a different function
   * drops every kept encoding).
   */
  listEncoded(input: ListInput, encode: (record: ServiceRecord) => Uint8Array): Uint8Array[] {
    const typeFilter = listTypeFilter(input);
    if (encode !== this.encoder) {
      this.encoder = encode;
      for (const entry of this.services.values()) entry.encoded = undefined;
    }
    const out: Uint8Array[] = [];
    for (const entry of this.services.values()) {
      const record = entry.record;
      if (typeFilter !== ComponentType.UNSPECIFIED && record.info.type !== typeFilter) continue;
      if (!input.includeUnhealthy && record.status !== HealthStatus.HEALTHY) continue;
      out.push((entry.encoded ??= encode(record)));
    }
    return out;
  }

  /** flowctl DiscoverComponents: type AND (any event type matches an input or output) AND (all metadata filters). No health filter. */
  discover(input: DiscoverInput = {}): ComponentInfo[] {
    const type = input.type ?? ComponentType.UNSPECIFIED;
    if (!isKnownComponentType(type)) throw invalidArgument(`unknown component type ${type}`);
    const eventTypes = input.event_types ?? [];
    const filters = input.metadata_filters ? Object.entries(input.metadata_filters) : [];
    const out: ComponentInfo[] = [];
    for (const { record } of this.services.values()) {
      const info = record.info;
      if (type !== ComponentType.UNSPECIFIED && info.type !== type) continue;
      if (eventTypes.length > 0 && !eventTypes.some((t) => info.input_event_types.includes(t) || info.output_event_types.includes(t))) continue;
      if (filters.length > 0 && !filters.every(([k, v]) => Object.prototype.hasOwnProperty.call(info.metadata, k) && info.metadata[k] === v)) continue;
      out.push(info);
    }
    return out;
  }

  /** Removes a record (memory and storage). Unknown ids are fine; resolves true if something was removed. */
  async unregister(serviceId: string): Promise<boolean> {
    checkId('service_id', serviceId, true);
    const entry = this.services.get(serviceId);
    if (entry) {
      this.disarm(entry);
      this.services.delete(serviceId);
    }
    if (this.storage) {
      try {
        await this.storage.deleteService(serviceId);
      } catch (err) {
        throw internalError(`failed to delete service ${serviceId} from storage: ${messageOf(err)}`, err);
      }
    }
    if (entry) this.events.emit({ type: 'unregistered', record: entry.record });
    return !!entry;
  }

  // ---- health ---------------------------------------------------------------------------------

  /** Changes the TTL; every live timer is re-armed for its remaining time under the new TTL. */
  setHeartbeatTtl(ms: number): void {
    if (!(ms > 0)) return;
    this.ttl = ms;
    if (this.closed) return;
    const now = this.now();
    for (const entry of this.services.values()) {
      if (entry.record.stale) continue;
      const remaining = entry.record.lastHeartbeat + ms - now;
      if (remaining <= 0) {
        this.disarm(entry);
        this.markStale(entry);
      } else {
        this.arm(entry, remaining);
      }
    }
  }

  /** Changes the safety-net sweep interval (restarts the sweep if running). */
  setJanitorInterval(ms: number): void {
    if (!(ms > 0)) return;
    this.janitorMs = ms;
    if (this.janitor) this.startJanitor();
  }

  /** One safety-net pass: HEALTHY records whose last heartbeat is older than the TTL go UNHEALTHY. */
  sweep(): void {
    const now = this.now();
    for (const entry of this.services.values()) {
      if (entry.record.status === HealthStatus.HEALTHY && now - entry.record.lastHeartbeat >= this.ttl) this.markStale(entry);
    }
  }

  private startJanitor(): void {
    if (this.closed) return;
    if (this.janitor) clearInterval(this.janitor);
    this.janitor = setInterval(() => this.sweep(), this.janitorMs);
    this.janitor.unref();
  }

  private newEntry(record: ServiceRecord): Entry {
    const entry: Entry = { record, timer: undefined, armedDelay: 0, onTimer: () => {}, encoded: undefined };
    entry.onTimer = () => {
      if (this.services.get(record.serviceId) === entry) this.markStale(entry);
    };
    return entry;
  }

  /** (Re)starts the stale timer: refresh() when the delay is unchanged (the common, allocation-free case). */
  private arm(entry: Entry, delay = this.ttl): void {
    if (this.closed) return;
    if (entry.timer !== undefined && entry.armedDelay === delay) {
      entry.timer.refresh();
      return;
    }
    if (entry.timer !== undefined) clearTimeout(entry.timer);
    entry.timer = setTimeout(entry.onTimer, delay);
    entry.timer.unref();
    entry.armedDelay = delay;
  }

  private disarm(entry: Entry): void {
    if (entry.timer !== undefined) clearTimeout(entry.timer);
    entry.timer = undefined;
  }

  /**
   * The runner saw the component's process end: report it UNHEALTHY now instead of waiting for the
   * heartbeat TTL. Marked like a stale record, so a heartbeat from a new process revives it.
   */
  markExited(serviceId: string): void {
    const entry = this.services.get(serviceId);
    if (!entry) return;
    const record = entry.record;
    const previous = record.status;
    this.disarm(entry);
    record.stale = true;
    if (previous === HealthStatus.UNHEALTHY) return;
    entry.encoded = undefined;
    record.status = HealthStatus.UNHEALTHY;
    this.storage?.touchService(record);
    this.events.emit({ type: 'healthChanged', record, previous, reason: 'exited' });
  }

  private markStale(entry: Entry): void {
    const record = entry.record;
    if (record.status !== HealthStatus.HEALTHY) return;
    entry.encoded = undefined;
    record.status = HealthStatus.UNHEALTHY;
    record.stale = true;
    this.storage?.touchService(record);
    this.log(
      'warn',
      `service ${record.serviceId} missed heartbeats for ${this.ttl}ms: ${HEALTH_STATUS_NAMES[HealthStatus.HEALTHY]} → ${HEALTH_STATUS_NAMES[HealthStatus.UNHEALTHY]}`,
    );
    this.events.emit({ type: 'healthChanged', record, previous: HealthStatus.HEALTHY, reason: 'stale' });
  }

  // ---- runs (delegates; see runs.ts) ------------------------------------------------------------

  registerRunStopper(runId: string, fn: RunStopper): void {
    this.runs.registerStopper(runId, fn);
  }

  unregisterRunStopper(runId: string): void {
    this.runs.unregisterStopper(runId);
  }

  createRun(input: Parameters<PipelineRuns['create']>[0]): Promise<PipelineRun> {
    return this.runs.create(input);
  }

  updateRun(input: Parameters<PipelineRuns['update']>[0]): Promise<PipelineRun> {
    return this.runs.update(input);
  }

  getRun(runId: string): PipelineRun {
    return this.runs.get(runId);
  }

  listRuns(input?: Parameters<PipelineRuns['list']>[0]): PipelineRun[] {
    return this.runs.list(input);
  }

  stopRun(runId: string): Promise<PipelineRun> {
    return this.runs.stop(runId);
  }

  /** Unique "Unix nanoseconds" for generated service ids (COMPONENT_TYPE_SOURCE-1713900000000000000). */
  private uniqueNanos(): string {
    let n = BigInt(Math.floor(this.now())) * 1_000_000n + (process.hrtime.bigint() % 1_000_000n);
    if (n <= this.lastNanos) n = this.lastNanos + 1n;
    this.lastNanos = n;
    return n.toString();
  }
}
