// The hub mode of the runner (`flowctl run --components external`): the control plane and the data-plane
// wiring exactly as in a local run, but no component is started here. Components register from wherever
// they run; every registration of a pipeline component becomes an instance of it (placement.ts), and the
// data plane gets one node per instance: the replicas of a component form a group, and each upstream
// hands an event to ONE replica of the group (round-robin per event, or by the key the component
// declares with FLOWCTL_PARTITION_KEY). The first instance is the component itself, so everything the
// runner does for one replica (views, run record, actions' refusals) stays as it is.
import type { DataPlaneNode, EdgeCounts, NodeCounts } from '../dataplane';
import type { ServiceRecord } from '../controlplane/model';
import { HealthStatus } from '../controlplane/model';
import type { ComponentSpec } from '../pipeline/model';
import { HubPlacement } from './placement';
import { componentOfInstance } from './instances';

export interface HubRun {
  /** The data plane's graph changed: set it again. */
  setGraph(nodes: DataPlaneNode[]): void;
  /** A replica's data plane is reachable: open its stream and its edges. */
  up(instanceId: string, endpoint: string | undefined, accepts?: string[]): void;
  /** A replica is gone or silent: its edges hold (expected back) or drop. */
  down(instanceId: string, expectBack: boolean): void;
  notice(level: 'info' | 'warning', message: string, componentId?: string): void;
}

export class Hub {
  readonly placement: HubPlacement;
  /** Registered replicas other than the first, by instance id. */
  private readonly replicas = new Map<string, ServiceRecord>();
  /** Partition key a component declared at registration (any of its instances). */
  private readonly keys = new Map<string, string>();

  constructor(
    private specs: ComponentSpec[],
    record: (serviceId: string) => ServiceRecord | undefined,
    private readonly run: HubRun,
  ) {
    this.placement = new HubPlacement({ componentIds: new Set(specs.map((c) => c.id)), record });
  }

  /** Data-plane nodes: each component's instances (the replicas beyond the first are extra members of its group). */
  nodes(): DataPlaneNode[] {
    const onPlane = this.specs.filter((c) => c.role !== 'pipeline' && c.id);
    const ids = new Set(onPlane.map((c) => c.id));
    const instancesOf = (id: string) => [id, ...[...this.replicas.keys()].filter((r) => componentOfInstance(r) === id).sort()];
    const out: DataPlaneNode[] = [];
    for (const c of onPlane) {
      const inputs = c.role === 'source' ? [] : (c.inputs ?? []).filter((i) => ids.has(i)).flatMap(instancesOf);
      for (const id of instancesOf(c.id)) {
        const node: DataPlaneNode = { id, role: c.role as DataPlaneNode['role'], inputs, inputEventTypes: c.input_event_types, group: c.id };
        const key = this.keys.get(c.id);
        if (key) node.partitionKey = key;
        out.push(node);
      }
    }
    return out;
  }

  /** True for registrations the hub handles itself (replicas beyond the first); the runner handles the first. */
  isReplica(serviceId: string): boolean {
    return componentOfInstance(serviceId) !== serviceId && this.placement.table.get(serviceId) !== undefined;
  }

  /** Any registration of a pipeline component: remember a declared partition key (the graph changes when it does). */
  noteRegistration(record: ServiceRecord): void {
    const componentId = record.info.metadata?.FLOWCTL_COMPONENT_ID;
    const key = record.info.metadata?.FLOWCTL_PARTITION_KEY;
    if (componentId && key && this.keys.get(componentId) !== key) {
      this.keys.set(componentId, key);
      this.run.notice('info', `${componentId}: events are spread over its replicas by ${key}`, componentId);
      this.run.setGraph(this.nodes());
    }
  }

  /** A replica beyond the first registered (again): it joins its component's group on the data plane. */
  replicaRegistered(record: ServiceRecord): void {
    const id = record.serviceId;
    const componentId = componentOfInstance(id);
    const known = this.replicas.has(id);
    this.replicas.set(id, record);
    if (!known) {
      this.run.notice('info', `${id} registered: replica ${this.placement.table.get(id)?.slot ?? '?'} of ${componentId} at ${record.info.endpoint}`, componentId);
      this.run.setGraph(this.nodes());
    }
    const accepts = record.info.input_event_types?.length ? [...record.info.input_event_types] : undefined;
    this.run.up(id, record.info.endpoint || undefined, accepts);
  }

  /** A replica beyond the first unregistered (scaled down, stopped): it leaves the group; what was held for it is dropped (counted). */
  replicaGone(serviceId: string): void {
    if (!this.replicas.delete(serviceId)) return;
    this.placement.table.remove(serviceId);
    this.run.notice('info', `${serviceId} left (replica of ${componentOfInstance(serviceId)})`, componentOfInstance(serviceId));
    this.run.setGraph(this.nodes());
  }

  /** A replica's health changed: a silent one stops getting events until it heartbeats or registers again. */
  replicaHealth(record: ServiceRecord): void {
    if (!this.replicas.has(record.serviceId)) return;
    if (record.status === HealthStatus.UNHEALTHY) this.run.down(record.serviceId, false);
  }

  /** Instances a component has now (for status lines). */
  instanceCount(componentId: string): number {
    return 1 + [...this.replicas.keys()].filter((r) => componentOfInstance(r) === componentId).length;
  }
}

/** Per-component counts: each replica's added to its component's (replica ids are `id#n`; `#` is not allowed in ids). */
export function mergeInstanceCounts(counts: Record<string, NodeCounts>): Record<string, NodeCounts> {
  const out: Record<string, NodeCounts> = {};
  for (const [id, c] of Object.entries(counts)) {
    const key = componentOfInstance(id);
    const t = (out[key] ??= { eventsIn: 0, eventsOut: 0, bytesIn: 0, bytesOut: 0 });
    t.eventsIn += c.eventsIn;
    t.eventsOut += c.eventsOut;
    t.bytesIn += c.bytesIn;
    t.bytesOut += c.bytesOut;
  }
  return out;
}

/** Edges between components: the edges of every replica summed (open if any is open, else held if any holds). */
export function mergeInstanceEdges(edges: EdgeCounts[]): EdgeCounts[] {
  const by = new Map<string, EdgeCounts>();
  for (const e of edges) {
    const from = componentOfInstance(e.from);
    const to = componentOfInstance(e.to);
    const k = `${from}\u0000${to}`;
    const t = by.get(k);
    if (!t) {
      by.set(k, { ...e, from, to, droppedBy: { ...e.droppedBy } });
      continue;
    }
    t.events += e.events;
    t.dropped += e.dropped;
    t.queued += e.queued;
    for (const [r, n] of Object.entries(e.droppedBy)) t.droppedBy[r] = (t.droppedBy[r] ?? 0) + n;
    if (e.state === 'open' || (e.state === 'held' && t.state === 'closed')) t.state = e.state;
  }
  return [...by.values()];
}
