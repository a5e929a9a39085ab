// The replicas of a pipeline's components, as the hub (`flowctl run --components external`) sees them:
// every registration of component X gets an instance of X. The first instance is X itself (so a
// component with one replica looks exactly as in a local run); more replicas get `X#2`, `X#3`, … An
// instance is recognised when it registers again by its name (FLOWCTL_INSTANCE: the swarm task slot,
// the pod name) or, without one, by the address its data plane is reached at; a new replica takes the
// place of one that is gone (unregistered or no longer heartbeating) before a new number is handed out.

export const INSTANCE_SEPARATOR = '#';

export interface Instance {
  componentId: string;
  serviceId: string;
  /** 1 for the component itself, 2… for the other replicas. */
  slot: number;
  /** What identifies the replica: `name:<FLOWCTL_INSTANCE>` or `addr:<host:port>`. */
  key: string;
}

/** `enrich#2` → enrich; anything else → itself. */
export function componentOfInstance(serviceId: string): string {
  const i = serviceId.lastIndexOf(INSTANCE_SEPARATOR);
  return i > 0 && /^\d+$/.test(serviceId.slice(i + 1)) ? serviceId.slice(0, i) : serviceId;
}

export function instanceId(componentId: string, slot: number): string {
  return slot === 1 ? componentId : `${componentId}${INSTANCE_SEPARATOR}${slot}`;
}

/** The most replicas one component may have (a bound on what registrations can create). */
export const MAX_INSTANCES = 256;

export class InstanceTable {
  private readonly byComponent = new Map<string, Instance[]>();

  /**
   * The service id for a registration of `componentId` identified by `key`. `live(serviceId)` says
   * whether an instance's replica is still there (registered and heartbeating). Returns undefined when
   * the component already has MAX_INSTANCES live replicas.
   */
  assign(componentId: string, key: string, live: (serviceId: string) => boolean): Instance | undefined {
    const list = this.byComponent.get(componentId) ?? [];
    this.byComponent.set(componentId, list);
    const same = list.find((i) => i.key === key);
    if (same) return same;
    // A replica that is gone leaves its place (lowest slot first) to the newcomer.
    const free = [...list].sort((a, b) => a.slot - b.slot).find((i) => !live(i.serviceId));
    if (free) {
      free.key = key;
      return free;
    }
    if (list.length >= MAX_INSTANCES) return undefined;
    const used = new Set(list.map((i) => i.slot));
    let slot = 1;
    while (used.has(slot)) slot++;
    const inst: Instance = { componentId, serviceId: instanceId(componentId, slot), slot, key };
    list.push(inst);
    return inst;
  }

  /** Forgets an instance (scaled down for good); the primary (slot 1) is never forgotten. */
  remove(serviceId: string): Instance | undefined {
    const componentId = componentOfInstance(serviceId);
    const list = this.byComponent.get(componentId);
    const i = list?.findIndex((x) => x.serviceId === serviceId) ?? -1;
    if (!list || i < 0 || list[i].slot === 1) return undefined;
    return list.splice(i, 1)[0];
  }

  /** The instances of a component, primary first, then by slot. */
  of(componentId: string): Instance[] {
    return [...(this.byComponent.get(componentId) ?? [])].sort((a, b) => a.slot - b.slot);
  }

  get(serviceId: string): Instance | undefined {
    return this.byComponent.get(componentOfInstance(serviceId))?.find((i) => i.serviceId === serviceId);
  }
}
