// Which local process is at the other end of a connection to our server (Linux /proc): the client
// socket's inode comes from /proc/net/tcp{,6} (its local port = the peer port, its remote port = ours),
// and the process holding that inode from a scan of /proc/<pid>/fd. That costs a few ms per hundred
// processes, so callers cache the answer per connection (access.ts), and lookups are answered in
// batches: every lookup that arrives while a batch runs waits for the next one, and one batch reads the
// socket tables once and scans /proc once for all of them (200 components registering at once cost one
// or two scans, not 200). A caller that knows which processes are likely at the other end (the runner:
// the processes it spawned) names them, and their fd tables are read first: on a machine with hundreds
// of processes a registration then costs a handful of reads instead of a walk through the newest pids.
import * as fs from 'node:fs/promises';

/** Parses a grpc-js peer string (`ipv4:127.0.0.1:5341`, `ipv6:[::1]:5341`, `127.0.0.1:5341`) → port. */
export function peerPort(peer: string | undefined): number | undefined {
  if (!peer) return undefined;
  const m = /:(\d+)$/.exec(peer);
  return m ? Number(m[1]) : undefined;
}

/** The client end of a connection: its process (when we may look at it) and the socket's owner. */
export interface PeerProcess {
  /** The process holding the client socket; undefined when not found (gone, or not ours to look at). */
  pid: number | undefined;
  /** The uid that owns the client socket (/proc/net/tcp), known even when its process cannot be looked at. */
  uid: number | undefined;
}

interface Lookup {
  peerPort: number;
  serverPort: number;
  /** The peer has an IPv6 address (grpc-js `ipv6:[…]:port`): its socket is most likely in /proc/net/tcp6. */
  v6: boolean;
  /** Processes to look at first (they usually hold the socket). */
  likely?: () => Iterable<number>;
  resolve: (peer: PeerProcess) => void;
}

interface ClientSocket {
  inode: string;
  uid: number;
}

/**
 * "clientPort:serverPort" → the client ends of the TCP sockets in our network namespace. The kernel walks
 * its whole connection hash table for each of /proc/net/tcp and tcp6 (~6 ms of CPU each here, however few
 * sockets there are), so the table of the peers' address family is read first, and the other only when
 * some wanted `keys` are not in it (a client dialing 127.0.0.1 holds an IPv4 socket even when a
 * dual-stack server calls it ::ffff:127.0.0.1).
 */
