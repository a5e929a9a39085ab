// Which local process is at the other end of a connection to our server (Linux /proc): the client
// socket's inode comes from /proc/net/tcp{,6} (its local port = the peer port, its remote port = ours),
// and the process holding that inode from a scan of /proc/<pid>/fd. The scan costs a few ms per hundred
// processes, so callers cache the answer per connection (access.ts), and concurrent lookups share one
// scan: a lookup that starts while a scan runs waits for it, and starts another only if its socket
// was not seen (it may be newer than the running scan).
import * as fs from 'node:fs/promises';
import { peerPort, socketInodes } from '../runner/peerPid';

/** inode → pid for every socket fd of every process we may look at. */
async function scanSocketOwners(): Promise<Map<string, number>> {
  const owners = new Map<string, number>();
  let entries: string[];
  try {
    entries = await fs.readdir('/proc');
  } catch {
    return owners;
  }
  await Promise.all(
    entries.map(async (e) => {
      if (e.charCodeAt(0) < 48 || e.charCodeAt(0) > 57) return;
      const pid = Number(e);
      let fds: string[];
      try {
        fds = await fs.readdir(`/proc/${e}/fd`);
      } catch {
        return; // gone, or not ours to look at
      }
      for (const fd of fds) {
        try {
          const target = await fs.readlink(`/proc/${e}/fd/${fd}`);
          if (target.startsWith('socket:[')) {
            const inode = target.slice(8, -1);
            // A socket shared by parent and child (inherited fd): keep the lowest pid, the parent.
            const seen = owners.get(inode);
            if (seen === undefined || pid < seen) owners.set(inode, pid);
          }
        } catch {
          // fd closed meanwhile
        }
      }
    }),
  );
  return owners;
}

let running: { promise: Promise<Map<string, number>> } | undefined;

function scan(): Promise<Map<string, number>> {
  if (running) return running.promise;
  const current = {
    promise: scanSocketOwners().finally(() => {
      if (running === current) running = undefined;
    }),
  };
  running = current;
  return current.promise;
}

/**
 * The pid of the process whose socket is the client end of `peer` (a grpc-js peer string such as
 * `ipv4:127.0.0.1:53412`) connected to our `serverPort`; undefined if it is not a local TCP peer, not
 * visible to us, or not on Linux.
 */
export async function pidOfPeer(peer: string, serverPort: number): Promise<number | undefined> {
  const port = peerPort(peer);
  if (port === undefined || process.platform !== 'linux') return undefined;
  const inodes = await socketInodes(port, serverPort);
  if (inodes.size === 0) return undefined;
  const find = (owners: Map<string, number>) => {
    for (const inode of inodes) {
      const pid = owners.get(inode);
      if (pid !== undefined) return pid;
    }
    return undefined;
  };
  const inflight = running;
  if (inflight) {
    const hit = find(await inflight.promise);
    if (hit !== undefined) return hit;
  }
  return find(await scan());
}
