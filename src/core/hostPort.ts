// host:port strings, with IPv6 hosts in brackets ("[::1]:8080").
export function joinHostPort(host: string, port: number): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]:${port}` : `${host}:${port}`;
}
