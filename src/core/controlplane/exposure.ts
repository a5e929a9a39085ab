// What a control plane bound off loopback exposes, said once at start-up.
import { isLoopbackHost } from '../hostPort';
import type { TransportSecurity } from './tls';

/**
 * A warning for a control plane that others can reach without mutual TLS (undefined when it is on
 * loopback or requires client certificates). `flag` is how the bind address was set.
 */
export function exposureWarning(address: string, security: TransportSecurity, flag = '--address'): string | undefined {
  if (isLoopbackHost(address) || security === 'mtls') return undefined;
  const where = `${flag} ${address}`;
  const how =
    security === 'plaintext'
      ? 'without TLS, anyone who can reach the port can register components, read pipeline runs and stop them'
      : 'with TLS but without client certificates (--tls-ca-cert), anyone who can reach the port can register components, read pipeline runs and stop them';
  return `the control plane listens on ${where} ${how}. Keep it on 127.0.0.1, or require mutual TLS (--tls-cert, --tls-key and --tls-ca-cert)`;
}
