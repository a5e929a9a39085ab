// Which pipeline components the data plane connects, and how: the inputs graph over components that
// registered through the v1 API. Legacy-API components wire their own data (component-contract §6.7);
// `spec.pipelines` entries are black boxes; a component nobody reads from and that reads from nobody
// has nothing to wire.
import type { ServiceRecord } from '../controlplane/model';
import type { DataPlaneNode } from '../dataplane';
import type { ComponentSpec } from '../pipeline/model';

export interface WiringPlan {
  nodes: DataPlaneNode[];
  /** Components left out because they registered through the legacy API. */
  legacy: string[];
}

export function planWiring(components: ComponentSpec[], recordOf: (id: string) => ServiceRecord | undefined): WiringPlan {
  const legacy: string[] = [];
  const candidates = components.filter((c) => {
    if (c.role === 'pipeline') return false;
    if (recordOf(c.id)?.legacy) {
      legacy.push(c.id);
      return false;
    }
    return true;
  });
  const kept = new Set(candidates.map((c) => c.id));
  const nodes: DataPlaneNode[] = candidates.map((c) => {
    const registeredTypes = recordOf(c.id)?.info.input_event_types;
    return {
      id: c.id,
      role: c.role as DataPlaneNode['role'],
      inputs: (c.inputs ?? []).filter((i) => kept.has(i)),
      inputEventTypes: registeredTypes?.length ? registeredTypes : c.input_event_types,
    };
  });
  const fed = new Set(nodes.flatMap((n) => n.inputs));
  return { nodes: nodes.filter((n) => n.inputs.length > 0 || fed.has(n.id)), legacy };
}

/** StreamRequest.params for a source, like flowctl: start_ledger / end_ledger from its env. */
export function sourceParams(spec: ComponentSpec | undefined): Record<string, string> {
  const env = spec?.env ?? {};
  const p: Record<string, string> = {};
  if (env.START_LEDGER) p.start_ledger = String(env.START_LEDGER);
  if (env.END_LEDGER) p.end_ledger = String(env.END_LEDGER);
  return p;
}
