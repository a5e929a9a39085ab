// Who is on the other end of a gRPC call, from grpc-js's peer string
// (`ipv4:127.0.0.1:5341`, `ipv6:[::1]:5341`, `127.0.0.1:5341`, `[::1]:5341`, `unix:/path`).
import * as net from 'node:net';

/** The host part of a peer string ('' when it cannot be parsed). */
export function peerHost(peer: string | undefined): string {
  if (!peer) return '';
  let p = peer.replace(/^(ipv4|ipv6):/, '');
  if (p.startsWith('[')) {
    const end = p.indexOf(']');
    return end > 0 ? p.slice(1, end) : '';
  }
  const colon = p.lastIndexOf(':');
  if (colon > 0 && net.isIPv4(p.slice(0, colon))) p = p.slice(0, colon);
  return p;
}

/** True for 127.0.0.0/8, ::1, IPv4-mapped loopback, and unix-socket peers. */
export function isLoopbackPeer(peer: string | undefined): boolean {
  if (!peer) return false;
  if (peer.startsWith('unix:')) return true;
  return isLoopbackHost(peerHost(peer));
}

export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^::ffff:/, '');
  if (net.isIPv4(h)) return h.startsWith('127.');
  return h === '::1' || h === '0:0:0:0:0:0:0:1' || h === 'localhost';
}
