// flowctl.v1.ControlPlaneService over the registry. ListComponents answers from each record's kept
// encoding (listCache.ts): serve these handlers with v1ServiceDefinition(), not the plain definition.
import type * as grpc from '@grpc/grpc-js';
import { packageDefinition } from '../proto';
import { statusResponseToWire } from './convert';
import { EMPTY, unary } from './grpcUtil';
import { EncodedMessage, frameRepeatedField1, preEncodedListComponents } from './listCache';
import type { ServiceRecord } from './model';
import { heartbeatHandler, registrationCaller, withComponentAccess, type HandlerContext } from './handlerContext';

export const V1_SERVICE_NAME = 'flowctl.v1.ControlPlaneService';

let cached: { definition: grpc.ServiceDefinition; encodeRecord: (r: ServiceRecord) => Uint8Array } | undefined;

function v1Service() {
  if (!cached) {
    const { definition, encodeStatus } = preEncodedListComponents(packageDefinition()[V1_SERVICE_NAME] as grpc.ServiceDefinition);
    // Copied out of the encoder's Buffer: small Buffers are slices of a shared 8 KiB pool, and a kept
    // slice would keep its whole slab alive long after its neighbours were re-encoded.
    cached = { definition, encodeRecord: (r) => new Uint8Array(encodeStatus(statusResponseToWire(r))) };
  }
  return cached;
}

/** The service definition v1Handlers must be served with (ListComponents takes pre-encoded answers). */
export function v1ServiceDefinition(): grpc.ServiceDefinition {
  return v1Service().definition;
}

export function v1Handlers(ctx: HandlerContext): grpc.UntypedServiceImplementation {
  const { encodeRecord } = v1Service();
  const { registry, log } = ctx;
  return {
    RegisterComponent: unary(
      'RegisterComponent',
      async (req, call) => {
        const input = { component: req.component, componentId: req.component_id };
        const caller = await registrationCaller(ctx, call, registry.serviceIdOf(input), 'RegisterComponent');
        const res = await registry.register(input, { peer: call.getPeer(), pid: caller?.pid });
        return { service_id: res.serviceId, assigned_topics: res.assignedTopics, connection_info: res.connectionInfo };
      },
      log,
    ),
    UnregisterComponent: unary(
      'UnregisterComponent',
      (req, call) =>
        withComponentAccess(ctx, call, req.service_id, 'UnregisterComponent', async () => {
          await registry.unregister(req.service_id);
          return EMPTY;
        }),
      log,
    ),
    DiscoverComponents: unary(
      'DiscoverComponents',
      (req, call) => {
        ctx.connections.precheck(call, 'DiscoverComponents');
        const components = registry.discover({ type: req.type, event_types: req.event_types, metadata_filters: req.metadata_filters });
        ctx.connections.reserve(call, registry.infoBytesOf(components), 'DiscoverComponents');
        return { components };
      },
      log,
    ),
    Heartbeat: unary(
      'Heartbeat',
      heartbeatHandler(ctx, (req) => registry.heartbeat(req.service_id, req.status, req.metrics)),
      log,
    ),
    GetComponentStatus: unary(
      'GetComponentStatus',
      (req, call) => {
        const record = registry.mustGet(req.service_id);
        ctx.connections.reserve(call, registry.bytesOf([record]), 'GetComponentStatus');
        return statusResponseToWire(record);
      },
      log,
    ),
    ListComponents: unary(
      'ListComponents',
      (req, call) => {
        ctx.connections.precheck(call, 'ListComponents');
        const parts = registry.listEncoded({ typeFilter: req.type_filter, includeUnhealthy: req.include_unhealthy }, encodeRecord);
        let bytes = 0;
        for (const p of parts) bytes += p.length + 6;
        ctx.connections.reserve(call, bytes, 'ListComponents');
        return new EncodedMessage(frameRepeatedField1(parts));
      },
      log,
    ),
  };
}
