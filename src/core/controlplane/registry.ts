// The control plane's registry: who is registered, their health, their metrics, and the pipeline
// runs. No gRPC in here: the v1 and legacy services (and in-process callers such as the runner)
// all drive this one object, and it reports every change as a typed event.
//
// Semantics follow flowctl (reference §1.3-§1.6) with these deliberate changes:
// - storage is keyed by serviceId (flowctl keyed it by component.id and lost records);
// - registrations and run changes are durable when acknowledged; heartbeats are coalesced by storage;
// - stale detection is timer-driven (one unref'd timer per record, refreshed on each heartbeat) and
//   fires when a component has been silent for its heartbeat window: the TTL (or, when it has been
//   heartbeating less often than that, its observed interval, up to 10 TTLs), plus a grace of one
//   janitor interval but at most one TTL. flowctl's effective window is TTL + up to one 10 s janitor
//   tick, so a Go-SDK component beating every 30 s against a 30 s TTL never flaps; a process exit
//   (markExited) is reported at once. The janitor sweep is only a safety net;
// - a record that went UNHEALTHY only because it went stale recovers on any heartbeat, including
//   the UNKNOWN-status ones flowctl-sdk sends (flowctl kept those UNHEALTHY for good);
// - every input is bounded (limits.ts): field sizes, components, metric names per component, bytes kept;
// - errors carry codes (NOT_FOUND, INVALID_ARGUMENT, RESOURCE_EXHAUSTED, INTERNAL) that the gRPC layer
//   maps to statuses.
import { Emitter } from '../typedEmitter';
import type { RegistryEvent } from '../events';
import {
  componentInfoFromWire,
  componentTypeToServiceType,
  isKnownComponentType,
  isKnownHealthStatus,
} from './convert';
import { internalError, invalidArgument, messageOf, notFound, resourceExhausted } from './errors';
import { DEFAULT_LIMITS, checkComponentInfo, checkStringList, checkStringMap, formatBytes, limitNote, METADATA_LIMITS, type ControlPlaneLimits } from './limits';
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
import { checkMetricSizes, keepLegacyMetrics, mergeMetrics, metricCapError, type ByteBudget } from './registryMetrics';
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
  /** Size limits and caps (default DEFAULT_LIMITS). */
  limits?: ControlPlaneLimits;
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
  /** The process that registered (when known): it "holds" the id while it is a live process of the run. */
  pid?: number;
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
  /** What the registration keeps (counted against maxRegistryBytes). */
  infoBytes: number;
  /** What its metrics keep (keys + values, v1 and legacy). */
  metricBytes: number;
  /** Distinct metric names kept. */
  metricCount: number;
  /** Last observed time between two heartbeats (or registration and the first one), ms; 0 = none yet. */
  interval: number;
  /** Process that registered it, when known. */
  pid: number | undefined;
}

