// How to know a debugger listens: Node prints "Debugger listening on ws://127.0.0.1:PORT/<uuid>" on
// stderr; debugpy and Delve were given their port, which then shows as listening in /proc/net/tcp
// (read, not connected to: a probe connection would count as a client to some debuggers).
import * as fs from 'node:fs';
import * as net from 'node:net';

export interface InspectorAddress {
  host: string;
  port: number;
  /** ws://host:port/<id>: the inspector's WebSocket (what `/json/list` also gives). */
  websocketUrl: string;
}

/** The address in Node's "Debugger listening on ws://…" line, if the line is one. */
export function parseInspectorLine(line: string): InspectorAddress | undefined {
  // eslint-disable-next-line no-control-regex
  const plain = line.replace(/\x1b\[[0-9;]*m/g, '');
  const m = /Debugger listening on (ws:\/\/(\[[0-9a-fA-F:]+\]|[\w.-]+):(\d+)\/[\w-]+)/.exec(plain);
  if (!m) return undefined;
  return { host: m[2].replace(/^\[|\]$/g, ''), port: Number(m[3]), websocketUrl: m[1] };
}

/** Ports in LISTEN state in a /proc/net/tcp or tcp6 table. */
export function listeningPorts(table: string): Set<number> {
  const out = new Set<number>();
  for (const line of table.split('\n').slice(1)) {
    const cols = line.trim().split(/\s+/);
    if (cols.length < 4 || cols[3] !== '0A') continue;
    const port = parseInt(cols[1].split(':')[1] ?? '', 16);
    if (Number.isInteger(port)) out.add(port);
  }
  return out;
}

/**
 * Whether something listens on the loopback port: from /proc/net/tcp{,6} where there is one; elsewhere
 * by connecting (only used for debuggers that accept several clients).
 */
export async function portListens(port: number, allowConnect: boolean): Promise<boolean> {
  let sawProc = false;
  for (const f of ['/proc/net/tcp', '/proc/net/tcp6']) {
    try {
      const text = fs.readFileSync(f, 'utf8');
      sawProc = true;
      if (listeningPorts(text).has(port)) return true;
    } catch {
      /* not Linux, or no IPv6 */
    }
  }
  if (sawProc || !allowConnect) return false;
  return new Promise((resolve) => {
    const sock = net.connect({ host: '127.0.0.1', port });
    sock.once('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('error', () => resolve(false));
  });
}
