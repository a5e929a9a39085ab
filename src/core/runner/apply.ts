// What a changed pipeline file means for a live run: which components to restart (their run spec
// changed), start (added), stop (removed), re-wire only (inputs or accepted event types changed) or
// leave alone (same pid).
import type { ComponentSpec } from '../pipeline/model';

export interface SpecDiff {
  added: ComponentSpec[];
  removed: string[];
  /** How it runs changed: stop it and start it with the new spec. */
  changed: string[];
  /** Only its place in the data graph changed: edges are re-wired, its process keeps running. */
  rewired: string[];
  unchanged: string[];
}

/** The fields that decide how a component's process runs (a change means a restart). */
function runKey(c: ComponentSpec): string {
  return stable({
    role: c.role,
    type: c.type,
    image: c.image,
    command: c.command,
    args: c.args,
    env: c.env,
    config: c.config,
    health_port: c.health_port,
    restart_policy: c.restart_policy,
    volumes: c.volumes,
    secrets: c.secrets,
    ports: c.ports,
    output_event_types: c.output_event_types,
  });
}

/** The fields that decide its edges. */
function wireKey(c: ComponentSpec): string {
  return stable({ inputs: c.inputs ?? [], input_event_types: c.input_event_types ?? [] });
}

export function diffSpecs(before: ComponentSpec[], after: ComponentSpec[]): SpecDiff {
  const old = new Map(before.filter((c) => c.id).map((c) => [c.id, c]));
  const now = new Map(after.filter((c) => c.id).map((c) => [c.id, c]));
  const out: SpecDiff = { added: [], removed: [], changed: [], rewired: [], unchanged: [] };
  for (const [id, c] of old) {
    const n = now.get(id);
    // A component that moved to another section is another kind of server: stop the old, start the new.
    if (!n || n.role !== c.role) out.removed.push(id);
  }
  for (const [id, n] of now) {
    const c = old.get(id);
    if (!c || c.role !== n.role) out.added.push(n);
    else if (runKey(c) !== runKey(n)) out.changed.push(id);
    else if (wireKey(c) !== wireKey(n)) out.rewired.push(id);
    else out.unchanged.push(id);
  }
  return out;
}

/** JSON with object keys sorted (so key order in the file does not count as a change). */
function stable(v: unknown): string {
  return JSON.stringify(v, (_k, value) =>
    value && typeof value === 'object' && !Array.isArray(value)
      ? Object.fromEntries(Object.keys(value).sort().map((k) => [k, (value as Record<string, unknown>)[k]]))
      : value,
  );
}
