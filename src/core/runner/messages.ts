// The runner's longer messages: what went wrong, where, and what to do.
import * as path from 'node:path';
import type { ServiceRecord } from '../controlplane/model';
import type { ComponentSpec } from '../pipeline/model';

/** flowctl would download registry components or use built-in binaries by type; we run a command or an image. */
export function commandlessMessage(file: string, components: ComponentSpec[]): string {
  const name = path.basename(file);
  const lines = components.map((c) => {
    const what = c.type ? ` (type ${c.type}${c.image ? `, image ${c.image}` : ''})` : c.image ? ` (image ${c.image})` : '';
    return `  ${name}:${c.position.line}:${c.position.column}: ${c.id}${what}`;
  });
  return (
    `${components.length} component(s) have nothing to run (no command and no image):\n${lines.join('\n')}\n` +
    'give each one a `command` that starts it from a local build, or an `image` to run it as a container (registry components are not downloaded)'
  );
}

export interface RegistrationTimeoutFacts {
  id: string;
  timeoutMs: number;
  /** Pid if the process still runs. */
  pid?: number;
  exitCode?: number | null;
  /** Registrations since the run started that matched no pipeline component. */
  strangers: ServiceRecord[];
  endpoint?: string;
  /** Last lines of its log. */
  tail: string[];
}

export function registrationTimeoutMessage(f: RegistrationTimeoutFacts): string {
  const state =
    f.pid !== undefined
      ? ` (its process ${f.pid} is still running)`
      : ` (its process is not running${f.exitCode != null ? `: exited with code ${f.exitCode}` : ''})`;
  const lines = [`component ${f.id} did not register with the control plane within ${Math.round(f.timeoutMs / 1000)}s${state}`];
  if (f.strangers.length) {
    lines.push(
      `  registrations that match no pipeline component: ${f.strangers.map((r) => `${r.serviceId} (component.id "${r.info.id}")`).join(', ')}`,
      `  → if one of them is ${f.id}, set its id to "${f.id}" (FLOWCTL_COMPONENT_ID is in its environment)`,
    );
  } else {
    lines.push(`  it must call RegisterComponent on FLOWCTL_ENDPOINT (${f.endpoint}) with component id "${f.id}"`);
  }
  if (f.tail.length) lines.push('  last lines of its log:', ...f.tail.map((l) => `    ${l}`));
  return lines.join('\n');
}
