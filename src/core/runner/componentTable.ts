// The runner's picture of every component: one ComponentView per pipeline component, updated from
// supervisor, registry and data-plane facts. Every change is announced through `onChange`.
import type { ComponentPhase, ComponentView } from '../events';

export type Role = ComponentView['role'];

export interface ComponentSeed {
  id: string;
  role: Role;
  position?: { line: number; column: number };
  logFile?: string;
}

export class ComponentTable {
  private views = new Map<string, ComponentView>();

  constructor(
    seeds: ComponentSeed[],
    private readonly onChange: (view: ComponentView) => void,
  ) {
    for (const s of seeds) {
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
      });
    }
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
    return [...this.views.values()].map((v) => ({ ...v, metrics: { ...v.metrics }, waitingFor: [...v.waitingFor] }));
  }

  /** Applies a partial update; announces it only if something changed. */
  update(id: string, patch: Partial<ComponentView>): void {
    const view = this.views.get(id);
    if (!view) return;
    let changed = false;
    for (const [k, v] of Object.entries(patch) as [keyof ComponentView, unknown][]) {
      const before = view[k];
      const same =
        before === v ||
        (Array.isArray(before) && Array.isArray(v) && before.length === v.length && before.every((x, i) => x === v[i]));
      if (!same) {
        (view as unknown as Record<string, unknown>)[k] = v;
        changed = true;
      }
    }
    if (changed) this.onChange({ ...view, metrics: { ...view.metrics }, waitingFor: [...view.waitingFor] });
  }

  setPhase(id: string, phase: ComponentPhase, extra: Partial<ComponentView> = {}): void {
    this.update(id, { ...extra, phase });
  }
}
