// Every input the control plane keeps is bounded. A request over a per-field or per-message limit is
// refused with INVALID_ARGUMENT (too long, too many entries) or RESOURCE_EXHAUSTED (a cap on what is
// stored: components, metric names, unread answers); the message names the limit, by its key here.
// Sizes of strings are counted in UTF-16 code units (= bytes for ASCII), which bounds memory the same way.
import type { ComponentInfo } from './model';
import { invalidArgument } from './errors';

export interface ControlPlaneLimits {
  // ---- per field ----
  /** service_id, component id, component_id, run_id, and ids inside a run. */
  maxIdLength: number;
  /** Component name and version, pipeline name. */
  maxNameLength: number;
  maxDescriptionLength: number;
  /** Component endpoint and legacy health_endpoint. */
  maxEndpointLength: number;
  /** Entries in input_event_types, output_event_types, and in a DiscoverComponents event_types filter. */
  maxEventTypes: number;
  maxEventTypeLength: number;
  /** Entries in a component's metadata, and in a DiscoverComponents metadata filter. */
  maxMetadataEntries: number;
  maxMetadataKeyLength: number;
  maxMetadataValueLength: number;
  /** Distinct metric names kept per component; new names past the cap are refused (RESOURCE_EXHAUSTED). */
  maxMetricNames: number;
  maxMetricKeyLength: number;
  maxMetricValueLength: number;
  /** A pipeline run's config_yaml. */
  maxConfigYamlLength: number;
  /** component_ids of a run, and component_metrics entries of its metrics. */
  maxRunComponents: number;
  /** A run's error text; longer texts are cut (with a note), not refused. */
  maxRunErrorLength: number;
  // ---- per message ----
  /** Largest request of every component and query RPC (register, heartbeat, list, …). */
  maxRequestBytes: number;
  /** Largest CreatePipelineRun / UpdatePipelineRun request. */
  maxRunRequestBytes: number;
  // ---- what is stored ----
  /** Registered components; a new id past the cap is refused (re-registering a known id is fine). */
  maxComponents: number;
  /** Everything registrations and metrics keep, summed over all components. */
  maxRegistryBytes: number;
  /** Runs kept per pipeline name; the oldest are pruned (finished ones first). */
  maxRunsPerPipeline: number;
  /** Runs kept in all; the oldest are pruned (finished ones first). */
  maxRuns: number;
  /** Everything runs keep (configs, ids, metrics), summed; the oldest are pruned to stay under it. */
  maxRunBytes: number;
  /** Most runs one ListPipelineRuns answers (limit < 0 means "all", up to this). */
  maxListedRuns: number;
  // ---- connections ----
  /** Concurrent calls (HTTP/2 streams) per connection. */
  maxConcurrentStreams: number;
  /** Bytes of answers written but not yet read by the client, per connection. */
  maxUnsentBytesPerConnection: number;
  /**
   * The same, over all connections. A connection that has read all its earlier answers always gets a
   * small one (≤ 1 MiB, e.g. GetComponentStatus), so clients that read are never refused because of
   * others that do not; larger answers wait for room ("try again later").
   */
  maxUnsentBytes: number;
}

const KiB = 1024;
const MiB = 1024 * KiB;

export const DEFAULT_LIMITS: Readonly<ControlPlaneLimits> = Object.freeze({
  maxIdLength: 512,
  maxNameLength: 256,
  maxDescriptionLength: 4 * KiB,
  maxEndpointLength: 1 * KiB,
  maxEventTypes: 128,
  maxEventTypeLength: 256,
  maxMetadataEntries: 128,
  maxMetadataKeyLength: 256,
  maxMetadataValueLength: 4 * KiB,
  maxMetricNames: 512,
  maxMetricKeyLength: 256,
  maxMetricValueLength: 1 * KiB,
  maxConfigYamlLength: 256 * KiB,
  maxRunComponents: 1000,
  maxRunErrorLength: 16 * KiB,
  maxRequestBytes: 256 * KiB,
  maxRunRequestBytes: 1 * MiB,
  maxComponents: 10_000,
  maxRegistryBytes: 64 * MiB,
  maxRunsPerPipeline: 100,
  maxRuns: 1000,
  maxRunBytes: 64 * MiB,
  maxListedRuns: 1000,
  maxConcurrentStreams: 100,
  maxUnsentBytesPerConnection: 16 * MiB,
  maxUnsentBytes: 256 * MiB,
});

