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
