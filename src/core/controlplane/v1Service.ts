// flowctl.v1.ControlPlaneService over the registry.
import type * as grpc from '@grpc/grpc-js';
import { statusResponseToWire } from './convert';
import { EMPTY, unary } from './grpcUtil';
import type { LogFn, Registry } from './registry';

export const V1_SERVICE_NAME = 'flowctl.v1.ControlPlaneService';

export function v1Handlers(registry: Registry, log: LogFn): grpc.UntypedServiceImplementation {
  return {
    RegisterComponent: unary(
      'RegisterComponent',
      async (req, call) => {
        const res = await registry.register({ component: req.component, componentId: req.component_id }, { peer: call.getPeer() });
        return { service_id: res.serviceId, assigned_topics: res.assignedTopics, connection_info: res.connectionInfo };
      },
      log,
    ),
    UnregisterComponent: unary(
      'UnregisterComponent',
      async (req) => {
        await registry.unregister(req.service_id);
        return EMPTY;
      },
      log,
    ),
    DiscoverComponents: unary(
      'DiscoverComponents',
      (req) => ({ components: registry.discover({ type: req.type, event_types: req.event_types, metadata_filters: req.metadata_filters }) }),
      log,
    ),
    Heartbeat: unary(
      'Heartbeat',
      (req) => {
        registry.heartbeat(req.service_id, req.status, req.metrics);
        return EMPTY;
      },
      log,
    ),
    GetComponentStatus: unary('GetComponentStatus', (req) => statusResponseToWire(registry.mustGet(req.service_id)), log),
    ListComponents: unary(
      'ListComponents',
      (req) => ({ components: registry.list({ typeFilter: req.type_filter, includeUnhealthy: req.include_unhealthy }).map(statusResponseToWire) }),
      log,
    ),
  };
}
