// Plain TypeScript shapes of the control plane's data. The wire shapes (proto-loader objects with
// keepCase field names) are converted to and from these in the service adapters only.

export const ComponentType = { UNSPECIFIED: 0, SOURCE: 1, PROCESSOR: 2, CONSUMER: 3 } as const;
export type ComponentType = (typeof ComponentType)[keyof typeof ComponentType];
export const COMPONENT_TYPE_NAMES: Record<number, string> = {
  0: 'COMPONENT_TYPE_UNSPECIFIED',
  1: 'COMPONENT_TYPE_SOURCE',
  2: 'COMPONENT_TYPE_PROCESSOR',
  3: 'COMPONENT_TYPE_CONSUMER',
};

export const HealthStatus = { UNKNOWN: 0, STARTING: 1, HEALTHY: 2, DEGRADED: 3, UNHEALTHY: 4, STOPPING: 5 } as const;
export type HealthStatus = (typeof HealthStatus)[keyof typeof HealthStatus];
export const HEALTH_STATUS_NAMES: Record<number, string> = {
  0: 'HEALTH_STATUS_UNKNOWN',
  1: 'HEALTH_STATUS_STARTING',
  2: 'HEALTH_STATUS_HEALTHY',
  3: 'HEALTH_STATUS_DEGRADED',
  4: 'HEALTH_STATUS_UNHEALTHY',
  5: 'HEALTH_STATUS_STOPPING',
};

/** Legacy flowctl.ServiceType. */
export const ServiceType = { UNSPECIFIED: 0, SOURCE: 1, PROCESSOR: 2, SINK: 3, PIPELINE: 4 } as const;
export type ServiceType = (typeof ServiceType)[keyof typeof ServiceType];

export const RunStatus = { UNKNOWN: 0, STARTING: 1, RUNNING: 2, COMPLETED: 3, FAILED: 4, STOPPED: 5 } as const;
export type RunStatus = (typeof RunStatus)[keyof typeof RunStatus];
export const RUN_STATUS_NAMES: Record<number, string> = {
  0: 'RUN_STATUS_UNKNOWN',
  1: 'RUN_STATUS_STARTING',
  2: 'RUN_STATUS_RUNNING',
  3: 'RUN_STATUS_COMPLETED',
  4: 'RUN_STATUS_FAILED',
  5: 'RUN_STATUS_STOPPED',
};

export interface ComponentInfo {
  id: string;
  name: string;
  description: string;
  version: string;
  type: number;
  input_event_types: string[];
  output_event_types: string[];
  endpoint: string;
  metadata: Record<string, string>;
}

/** What a legacy (flowctl.ControlPlane) registration carried that v1 has no field for. */
export interface LegacyExtras {
  serviceType: number;
  healthEndpoint: string;
  maxInflight: number;
  /** Last legacy heartbeat's metrics, kept as doubles. */
  metrics: Record<string, number>;
  /** Timestamp the component put in its last heartbeat (ms since epoch), if any. */
  reportedAt?: number;
}

/** One registered service, keyed by serviceId. Times are ms since the epoch. */
export interface ServiceRecord {
  serviceId: string;
  info: ComponentInfo;
  status: number;
  metrics: Record<string, string>;
  registeredAt: number;
  lastHeartbeat: number;
  /** True when the registry itself marked it UNHEALTHY because heartbeats went stale. */
  stale: boolean;
  /** gRPC peer of the registering call (e.g. `ipv4:127.0.0.1:53412`), used to match a registration to a process. */
  peer?: string;
  legacy?: LegacyExtras;
}

export interface ComponentMetrics {
  events_in: number;
  events_out: number;
  bytes_in: number;
  bytes_out: number;
  processing_time_ms: number;
  /** Our extension: events meant for this component that were dropped (field 100; flowctl ignores it). */
  events_dropped?: number;
}

export interface RunMetrics {
  events_processed: number;
  events_per_second: number;
  bytes_processed: number;
  component_metrics: Record<string, ComponentMetrics>;
  /** Our extension: events the runner dropped, counted with a reason (field 100; flowctl ignores it). */
  events_dropped?: number;
}

/** A pipeline run. Times are ms since the epoch; endTime 0 = unset. */
export interface PipelineRun {
  runId: string;
  pipelineId: string;
  pipelineName: string;
  status: number;
  startTime: number;
  endTime: number;
  configYaml: string;
  metrics: RunMetrics;
  error: string;
  componentIds: string[];
  /** Where this run's component logs went (set by our runner; absent for runs created over gRPC). */
  logDir?: string;
  /** Components that failed, and why (set by our runner when the run ends). */
  failures?: Record<string, string>;
}

export function emptyRunMetrics(): RunMetrics {
  return { events_processed: 0, events_per_second: 0, bytes_processed: 0, component_metrics: {} };
}

export function isTerminalRunStatus(status: number): boolean {
  return status === RunStatus.COMPLETED || status === RunStatus.FAILED || status === RunStatus.STOPPED;
}
