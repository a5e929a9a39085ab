// Matches the process at the other end of a registering connection to a process we spawned, so a
// component that registers under an id other than its pipeline id is still recognised. Which process
// holds the connection comes from the control plane's batched /proc lookup (controlplane/peerProcess.ts);
// this file only walks up from it to one of the roots.
import * as fs from 'node:fs/promises';
import { peerPort, processOfPeer } from '../controlplane/peerProcess';

export { peerPort };

/** Parent pid from /proc/<pid>/stat (field 4); undefined once the process is gone. */
async function parentOf(pid: number): Promise<number | undefined> {
  try {
    const stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

/**
 * Which of `roots` (pids we spawned) owns — itself or through a descendant — the client socket of
 * `peer` connected to our server port. Returns the matching root pid, or undefined.
 */
export async function rootPidOfPeer(peer: string | undefined, serverPort: number, roots: number[]): Promise<number | undefined> {
  if (!peer || roots.length === 0) return undefined;
  const { pid } = await processOfPeer(peer, serverPort, () => roots);
  const wanted = new Set(roots);
  // Up the parent chain from the socket's owner: a descendant of a root ends at that root.
  for (let p = pid, hops = 0; p !== undefined && p > 1 && hops < 64; hops++) {
    if (wanted.has(p)) return p;
    p = await parentOf(p);
  }
  return undefined;
}
