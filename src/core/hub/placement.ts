// How a hub names what registers: a registration of one of the pipeline's components becomes an
// instance of it (the first replica is the component itself, others `id#2`, `id#3`…), recognised again
// by its FLOWCTL_INSTANCE name or by its address; its registered endpoint is rewritten to the address the
// hub reaches it at (a replica in another container that registered ":50051" or 127.0.0.1:<port> is
// reached at the address its registration came from), and FLOWCTL_COMPONENT_ID in its metadata names
// the component, so status and Connect show every instance with a dialable endpoint.
import { reachableEndpoint } from '../dataplane/endpoint';
import { ControlPlaneError } from '../controlplane/errors';
import type { ComponentInfo, ServiceRecord } from '../controlplane/model';
import { InstanceTable, MAX_INSTANCES, componentOfInstance, type Instance } from './instances';

export interface PlacementInput {
  serviceId: string;
  info: ComponentInfo;
  peer?: string;
}

export interface HubPlacementDeps {
  /** The pipeline's component ids (registrations of anything else keep the default). */
  componentIds: ReadonlySet<string>;
  /** The registry's record of a service id (a replica is live while its record is there and not stale). */
  record: (serviceId: string) => ServiceRecord | undefined;
  table?: InstanceTable;
}

export interface Placed {
  serviceId: string;
  info: ComponentInfo;
  instance: Instance;
}

export class HubPlacement {
  readonly table: InstanceTable;

  constructor(private readonly deps: HubPlacementDeps) {
    this.table = deps.table ?? new InstanceTable();
  }

  /** The component a registration belongs to, when it is one of the pipeline's. */
  componentOf(reg: PlacementInput): string | undefined {
    const ids = this.deps.componentIds;
    const named = reg.info.metadata?.FLOWCTL_COMPONENT_ID;
    for (const candidate of [named, reg.serviceId, componentOfInstance(reg.serviceId), reg.info.id]) {
      if (candidate && ids.has(candidate)) return candidate;
    }
    return undefined;
  }

  place(reg: PlacementInput): Placed | undefined {
    const componentId = this.componentOf(reg);
    if (!componentId) return undefined;
    const target = reachableEndpoint(reg.info.endpoint, reg.peer);
    const name = reg.info.metadata?.FLOWCTL_INSTANCE;
    const key = name ? `name:${name}` : `addr:${target.address || reg.peer || reg.serviceId}`;
    const live = (sid: string) => {
      const r = this.deps.record(sid);
      return !!r && !r.stale;
    };
    const instance = this.table.assign(componentId, key, live);
    if (!instance) throw new ControlPlaneError('FAILED_PRECONDITION', `${componentId} has ${MAX_INSTANCES} live replicas already; a hub takes no more`);
    const metadata: Record<string, string> = { ...reg.info.metadata, FLOWCTL_COMPONENT_ID: componentId };
    if (instance.slot > 1) metadata.FLOWCTL_INSTANCE_OF = componentId;
    const info: ComponentInfo = { ...reg.info, id: instance.serviceId, metadata };
    if (!target.problem && target.address && target.address !== reg.info.endpoint) {
      info.endpoint = target.address;
      metadata.FLOWCTL_ADVERTISED_ENDPOINT = reg.info.endpoint;
    }
    return { serviceId: instance.serviceId, info, instance };
  }
}
