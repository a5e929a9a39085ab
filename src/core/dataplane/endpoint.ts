// Turns a registered ComponentInfo.endpoint into an address we can dial from this machine.

export interface DialTarget {
  address: string;
  /** Set when the endpoint cannot be a gRPC data-plane address (e.g. a legacy HTTP health URL). */
  problem?: string;
}

/**
 * ":50051" → "127.0.0.1:50051" (the Go SDK registers its listen string without a host);
 * "0.0.0.0:p" / "[::]:p" → "127.0.0.1:p"; "50051" → "127.0.0.1:50051"; "host:p" unchanged.
 * An "http(s)://" URL is reported as a problem: the legacy API registers its HTTP health URL as endpoint.
 */
export function normalizeEndpoint(endpoint: string): DialTarget {
  let e = endpoint.trim();
  if (e === '') return { address: '', problem: 'the component registered an empty endpoint' };
  if (/^https?:\/\//i.test(e)) {
    return {
      address: e,
      problem: `endpoint "${e}" is an HTTP URL (a legacy health endpoint?), not a gRPC data-plane address`,
    };
  }
  e = e.replace(/^(grpc|tcp):\/\//i, '');
  if (/^\d+$/.test(e)) return { address: `127.0.0.1:${e}` };
  const m = /^(.*):(\d+)$/.exec(e);
  if (!m) return { address: e };
  const host = m[1];
  const port = m[2];
  if (host === '' || host === '0.0.0.0' || host === '[::]' || host === '::' || host === '*') return { address: `127.0.0.1:${port}` };
  return { address: e };
}

const LOOPBACK_OR_WILDCARD = /^(?:|0\.0\.0\.0|\[::\]|::|\*|localhost|127(?:\.\d{1,3}){3}|\[::1\]|::1)$/i;

/** The host of a grpc-js peer string: `ipv4:10.0.1.5:43210` → 10.0.1.5, `ipv6:[fd00::1]:4321` → fd00::1. */
export function peerHost(peer: string | undefined): string | undefined {
  if (!peer) return undefined;
  const p = peer.replace(/^(ipv4|ipv6|unix):/, '');
  const v6 = /^\[([^\]]+)\]:\d+$/.exec(p);
  if (v6) return v6[1];
  const v4 = /^([^:]+):\d+$/.exec(p);
  return v4 ? v4[1] : undefined;
}

/**
 * Where a component is reached, given the endpoint it registered and the peer its registration came
 * from. A component in another container or pod that registers a host-less, wildcard or loopback
 * endpoint (the Go SDK sends ":50051"; ours sends 127.0.0.1:<port> unless FLOWCTL_ADVERTISE_HOST is
 * set) is reached at the address its registration came from, on the port it named. Registrations
 * from this machine (a loopback peer) and endpoints with a real host are kept as they are.
 */
export function reachableEndpoint(endpoint: string, peer: string | undefined): DialTarget {
  const base = normalizeEndpoint(endpoint);
  if (base.problem) return base;
  const from = peerHost(peer);
  if (!from || LOOPBACK_OR_WILDCARD.test(from) || from.startsWith('127.') || /^::ffff:127\./i.test(from)) return base;
  const e = endpoint.trim().replace(/^(grpc|tcp):\/\//i, '');
  const m = /^(.*):(\d+)$/.exec(e) ?? (/^\d+$/.test(e) ? ['', '', e] : null);
  if (!m) return base;
  if (!LOOPBACK_OR_WILDCARD.test(m[1])) return base;
  const host = from.replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/i, '$1');
  return { address: host.includes(':') ? `[${host}]:${m[2]}` : `${host}:${m[2]}` };
}

/**
 * A component's PORT as it must be inside a container that others dial: our SDK binds 127.0.0.1 for a
 * PORT without a host, so ":50051" / "50051" become "0.0.0.0:50051" (the same address to Go's
 * net.Listen); a PORT that names its host is kept.
 */
export function listenOnEveryInterface(port: string): string {
  const m = /^\s*:?(\d{1,5})\s*$/.exec(port);
  return m ? `0.0.0.0:${m[1]}` : port;
}
