// The keys a pipeline file may hold and what kind of value each takes. The loader converts and
// type-checks with it, flags every other key as unknown, and a unit test keeps
// schemas/flow.schema.json in step with it.

export type Shape =
  | { kind: 'string' }
  | { kind: 'int' }
  | { kind: 'bool' }
  /** A scalar kept as text (yaml.v3 decodes any scalar into a Go string). */
  | { kind: 'stringList' }
  | { kind: 'stringMap' }
  /** Free-form mapping (component `config`): any values. */
  | { kind: 'anyMap' }
  | { kind: 'object'; fields: Record<string, Shape>; what: string }
  | { kind: 'list'; item: Shape };

const str: Shape = { kind: 'string' };
const int: Shape = { kind: 'int' };
const bool: Shape = { kind: 'bool' };
const strList: Shape = { kind: 'stringList' };
const strMap: Shape = { kind: 'stringMap' };
const anyMap: Shape = { kind: 'anyMap' };

export const VOLUME_FIELDS: Record<string, Shape> = {
  name: str,
  mountPath: str,
  host_path: str,
  container_path: str,
  readonly: bool,
};

export const PORT_FIELDS: Record<string, Shape> = {
  name: str,
  containerPort: int,
  hostPort: int,
  protocol: str,
};

export const SECRET_FIELDS: Record<string, Shape> = {
  name: str,
  host_path: str,
  container_path: str,
  env: str,
  mode: str,
  type: str,
  required: bool,
  labels: strMap,
};

const AMOUNTS: Shape = { kind: 'object', what: 'resource amounts', fields: { cpu: str, memory: str } };

export const RESOURCES_FIELDS: Record<string, Shape> = { requests: AMOUNTS, limits: AMOUNTS };

/** `debug:` of a component (ours): see src/core/debug/spec.ts. */
export const DEBUG_ATTACH_FIELDS: Record<string, Shape> = { port: int };
export const DEBUG_FIELDS: Record<string, Shape> = {
  runtime: str,
  args: strList,
  command: strList,
  env: strMap,
  attach: { kind: 'object', what: 'where the debugger listens', fields: DEBUG_ATTACH_FIELDS },
};

export const COMPONENT_FIELDS: Record<string, Shape> = {
  id: str,
  type: str,
  image: str,
  command: strList,
  args: strList,
  inputs: strList,
  input_event_types: strList,
  output_event_types: strList,
  config: anyMap,
  env: strMap,
  volumes: { kind: 'list', item: { kind: 'object', what: 'volume', fields: VOLUME_FIELDS } },
  secrets: { kind: 'list', item: { kind: 'object', what: 'secret', fields: SECRET_FIELDS } },
  ports: { kind: 'list', item: { kind: 'object', what: 'port', fields: PORT_FIELDS } },
  health_check: str,
  health_port: int,
  health_endpoint: str,
  replicas: int,
  resources: { kind: 'object', what: 'resources', fields: RESOURCES_FIELDS },
  depends_on: strList,
  restart_policy: str,
  debug: { kind: 'object', what: 'debugger start', fields: DEBUG_FIELDS },
};

export const METADATA_FIELDS: Record<string, Shape> = {
  name: str,
  namespace: str,
  labels: strMap,
  annotations: strMap,
  description: str,
};

/** Component sections are handled by the loader itself (each item becomes a ComponentSpec). */
export const COMPONENT_SECTIONS = ['sources', 'processors', 'sinks', 'pipelines'] as const;

export const SPEC_FIELDS: Record<string, Shape | 'components'> = {
  description: str,
  driver: str,
  sources: 'components',
  processors: 'components',
  sinks: 'components',
  pipelines: 'components',
  config: anyMap,
};

export const TOP_FIELDS = ['apiVersion', 'kind', 'metadata', 'spec'] as const;

/** `restart_policy` values: the pipeline's, the supervisor's (supervisor/restartPolicy.ts) and the deploy plan's. */
export const RESTART_POLICIES = ['no', 'on-failure', 'always', 'unless-stopped'] as const;
export type RestartPolicy = (typeof RESTART_POLICIES)[number];
export const DRIVERS = ['process', 'container', 'docker', 'kubernetes', 'k8s', 'nomad', 'local'] as const;
export const PORT_PROTOCOLS = ['TCP', 'UDP', 'SCTP'] as const;

/** Keys people write that mean something else here. */
export const KEY_SYNONYMS: Record<string, string> = {
  consumers: 'sinks',
  consumer: 'sinks',
  outputs: 'sinks',
  source: 'sources',
  processor: 'processors',
  sink: 'sinks',
  input: 'inputs',
  dependencies: 'depends_on',
  needs: 'depends_on',
  environment: 'env',
  cmd: 'command',
  name: 'id',
  restart: 'restart_policy',
};
