// The legacy flowctl.ControlPlane service over the same registry. Unlike flowctl's wrapper it is
// lossless: the legacy service type, health endpoint, max_inflight and double metrics are kept
// (record.legacy), GetServiceStatus is implemented, ListServices reports real health, heartbeat
// time and metrics, and the ack carries topic_names and connection_info.
import type * as grpc from '@grpc/grpc-js';
import {
  fromTimestamp,
  isKnownServiceType,
  pipelineRunToWire,
  runMetricsFromWire,
  serviceStatusToWire,
  serviceTypeToComponentType,
} from './convert';
import { invalidArgument } from './errors';
import { unary } from './grpcUtil';
import type { ComponentInfo } from './model';
import { heartbeatHandler, registrationCaller, type HandlerContext } from './handlerContext';
import { runBytes } from './runs';

export const LEGACY_SERVICE_NAME = 'flowctl.ControlPlane';

function firstOf(metadata: Record<string, string>, keys: string[]): string {
  for (const k of keys) if (metadata[k]) return metadata[k];
  return '';
}

/** The v1 ComponentInfo flowctl's wrapper builds from a legacy ServiceInfo (reference §1.5). */
export function componentFromServiceInfo(req: any): ComponentInfo {
  const metadata: Record<string, string> = { ...(req.metadata ?? {}) };
  return {
    id: req.component_id || req.service_id || '',
    name: firstOf(metadata, ['processor_name', 'source_name', 'sink_name', 'name']),
    version: firstOf(metadata, ['processor_version', 'source_version', 'sink_version', 'version']),
    description: firstOf(metadata, ['processor_description', 'source_description', 'sink_description', 'description']),
    type: serviceTypeToComponentType(req.service_type),
    input_event_types: [...(req.input_event_types ?? [])],
    output_event_types: [...(req.output_event_types ?? [])],
    endpoint: req.health_endpoint ?? '',
    metadata,
  };
}

export function legacyHandlers(ctx: HandlerContext): grpc.UntypedServiceImplementation {
  const { registry, log } = ctx;
  const owner = (call: grpc.ServerUnaryCall<any, any>, method: string) => ctx.access?.requireOwner(call, method);
  return {
    Register: unary(
      'Register',
      async (req, call) => {
        const serviceType = req.service_type ?? 0;
        if (!isKnownServiceType(serviceType)) throw invalidArgument(`unknown service type ${serviceType}`);
        const input = { component: componentFromServiceInfo(req), componentId: req.service_id ?? '' };
        const caller = await registrationCaller(ctx, call, registry.serviceIdOf(input), 'Register');
        const res = await registry.register(input, {
          peer: call.getPeer(),
          pid: caller?.pid,
          legacy: { serviceType, healthEndpoint: req.health_endpoint ?? '', maxInflight: req.max_inflight ?? 0 },
        });
        return { service_id: res.serviceId, topic_names: res.assignedTopics, connection_info: res.connectionInfo };
      },
      log,
    ),
    Heartbeat: unary(
      'Heartbeat',
      heartbeatHandler(ctx, (req) => registry.heartbeatLegacy(req.service_id, req.metrics, fromTimestamp(req.timestamp))),
      log,
    ),
    GetServiceStatus: unary(
      'GetServiceStatus',
      (req, call) => {
        const record = registry.mustGet(req.service_id);
        ctx.connections.reserve(call, registry.bytesOf([record]), 'GetServiceStatus');
        return serviceStatusToWire(record);
      },
      log,
    ),
    ListServices: unary(
      'ListServices',
      (_req, call) => {
        ctx.connections.precheck(call, 'ListServices');
        const records = registry.list({ includeUnhealthy: true });
        ctx.connections.reserve(call, registry.bytesOf(records), 'ListServices');
        return { services: records.map(serviceStatusToWire) };
      },
      log,
    ),
    CreatePipelineRun: unary(
      'CreatePipelineRun',
      async (req, call) => {
        owner(call, 'CreatePipelineRun');
        return pipelineRunToWire(
          await registry.createRun({ runId: req.run_id, pipelineName: req.pipeline_name, configYaml: req.config_yaml, componentIds: req.component_ids }),
        );
      },
      log,
    ),
    UpdatePipelineRun: unary(
      'UpdatePipelineRun',
      async (req, call) => {
        owner(call, 'UpdatePipelineRun');
        return pipelineRunToWire(
          await registry.updateRun({
            runId: req.run_id,
            status: req.status,
            metrics: req.metrics ? runMetricsFromWire(req.metrics) : null,
            error: req.error,
          }),
        );
      },
      log,
    ),
    GetPipelineRun: unary(
      'GetPipelineRun',
      (req, call) => {
        const run = registry.getRun(req.run_id);
        ctx.connections.reserve(call, runBytes(run), 'GetPipelineRun');
        return pipelineRunToWire(run);
      },
      log,
    ),
    ListPipelineRuns: unary(
      'ListPipelineRuns',
      (req, call) => {
        ctx.connections.precheck(call, 'ListPipelineRuns');
        const runs = registry.listRuns({ pipelineName: req.pipeline_name, status: req.status, limit: req.limit });
        let bytes = 0;
        for (const r of runs) bytes += runBytes(r);
        ctx.connections.reserve(call, bytes, 'ListPipelineRuns');
        return { runs: runs.map(pipelineRunToWire) };
      },
      log,
    ),
    StopPipelineRun: unary(
      'StopPipelineRun',
      async (req, call) => {
        owner(call, 'StopPipelineRun');
        return pipelineRunToWire(await registry.stopRun(req.run_id));
      },
      log,
    ),
  };
}
