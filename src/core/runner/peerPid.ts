// Finds which local process owns the client end of a TCP connection (Linux /proc), so a component
// that registers under an id other than its pipeline id can still be matched to the process we spawned.
import * as fs from 'node:fs/promises';

/** Parses a grpc-js peer string (`ipv4:127.0.0.1:5341`, `ipv6:[::1]:5341`, `127.0.0.1:5341`) → port. */
export function peerPort(peer: string | undefined): number | undefined {
  if (!peer) return undefined;
  const m = /:(\d+)$/.exec(peer);
  return m ? Number(m[1]) : undefined;
}

/** Socket inodes whose LOCAL port is `localPort` and REMOTE port is `remotePort`. */
async function socketInodes(localPort: number, remotePort: number): Promise<Set<string>> {
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = await fs.readFile(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 10) continue;
      const local = parseInt(cols[1].split(':')[1], 16);
      const remote = parseInt(cols[2].split(':')[1], 16);
      if (local === localPort && remote === remotePort) inodes.add(cols[9]);
    }
  }
  return inodes;
}

/** Direct children of every process, from /proc/<pid>/stat (field 4 = ppid). */
async function childrenMap(): Promise<Map<number, number[]>> {
  const map = new Map<number, number[]>();
  let entries: string[];
  try {
    entries = await fs.readdir('/proc');
  } catch {
    return map;
  }
  await Promise.all(
    entries
      .filter((e) => /^\d+$/.test(e))
      .map(async (e) => {
        try {
          const stat = await fs.readFile(`/proc/${e}/stat`, 'utf8');
          const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
          const list = map.get(ppid) ?? [];
          list.push(Number(e));
          map.set(ppid, list);
        } catch {
          // process ended while we looked
        }
      }),
  );
  return map;
}

async function ownsSocket(pid: number, inodes: Set<string>): Promise<boolean> {
  let fds: string[];
  try {
    fds = await fs.readdir(`/proc/${pid}/fd`);
  } catch {
    return false;
  }
  for (const fd of fds) {
    try {
      const target = await fs.readlink(`/proc/${pid}/fd/${fd}`);
      const m = /^socket:\[(\d+)\]$/.exec(target);
      if (m && inodes.has(m[1])) return true;
    } catch {
      // fd closed meanwhile
    }
  }
  return false;
}

/**
 * Which of `roots` (pids we spawned) owns — itself or through a descendant — the client socket of
 * `peer` connected to our server port. Returns the matching root pid, or undefined.
 */
export async function rootPidOfPeer(peer: string | undefined, serverPort: number, roots: number[]): Promise<number | undefined> {
  const port = peerPort(peer);
  if (port === undefined || process.platform !== 'linux' || roots.length === 0) return undefined;
  const inodes = await socketInodes(port, serverPort);
  if (inodes.size === 0) return undefined;
  const children = await childrenMap();
  for (const root of roots) {
    const stack = [root];
    const seen = new Set<number>();
    while (stack.length) {
      const pid = stack.pop()!;
      if (seen.has(pid)) continue;
      seen.add(pid);
      if (await ownsSocket(pid, inodes)) return root;
      stack.push(...(children.get(pid) ?? []));
    }
  }
  return undefined;
}
