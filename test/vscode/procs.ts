// Finds and kills processes by an environment marker, so that nothing a test host started
// (code-server, its extension host, terminals, pipeline components in their own process groups)
// outlives the test, even when it was re-parented to init.
import * as fs from 'node:fs';

/** Pids (other than ours) whose environment contains `name=value`. Linux /proc only. */
export function markedPids(name: string, value: string): number[] {
  const needle = Buffer.from(`${name}=${value}\0`);
  const pids: number[] = [];
  let entries: string[] = [];
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return pids;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    try {
      const env = fs.readFileSync(`/proc/${pid}/environ`);
      if (env.indexOf(needle) === 0 || env.indexOf(Buffer.concat([Buffer.from('\0'), needle])) >= 0) pids.push(pid);
    } catch {
      /* gone, or not ours to read */
    }
  }
  return pids;
}

/** SIGKILLs every marked process, repeating until none is left (up to ~2 s). Returns how many were killed. */
export async function killMarked(name: string, value: string): Promise<number> {
  let killed = 0;
  for (let round = 0; round < 20; round++) {
    const pids = markedPids(name, value).filter((pid) => !isZombie(pid));
    if (pids.length === 0) break;
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
        killed++;
      } catch {
        /* already gone */
      }
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return killed;
}

function isZombie(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}

/** Pids of the pipeline components a test host started: marked processes with FLOWCTL_COMPONENT_ID=<id>. */
export function componentPids(name: string, value: string, componentId?: string): Map<number, string> {
  const out = new Map<number, string>();
  for (const pid of markedPids(name, value)) {
    if (isZombie(pid)) continue;
    try {
      const env = fs.readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
      const id = env.find((e) => e.startsWith('FLOWCTL_COMPONENT_ID='))?.slice('FLOWCTL_COMPONENT_ID='.length);
      if (id && (componentId === undefined || id === componentId)) out.set(pid, id);
    } catch {
      /* gone */
    }
  }
  return out;
}