/** Longest observed heartbeat interval that widens the window, in TTLs. */
const MAX_INTERVAL_TTLS = 10;

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
  private readonly limits: ControlPlaneLimits;
  /** Sum of infoBytes + metricBytes over all entries (against maxRegistryBytes). */
  private readonly budget: ByteBudget = { used: 0 };
  private janitor: NodeJS.Timeout | undefined;
  private lastNanos = 0n;
  private lastTouchWrite: Promise<void> | undefined;
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
    this.limits = opts.limits ?? DEFAULT_LIMITS;
    this.runs = new PipelineRuns({ storage: () => this.storage, now: this.now, events: this.events, log: this.log, limits: this.limits });
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

  /** What registrations and metrics keep, in bytes (approximate; counted against maxRegistryBytes). */
  get keptBytes(): number {
    return this.budget.used;
  }

  get limitsInUse(): Readonly<ControlPlaneLimits> {
    return this.limits;
  }

  // ---- lifecycle ------------------------------------------------------------------------------

  /**
   * Opens storage and loads records and runs; records silent for longer than the TTL come back UNHEALTHY
   * (stale). Once: later calls share the first one's promise (close() waits for it).
   */
  open(): Promise<void> {
    this.opening ??= this.doOpen();
    return this.opening;
  }

  private opening?: Promise<void>;

  private async doOpen(): Promise<void> {
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
    // An open still in flight (the server opens the registry after it listens) ends first: its storage is closed below.
    await this.opening?.catch(() => undefined);
    if (this.janitor) clearInterval(this.janitor);
    this.janitor = undefined;
    for (const entry of this.services.values()) this.disarm(entry);
    if (this.storage) await this.storage.close();
  }

  private loadRecords(records: ServiceRecord[]): void {
    const now = this.now();
    const sorted = [...records].sort((a, b) => a.registeredAt - b.registeredAt || (a.serviceId < b.serviceId ? -1 : a.serviceId > b.serviceId ? 1 : 0));
    // Newest first past the cap: the oldest registrations are the ones left out.
    const kept = sorted.slice(Math.max(0, sorted.length - this.limits.maxComponents));
    for (const stored of sorted.slice(0, sorted.length - kept.length)) this.dropStored(stored?.serviceId, `more than ${limitNote(this.limits, 'maxComponents')} stored`);
    for (const stored of kept) {
      if (!stored || typeof stored.serviceId !== 'string') continue;
      const record: ServiceRecord = {
        ...stored,
        info: componentInfoFromWire(stored.info),
        metrics: { ...(stored.metrics ?? {}) },
        stale: !!stored.stale,
      };
      let infoBytes: number;
      try {
        if (record.serviceId === '' || record.serviceId.length > this.limits.maxIdLength) throw invalidArgument('service id out of bounds');
        infoBytes = checkComponentInfo(record.info, this.limits);
      } catch (err) {
        this.dropStored(record.serviceId, messageOf(err));
        continue;
      }
      const entry = this.newEntry(record, infoBytes, undefined);
      const names = Object.keys(record.metrics);
      if (names.length > this.limits.maxMetricNames) {
        for (const k of names.slice(this.limits.maxMetricNames)) delete record.metrics[k];
      }
      for (const k in record.metrics) {
        const v = (record.metrics[k] = String(record.metrics[k]).slice(0, this.limits.maxMetricValueLength));
        entry.metricBytes += k.length + v.length;
        entry.metricCount++;
      }
      if (this.budget.used + infoBytes + entry.metricBytes > this.limits.maxRegistryBytes) {
        this.dropStored(record.serviceId, `the registry is full (${limitNote(this.limits, 'maxRegistryBytes', 'bytes')})`);
        continue;
      }
      this.budget.used += infoBytes + entry.metricBytes;
      this.services.set(record.serviceId, entry);
      const remaining = record.lastHeartbeat + this.windowOf(entry) - now;
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

  /** A stored record that no longer fits the limits: not loaded, removed from storage, logged. */
  private dropStored(serviceId: unknown, why: string): void {
    const id = typeof serviceId === 'string' ? serviceId : String(serviceId);
    this.log('warn', `dropped the stored registration ${JSON.stringify(id.slice(0, 80))}: ${why}`);
    if (typeof serviceId === 'string' && this.storage) {
      this.storage.deleteService(serviceId).catch((err) => this.log('warn', `could not delete ${id.slice(0, 80)} from storage: ${messageOf(err)}`));
    }
  }

  // ---- services -------------------------------------------------------------------------------

  /** The service id a registration gets: component_id, else component.id, else a generated one (undefined here). */
  serviceIdOf(input: RegisterInput): string | undefined {
    const id = (typeof input.componentId === 'string' && input.componentId) || (typeof input.component?.id === 'string' && input.component.id) || '';
    return id || undefined;
  }

  /** The pid that registered serviceId, when known (see RegisterOptions.pid). */
  holderOf(serviceId: string): number | undefined {
    return this.services.get(serviceId)?.pid;
  }

  /**
   * Registers (or re-registers, overwriting) a component. Resolves once the record is stored.
   * INVALID_ARGUMENT for a field over its limit; RESOURCE_EXHAUSTED for a new id past maxComponents or
   * a registry over maxRegistryBytes.
   */
  async register(input: RegisterInput, opts: RegisterOptions = {}): Promise<RegisterResult> {
    if (!input || !input.component || typeof input.component !== 'object') throw invalidArgument('component is required');
    let info = componentInfoFromWire(input.component);
    if (!isKnownComponentType(info.type)) throw invalidArgument(`unknown component type ${info.type}`);
    const componentId = input.componentId ?? '';
    this.checkId('component_id', componentId, false);
    this.checkId('component.id', info.id, false);
    let serviceId = componentId || info.id || `${COMPONENT_TYPE_NAMES[info.type]}-${this.uniqueNanos()}`;
    if (this.placement) {
      const placed = this.placement({ serviceId, info, peer: opts.peer });
      if (placed) ({ serviceId, info } = placed);
    }
    const infoBytes = checkComponentInfo(info, this.limits);

    const previous = this.services.get(serviceId);
    if (!previous && this.services.size >= this.limits.maxComponents) {
      throw resourceExhausted(`too many registered components: ${this.services.size}, ${limitNote(this.limits, 'maxComponents')}`);
    }
    const freed = previous ? previous.infoBytes + previous.metricBytes : 0;
    if (this.budget.used - freed + infoBytes > this.limits.maxRegistryBytes) {
      throw resourceExhausted(`the registry is full: ${formatBytes(this.budget.used)} kept, ${limitNote(this.limits, 'maxRegistryBytes', 'bytes')}`);
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
    if (opts.legacy) {
      record.legacy = { ...opts.legacy, metrics: {} };
      if (opts.legacy.metrics) keepLegacyMetrics(record.legacy.metrics, opts.legacy.metrics, this.limits);
    }

    if (previous) {
      this.disarm(previous);
      this.services.delete(serviceId); // re-insert at the end: listing is by registration time
      this.budget.used -= freed;
    }
    const entry = this.newEntry(record, infoBytes, opts.pid);
    this.services.set(serviceId, entry);
    this.budget.used += infoBytes;
    this.arm(entry);

    if (this.storage) {
      try {
        await this.storage.putService(record);
      } catch (err) {
        if (this.services.get(serviceId) === entry) {
          this.disarm(entry);
          this.services.delete(serviceId);
          this.budget.used -= entry.infoBytes + entry.metricBytes;
          if (previous) {
            this.services.set(serviceId, previous);
            this.budget.used += freed;
            this.arm(previous, Math.max(1, previous.record.lastHeartbeat + this.windowOf(previous) - this.now()));
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
   * A metric key or value over its limit: INVALID_ARGUMENT, nothing applied. New metric names past
   * maxMetricNames (or maxRegistryBytes): the heartbeat still counts and known names are updated, the
   * new names are refused with RESOURCE_EXHAUSTED.
   */
  heartbeat(serviceId: string, status: number = HealthStatus.UNKNOWN, metrics?: Record<string, string> | null): ServiceRecord {
    if (status !== HealthStatus.UNKNOWN && !isKnownHealthStatus(status)) throw invalidArgument(`unknown health status ${status}`);
    const entry = this.lookup(serviceId);
    const record = entry.record;
    let refused = 0;
    if (metrics) {
      checkMetricSizes(metrics, this.limits);
      refused = mergeMetrics(entry, metrics, undefined, this.limits, this.budget);
    }
    this.beat(entry, status);
    if (refused > 0) throw metricCapError(entry, refused, this.limits);
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
    let refused = 0;
    if (metrics) {
      const strings: Record<string, string> = {};
      for (const key in metrics) strings[key] = String(metrics[key]);
      checkMetricSizes(strings, this.limits);
      refused = mergeMetrics(entry, strings, metrics, this.limits, this.budget);
    }
    if (timestampMs !== undefined) legacy.reportedAt = timestampMs;
    this.beat(entry, HealthStatus.UNKNOWN);
    if (refused > 0) throw metricCapError(entry, refused, this.limits);
    return record;
  }

  private beat(entry: Entry, status: number): void {
    const record = entry.record;
    entry.encoded = undefined;
    const now = this.now();
    entry.interval = now - record.lastHeartbeat;
    record.lastHeartbeat = now;
    const previous = record.status;
    let next = previous;
    if (status !== HealthStatus.UNKNOWN) next = status;
    else if (record.stale || previous === HealthStatus.UNKNOWN) next = HealthStatus.HEALTHY;
    let reason: 'reported' | 'recovered' = 'reported';
    if (record.stale) {
      record.stale = false;
      if (next === HealthStatus.HEALTHY) reason = 'recovered';
    }
    this.arm(entry, this.windowOf(entry));
    const write = this.storage?.touchService(record);
    this.lastTouchWrite = write instanceof Promise ? write : undefined;
    if (next !== previous) {
      record.status = next;
      this.events.emit({ type: 'healthChanged', record, previous, reason });
    }
    if (this.events.size !== 0) this.events.emit({ type: 'heartbeat', record });
  }

  /** What these records keep (approximately the size of their answer), in bytes. */
  bytesOf(records: readonly ServiceRecord[]): number {
    let n = 0;
    for (const r of records) {
      const e = this.services.get(r.serviceId);
      n += 64 + (e ? e.infoBytes + e.metricBytes : 0);
    }
    return n;
  }

  /** Approximate answer size of these component infos (DiscoverComponents), in bytes. */
  infoBytesOf(infos: readonly ComponentInfo[]): number {
    let n = 0;
    for (const info of infos) {
      n += 32 + info.id.length + info.name.length + info.version.length + info.description.length + info.endpoint.length;
      for (const t of info.input_event_types) n += t.length + 2;
      for (const t of info.output_event_types) n += t.length + 2;
      for (const k in info.metadata) n += k.length + info.metadata[k]!.length + 4;
    }
    return n;
  }

  /**
   * The storage write of the last heartbeat, when the storage writes heartbeats durably (LmdbStorage
   * heartbeatWrites 'durable'); the gRPC layer acknowledges after it. undefined otherwise. Read once.
   */
  takeHeartbeatWrite(): Promise<void> | undefined {
    const w = this.lastTouchWrite;
    this.lastTouchWrite = undefined;
    return w;
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
    this.checkId('service_id', serviceId, true);
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
    checkStringList('event_types', eventTypes, this.limits);
    if (input.metadata_filters) checkStringMap('metadata_filters', input.metadata_filters, this.limits, METADATA_LIMITS);
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
    this.checkId('service_id', serviceId, true);
    const entry = this.services.get(serviceId);
    if (entry) {
      this.disarm(entry);
      this.services.delete(serviceId);
      this.budget.used -= entry.infoBytes + entry.metricBytes;
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

  /** Changes the TTL; every live timer is re-armed for its remaining time under the new window. */
  setHeartbeatTtl(ms: number): void {
    if (!(ms > 0)) return;
    this.ttl = ms;
    if (this.closed) return;
    const now = this.now();
    for (const entry of this.services.values()) {
      if (entry.record.stale) continue;
      const remaining = entry.record.lastHeartbeat + this.windowOf(entry) - now;
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

  /** One safety-net pass: HEALTHY records silent for longer than their heartbeat window go UNHEALTHY. */
  sweep(): void {
    const now = this.now();
    for (const entry of this.services.values()) {
      if (entry.record.status === HealthStatus.HEALTHY && now - entry.record.lastHeartbeat >= this.windowOf(entry)) this.markStale(entry);
    }
  }

  /**
   * How long a record may stay silent before it is stale: the TTL, or its observed heartbeat interval
   * when that is longer (at most MAX_INTERVAL_TTLS TTLs), plus a grace of one janitor interval, at most one TTL.
   */
  private windowOf(entry: Entry): number {
    const ttl = this.ttl;
    const interval = entry.interval > ttl ? Math.min(entry.interval, MAX_INTERVAL_TTLS * ttl) : ttl;
    return interval + Math.min(this.janitorMs, ttl);
  }

  /** The current heartbeat window of a record (ms), or undefined if unknown. */
  heartbeatWindowMs(serviceId: string): number | undefined {
    const entry = this.services.get(serviceId);
    return entry ? this.windowOf(entry) : undefined;
  }

  private checkId(what: string, id: string, required: boolean): void {
    if (typeof id !== 'string') throw invalidArgument(`${what} must be a string`);
    if (required && id === '') throw invalidArgument(`${what} is required`);
    if (id.length > this.limits.maxIdLength) throw invalidArgument(`${what} is too long: ${id.length} characters, ${limitNote(this.limits, 'maxIdLength')}`);
  }

  private startJanitor(): void {
    if (this.closed) return;
    if (this.janitor) clearInterval(this.janitor);
    this.janitor = setInterval(() => this.sweep(), this.janitorMs);
    this.janitor.unref();
  }

  private newEntry(record: ServiceRecord, infoBytes: number, pid: number | undefined): Entry {
    const entry: Entry = {
      record,
      timer: undefined,
      armedDelay: 0,
      onTimer: () => {},
      encoded: undefined,
      infoBytes,
      metricBytes: 0,
      metricCount: 0,
      interval: 0,
      pid,
    };
    entry.onTimer = () => {
      if (this.services.get(record.serviceId) === entry) this.markStale(entry);
    };
    return entry;
  }

  /** (Re)starts the stale timer: refresh() when the delay is unchanged (the common, allocation-free case). */
  private arm(entry: Entry, delay = this.windowOf(entry)): void {
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
      `service ${record.serviceId} missed heartbeats for ${this.windowOf(entry)}ms: ${HEALTH_STATUS_NAMES[HealthStatus.HEALTHY]} → ${HEALTH_STATUS_NAMES[HealthStatus.UNHEALTHY]}`,
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
