// The runner's picture of every component: one ComponentView per pipeline component, updated from
// supervisor, registry and data-plane facts. Every change is announced through `onChange`.
import type { ComponentPhase, ComponentView } from '../events';

export type Role = ComponentView['role'];

export interface ComponentSeed {
  id: string;
  role: Role;
  position?: { line: number; column: number };
  logFile?: string;
  driver?: ComponentView['driver'];
  /** Container components: the image they run. */
  image?: string;
}

export class ComponentTable {
  private views = new Map<string, ComponentView>();

  constructor(
    seeds: ComponentSeed[],
    private readonly onChange: (view: ComponentView) => void,
  ) {
    for (const s of seeds) this.add(s);
  }

  /** A new component (pipeline order: appended). */
  add(s: ComponentSeed): void {
    this.views.set(s.id, {
      id: s.id,
      role: s.role,
      phase: 'pending',
      health: 0,
      restarts: 0,
      metrics: {},
      waitingFor: [],
      eventsIn: 0,
      eventsOut: 0,
      eventsPerSecond: 0,
      position: s.position,
      logFile: s.logFile,
      driver: s.driver,
      ...(s.image !== undefined ? { image: s.image } : {}),
    });
  }

  /** Forgets a component (removed from the pipeline file). */
  remove(id: string): void {
    this.views.delete(id);
  }

  has(id: string): boolean {
    return this.views.has(id);
  }

  get(id: string): ComponentView | undefined {
    return this.views.get(id);
  }

  ids(): string[] {
    return [...this.views.keys()];
  }

  /** Copies of every view, in pipeline order. */
  list(): ComponentView[] {
    return [...this.views.values()].map(copyView);
  }

  /** Applies a partial update; announces it only if something changed. */
  update(id: string, patch: Partial<ComponentView>): void {
    const view = this.views.get(id);
    if (!view) return;
    let changed = false;
    for (const [k, v] of Object.entries(patch) as [keyof ComponentView, unknown][]) {
      const before = view[k];
      const same = before === v || sameShallow(before, v);
      if (!same) {
        (view as unknown as Record<string, unknown>)[k] = v;
        changed = true;
      }
    }
    if (changed) this.onChange(copyView(view));
  }

  setPhase(id: string, phase: ComponentPhase, extra: Partial<ComponentView> = {}): void {
    this.update(id, { ...extra, phase });
  }
}

/** A copy a listener may keep (nested lists and maps copied too). */
export function copyView(v: ComponentView): ComponentView {
  return {
    ...v,
    metrics: { ...v.metrics },
    waitingFor: [...v.waitingFor],
    ...(v.waitingOn ? { waitingOn: [...v.waitingOn] } : {}),
    ...(v.droppedBy ? { droppedBy: { ...v.droppedBy } } : {}),
  };
}

/** Equal arrays (element by element) or plain objects (key by key, one level). */
function sameShallow(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => x === b[i]);
  if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    return ka.length === kb.length && ka.every((k) => (a as Record<string, unknown>)[k] === (b as Record<string, unknown>)[k]);
  }
  return false;
}
