// Which pipeline components the data plane connects: the inputs graph over sources, processors and
// sinks (`spec.pipelines` entries are black boxes). A component that registers through the legacy API
// wires its own data (component-contract §6.7): the runner leaves it out when it registers.
import type { DataPlaneNode } from '../dataplane';
import type { ComponentSpec } from '../pipeline/model';

/** Data-plane nodes of the pipeline; sinks accept the event types their spec declares (the registration may say otherwise). */
export function dataNodes(components: ComponentSpec[]): DataPlaneNode[] {
  const onPlane = components.filter((c) => c.role !== 'pipeline' && c.id);
  const ids = new Set(onPlane.map((c) => c.id));
  return onPlane.map((c) => ({
    id: c.id,
    role: c.role as DataPlaneNode['role'],
    inputs: c.role === 'source' ? [] : (c.inputs ?? []).filter((i) => ids.has(i)),
    inputEventTypes: c.input_event_types,
  }));
}

/** StreamRequest.params for a source, like flowctl: start_ledger / end_ledger from its env. */
export function sourceParams(spec: ComponentSpec | undefined): Record<string, string> {
  const env = spec?.env ?? {};
  const p: Record<string, string> = {};
  if (env.START_LEDGER) p.start_ledger = String(env.START_LEDGER);
  if (env.END_LEDGER) p.end_ledger = String(env.END_LEDGER);
  return p;
}
