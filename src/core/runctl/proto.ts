// Loads proto/flowctl/runner/v1/runner.proto (our runner service) on its own, so it never changes the
// shared flowctl package definition (src/core/proto.ts) that the control plane and its clients use.
import * as grpc from '@grpc/grpc-js';
import type * as protoLoader from '@grpc/proto-loader';
import runnerProtos from 'flowctl-protos:runner';
import { embeddedPackageDefinition } from '../protoEmbed';

export const RUNNER_SERVICE_NAME = 'flowctl.runner.v1.RunnerService';
export const RUNNER_PROTO_FILE = 'flowctl/runner/v1/runner.proto';

let cachedDefinition: protoLoader.PackageDefinition | undefined;
let cachedCtor: grpc.ServiceClientConstructor | undefined;

export function runnerPackageDefinition(): protoLoader.PackageDefinition {
  // RUNNER_PROTO_FILE with LOADER_OPTIONS, parsed at build time (src/core/protoEmbed.ts).
  cachedDefinition ??= embeddedPackageDefinition(runnerProtos);
  return cachedDefinition;
}

export function runnerServiceDefinition(): grpc.ServiceDefinition {
  const def = runnerPackageDefinition()[RUNNER_SERVICE_NAME] as grpc.ServiceDefinition | undefined;
  if (!def) throw new Error(`flowctl: ${RUNNER_SERVICE_NAME} is not in ${RUNNER_PROTO_FILE}`);
  return def;
}

export function runnerClientConstructor(): grpc.ServiceClientConstructor {
  cachedCtor ??= grpc.makeGenericClientConstructor(runnerServiceDefinition(), 'RunnerService', {});
  return cachedCtor;
}

// ------------------------------------------------------------------ wire shapes (proto-loader objects)

export interface WireComponent {
  id: string;
  role: string;
  phase: string;
  health: number;
  pid: number;
  restarts: number;
  has_exit_code: boolean;
  exit_code: number;
  exit_signal: string;
  service_id: string;
  endpoint: string;
  registered_at_ms: number;
  last_heartbeat_ms: number;
  started_at_ms: number;
  metrics: Record<string, string>;
  waiting_for: string[];
  events_in: number;
  events_out: number;
  events_per_second: number;
  log_file: string;
  problem: string;
  flow: string;
  waiting_on: string[];
  events_in_per_second: number;
  events_out_per_second: number;
  dropped: number;
  dropped_by: Record<string, number>;
  queued: number;
  driver: string;
  image: string;
  container_id: string;
  line: number;
  column: number;
}

export interface WireEdge {
  from: string;
  to: string;
  events: number;
  events_per_second: number;
  dropped: number;
  queued: number;
  state: string;
}

export interface WireRun {
  run_id: string;
  pipeline_name: string;
  file: string;
  state: string;
  endpoint: string;
  started_at_ms: number;
  error: string;
  components: WireComponent[];
  edges: WireEdge[];
  events_processed: number;
  events_per_second: number;
  dropped: number;
  runner_pid: number;
  log_dir: string;
  /** GetRun with history_seconds only (see runner.proto). */
  history_json?: string;
}

export interface WireComponentActionResponse {
  before: WireComponent | null;
  after: WireComponent | null;
  duration_ms: number;
}

export interface WireStopRunResponse {
  state: string;
  runner_pid: number;
}