/** Defaults with `overrides` applied; every value must be a positive integer. */
export function resolveLimits(overrides: Partial<ControlPlaneLimits> = {}): ControlPlaneLimits {
  const out: ControlPlaneLimits = { ...DEFAULT_LIMITS };
  for (const [key, value] of Object.entries(overrides) as Array<[keyof ControlPlaneLimits, number | undefined]>) {
    if (value === undefined) continue;
    if (!(key in DEFAULT_LIMITS)) throw new Error(`unknown control-plane limit ${key}`);
    if (!Number.isInteger(value) || value <= 0) throw new Error(`control-plane limit ${key} must be a positive integer (got ${value})`);
    out[key] = value;
  }
  return out;
}

/** "256 KiB", "1.5 MiB", "300 bytes". */
export function formatBytes(n: number): string {
  const [unit, size] = n >= MiB ? ['MiB', MiB] : n >= KiB ? ['KiB', KiB] : ['bytes', 1];
  if (size === 1 || n % size === 0) return `${n / size} ${unit}`;
  const rounded = Math.round((n / size) * 10) / 10;
  // "1 MiB" for 1,048,620 bytes would read as the limit itself: say the bytes then.
  return Number.isInteger(rounded) ? `${n} bytes` : `${rounded} ${unit}`;
}

/** How the CLI flag is called for the limits a user can set. */
const FLAGS: Partial<Record<keyof ControlPlaneLimits, string>> = {
  maxComponents: '--max-components',
  maxRunsPerPipeline: '--max-runs-per-pipeline',
  maxRuns: '--max-runs',
};

/** "limit 4096 (maxDescriptionLength)", with the flag for settable ones. */
export function limitNote(limits: ControlPlaneLimits, key: keyof ControlPlaneLimits, unit: 'bytes' | '' = ''): string {
  const value = unit === 'bytes' ? formatBytes(limits[key]) : String(limits[key]);
  const flag = FLAGS[key];
  return `limit ${value} (${key}${flag ? `, ${flag}` : ''})`;
}

function tooLong(what: string, length: number, limits: ControlPlaneLimits, key: keyof ControlPlaneLimits): Error {
  return invalidArgument(`${what} is too long: ${length} characters, ${limitNote(limits, key)}`);
}

function tooMany(what: string, count: number, limits: ControlPlaneLimits, key: keyof ControlPlaneLimits): Error {
  return invalidArgument(`${what} has too many entries: ${count}, ${limitNote(limits, key)}`);
}

export function checkLength(what: string, value: string, limits: ControlPlaneLimits, key: keyof ControlPlaneLimits): void {
  if (value.length > limits[key]) throw tooLong(what, value.length, limits, key);
}

export function checkStringList(what: string, list: readonly string[], limits: ControlPlaneLimits): void {
  if (list.length > limits.maxEventTypes) throw tooMany(what, list.length, limits, 'maxEventTypes');
  for (const t of list) if (t.length > limits.maxEventTypeLength) throw tooLong(`an entry of ${what}`, t.length, limits, 'maxEventTypeLength');
}

export function checkStringMap(
  what: string,
  map: Record<string, string>,
  limits: ControlPlaneLimits,
  keys: { entries: keyof ControlPlaneLimits; key: keyof ControlPlaneLimits; value: keyof ControlPlaneLimits },
): number {
  let count = 0;
  let bytes = 0;
  for (const k in map) {
    count++;
    if (k.length > limits[keys.key]) throw tooLong(`a key of ${what}`, k.length, limits, keys.key);
    const v = map[k]!;
    if (v.length > limits[keys.value]) throw tooLong(`${what}[${JSON.stringify(k.slice(0, 64))}]`, v.length, limits, keys.value);
    bytes += k.length + v.length;
  }
  if (count > limits[keys.entries]) throw tooMany(what, count, limits, keys.entries);
  return bytes;
}

export const METADATA_LIMITS = { entries: 'maxMetadataEntries', key: 'maxMetadataKeyLength', value: 'maxMetadataValueLength' } as const;

/** Checks every field of a registration; returns its size (what it adds to maxRegistryBytes). */
export function checkComponentInfo(info: ComponentInfo, limits: ControlPlaneLimits): number {
  checkLength('component.id', info.id, limits, 'maxIdLength');
  checkLength('component.name', info.name, limits, 'maxNameLength');
  checkLength('component.version', info.version, limits, 'maxNameLength');
  checkLength('component.description', info.description, limits, 'maxDescriptionLength');
  checkLength('component.endpoint', info.endpoint, limits, 'maxEndpointLength');
  checkStringList('component.input_event_types', info.input_event_types, limits);
  checkStringList('component.output_event_types', info.output_event_types, limits);
  const metaBytes = checkStringMap('component.metadata', info.metadata, limits, METADATA_LIMITS);
  let bytes = info.id.length + info.name.length + info.version.length + info.description.length + info.endpoint.length + metaBytes;
  for (const t of info.input_event_types) bytes += t.length;
  for (const t of info.output_event_types) bytes += t.length;
  return bytes;
}
