// Where flowctl keeps its per-user state: ~/.flowctl unless FLOWCTL_HOME says otherwise.
import * as os from 'node:os';
import * as path from 'node:path';

export function flowctlHome(): string {
  return process.env.FLOWCTL_HOME || path.join(os.homedir(), '.flowctl');
}

/** The endpoint file a running control plane writes so CLI commands find it without flags. */
export function endpointFilePath(home = flowctlHome()): string {
  return path.join(home, 'endpoint.json');
}
