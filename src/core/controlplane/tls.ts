// Server TLS for the control plane: certificate + key = TLS; plus a CA = mutual TLS (clients must
// present a certificate signed by that CA), as `flowctl server --tls-cert/--tls-key/--tls-ca-cert`.
import * as fs from 'node:fs';
import * as tls from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import type { TlsFiles } from '../runnerTypes';

export type { TlsFiles };

export type TransportSecurity = 'plaintext' | 'tls' | 'mtls';

function readPem(what: string, file: string): Buffer {
  if (!file) throw new Error(`${what} file is required when TLS is enabled`);
  try {
    return fs.readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'file does not exist' : code === 'EACCES' ? 'permission denied' : (err as Error).message;
    throw new Error(`cannot read ${what} file ${file}: ${why}`);
  }
}

/** Loads and checks the files; errors name the file and what is wrong with it. */
export function loadServerCredentials(files: TlsFiles | undefined): { credentials: grpc.ServerCredentials; security: TransportSecurity } {
  if (!files) return { credentials: grpc.ServerCredentials.createInsecure(), security: 'plaintext' };
  const cert = readPem('TLS certificate', files.certFile);
  const key = readPem('TLS key', files.keyFile);
  const ca = files.caFile ? readPem('TLS CA certificate', files.caFile) : undefined;
  // Parse now so a bad file is reported here, by name, rather than as a bind failure.
  try {
    tls.createSecureContext({ cert, key });
  } catch (err) {
    throw new Error(`failed to load TLS key pair (${files.certFile}, ${files.keyFile}): ${(err as Error).message}`);
  }
  if (ca) {
    try {
      tls.createSecureContext({ ca });
      if (!ca.toString('utf8').includes('-----BEGIN CERTIFICATE-----')) throw new Error('no PEM certificate found');
    } catch (err) {
      throw new Error(`failed to load TLS CA certificate ${files.caFile}: ${(err as Error).message}`);
    }
  }
  return {
    credentials: grpc.ServerCredentials.createSsl(ca ?? null, [{ private_key: key, cert_chain: cert }], !!ca),
    security: ca ? 'mtls' : 'tls',
  };
}
