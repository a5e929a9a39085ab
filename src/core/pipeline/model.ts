// The pipeline file (flow.yml) as data. Field names are the YAML keys, so `component.health_port`
// is what the user wrote under `health_port:`. Every component also remembers where it was written.
import type { DebugSpec } from '../debug/spec';

/** A point in the file; line and column are 1-based. */
export interface Position {
  line: number;
  column: number;
}

/**
 * A span in the file. Start is 1-based and inclusive; end is 1-based and points just past the
 * last character (so a VS Code Range is `new Range(line-1, column-1, endLine-1, endColumn-1)`).
 */
export interface Range extends Position {
  endLine: number;
  endColumn: number;
}

/**
 * Where one YAML value was written. `key` is the key's span when the value belongs to a mapping key,
 * `entries` the located children of a mapping, `items` those of a sequence.
 */
export interface FieldLoc {
  key?: Range;
  value: Range;
  /** The quote a scalar value was written with (so a fix can keep the style). */
  quote?: '"' | "'";
  entries?: Record<string, FieldLoc>;
  items?: FieldLoc[];
}

export type Role = 'source' | 'processor' | 'sink' | 'pipeline';

/** The YAML section each role lives in. */
export const SECTION_OF_ROLE: Record<Role, 'sources' | 'processors' | 'sinks' | 'pipelines'> = {
  source: 'sources',
  processor: 'processors',
  sink: 'sinks',
  pipeline: 'pipelines',
};

export const ROLES: readonly Role[] = ['source', 'processor', 'sink', 'pipeline'];

export interface Volume {
  name?: string;
  mountPath?: string;
  host_path?: string;
  container_path?: string;
  readonly?: boolean;
}

export interface PortSpec {
  name?: string;
  containerPort?: number;
  hostPort?: number;
  protocol?: string;
}

export interface SecretMount {
  name?: string;
  host_path?: string;
  container_path?: string;
  env?: string;
  mode?: string;
  type?: string;
  required?: boolean;
  labels?: Record<string, string>;
}

export interface ResourceAmounts {
  cpu?: string;
  memory?: string;
}

export interface Resources {
  requests?: ResourceAmounts;
  limits?: ResourceAmounts;
}

/** One entry of spec.sources / processors / sinks / pipelines (flowctl's `model.Component`). */
export interface ComponentSpec {
  /** Empty string when the YAML has no id (that is an error diagnostic). */
  id: string;
  role: Role;
  /** Plain name, or a registry reference `name@version` / `org/name@version`. */
  type?: string;
  image?: string;
  command?: string[];
  args?: string[];
  inputs?: string[];
  input_event_types?: string[];
  output_event_types?: string[];
  config?: Record<string, unknown>;
  /** Scalars are kept as written (`PORT: 8080` → "8080"), like yaml.v3 decoding into map[string]string. */
  env?: Record<string, string>;
  volumes?: Volume[];
  secrets?: SecretMount[];
  ports?: PortSpec[];
  health_check?: string;
  health_port?: number;
  /** Not in flowctl's model, but present in real pipeline files. */
  health_endpoint?: string;
  replicas?: number;
  resources?: Resources;
  depends_on?: string[];
  restart_policy?: string;
  /** Ours (not flowctl's): how to start it under a debugger when its command does not tell (src/core/debug/spec.ts). */
  debug?: DebugSpec;
  /** Start of the sequence item (the `id:` after `- ` when id is the first key). */
  position: Position;
  /** The whole item. */
  range: Range;
  /** Index within its section (0-based). */
  index: number;
  /** Where each key of the item was written. */
  loc: FieldLoc;
}

export interface PipelineMetadata {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  /** Not in flowctl's model (ignored there), but used by every example file. */
  description?: string;
}

export interface PipelineSpec {
  description?: string;
  driver?: string;
  sources: ComponentSpec[];
  processors: ComponentSpec[];
  sinks: ComponentSpec[];
  pipelines: ComponentSpec[];
  config?: Record<string, unknown>;
}

export interface Pipeline {
  apiVersion: string;
  kind: string;
  metadata: PipelineMetadata;
  spec: PipelineSpec;
  /** Absolute path of the pipeline file. */
  file: string;
  /** Absolute path of the folder holding it (relative commands and log folders resolve here). */
  dir: string;
  /** Where every top-level key was written. */
  loc: FieldLoc;
}

/** Every component in YAML order: sources, processors, sinks, pipelines (flowctl's component_ids order). */
export function allComponents(p: Pipeline): ComponentSpec[] {
  return [...p.spec.sources, ...p.spec.processors, ...p.spec.sinks, ...p.spec.pipelines];
}

/** The component with this id (first one if duplicated). */
export function findComponent(p: Pipeline, id: string): ComponentSpec | undefined {
  return allComponents(p).find((c) => c.id === id);
}

/** True for a `type` that names a registry component (`name@version`, `org/name@version`). */
export function isRegistryReference(type: string | undefined): boolean {
  return !!type && !type.startsWith('/') && type.includes('@');
}

/** Follows `entries`/`items` down a path such as ['env', 'PORT'] or ['inputs', 1]. */
export function locAt(loc: FieldLoc | undefined, ...path: (string | number)[]): FieldLoc | undefined {
  let cur = loc;
  for (const step of path) {
    if (!cur) return undefined;
    cur = typeof step === 'number' ? cur.items?.[step] : cur.entries?.[step];
  }
  return cur;
}