async function clientSockets(keys: ReadonlySet<string>, v6First: boolean): Promise<Map<string, ClientSocket[]>> {
  const out = new Map<string, ClientSocket[]>();
  const tables = v6First ? ['/proc/net/tcp6', '/proc/net/tcp'] : ['/proc/net/tcp', '/proc/net/tcp6'];
  for (const table of tables) {
    if ([...keys].every((k) => out.has(k))) break;
    let text: string;
    try {
      text = await fs.readFile(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      // Inode 0: a connection no process holds any more (TIME_WAIT); it must not hide the live one.
      if (cols.length < 10 || cols[9] === '0') continue;
      const local = parseInt(cols[1]!.split(':')[1]!, 16);
      const remote = parseInt(cols[2]!.split(':')[1]!, 16);
      const key = `${local}:${remote}`;
      const socket = { inode: cols[9]!, uid: Number(cols[7]) };
      const list = out.get(key);
      if (list) list.push(socket);
      else out.set(key, [socket]);
    }
  }
  return out;
}

/**
 * inode → pid for the wanted inodes (for a socket several processes share, such as a parent and the
 * child it forked, the lowest pid among those seen before the scan stopped). Processes are looked at
 * newest first (highest pid), a few dozen at a time, and the scan stops once every wanted inode is
 * found: a component registers right after it was started, so its process is among the newest and the
 * scan rarely reads more than a handful of fd tables, and of each only its newest fds.
 */
async function socketOwners(wanted: Set<string>, likely: ReadonlySet<number> = new Set()): Promise<Map<string, number>> {
  const owners = new Map<string, number>();
  const readFd = async (pid: number, fd: string) => {
    try {
      const target = await fs.readlink(`/proc/${pid}/fd/${fd}`);
      if (!target.startsWith('socket:[')) return;
      const inode = target.slice(8, -1);
      if (!wanted.has(inode)) return;
      const seen = owners.get(inode);
      if (seen === undefined || pid < seen) owners.set(inode, pid);
    } catch {
      // fd closed meanwhile
    }
  };
  // A process's fds newest (highest) first, FD_CHUNK at a time, until every wanted socket is found: the
  // connection that is registering was usually the last fd its process opened.
  const look = async (pid: number) => {
    let fds: string[];
    try {
      fds = await fs.readdir(`/proc/${pid}/fd`);
    } catch {
      return; // gone, or not ours to look at
    }
    fds.sort((a, b) => Number(b) - Number(a));
    for (let i = 0; i < fds.length && owners.size < wanted.size; i += FD_CHUNK) {
      await Promise.all(fds.slice(i, i + FD_CHUNK).map((fd) => readFd(pid, fd)));
    }
  };
  // The likely holders first; when they hold every wanted socket, nothing else is read. (A socket several
  // processes share is then attributed to the likely one: it is that process's connection either way.)
  const first = [...likely].filter((pid) => Number.isInteger(pid) && pid > 0);
  for (let i = 0; i < first.length && owners.size < wanted.size; i += SCAN_CHUNK) {
    await Promise.all(first.slice(i, i + SCAN_CHUNK).map(look));
  }
  if (owners.size >= wanted.size) return owners;
  let entries: string[];
  try {
    entries = await fs.readdir('/proc');
  } catch {
    return owners;
  }
  const pids = entries
    .filter((e) => e.charCodeAt(0) >= 48 && e.charCodeAt(0) <= 57)
    .map(Number)
    .filter((pid) => !likely.has(pid))
    .sort((a, b) => b - a);
  for (let i = 0; i < pids.length && owners.size < wanted.size; i += SCAN_CHUNK) {
    await Promise.all(pids.slice(i, i + SCAN_CHUNK).map(look));
  }
  return owners;
}

/** Processes whose fd tables are read at once. */
const SCAN_CHUNK = 32;
/** Fds of one process read at once. */
const FD_CHUNK = 8;

let queue: Lookup[] = [];
let running = false;

async function runBatches(): Promise<void> {
  running = true;
  try {
    while (queue.length > 0) {
      const batch = queue;
      queue = [];
      try {
        const keyOf = (l: Lookup) => `${l.peerPort}:${l.serverPort}`;
        const sockets = await clientSockets(new Set(batch.map(keyOf)), batch.every((l) => l.v6));
        const socketsOf = (l: Lookup) => sockets.get(keyOf(l)) ?? [];
        const wanted = new Set(batch.flatMap((l) => socketsOf(l).map((s) => s.inode)));
        const likely = new Set<number>();
        for (const l of batch) for (const pid of l.likely?.() ?? []) likely.add(pid);
        const owners = wanted.size ? await socketOwners(wanted, likely) : new Map<string, number>();
        for (const l of batch) {
          const found = socketsOf(l);
          const pid = found.map((s) => owners.get(s.inode)).find((p) => p !== undefined);
          const uid = found.find((s) => Number.isInteger(s.uid))?.uid;
          l.resolve({ pid, uid });
        }
      } catch {
        for (const l of batch) l.resolve({ pid: undefined, uid: undefined });
      }
    }
  } finally {
    running = false;
  }
}

/**
 * The process (pid) whose socket is the client end of `peer` (a grpc-js peer string such as
 * `ipv4:127.0.0.1:53412`) connected to our `serverPort`, and the uid owning that socket; pid undefined
 * if it is not a local TCP peer, not ours to look at (another user's process), or not on Linux.
 * `likely`: processes to look at first (e.g. those the caller spawned).
 */
export function processOfPeer(peer: string, serverPort: number, likely?: () => Iterable<number>): Promise<PeerProcess> {
  const port = peerPort(peer);
  if (port === undefined || process.platform !== 'linux') return Promise.resolve({ pid: undefined, uid: undefined });
  return new Promise((resolve) => {
    // A v4-mapped peer (::ffff:127.0.0.1) most likely dialed over IPv4.
    const v6 = (peer.startsWith('ipv6:') || peer.startsWith('[')) && !/::ffff:\d+\.\d+\.\d+\.\d+\]/i.test(peer);
    queue.push({ peerPort: port, serverPort, v6, likely, resolve });
    if (!running) void runBatches();
  });
}
