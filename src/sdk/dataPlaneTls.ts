// The component's data-plane server credentials. With mutual TLS to the control plane (FLOWCTL_TLS_CA_FILE,
// FLOWCTL_TLS_CERT_FILE and FLOWCTL_TLS_KEY_FILE all set), the hub streams events over mutual TLS too
// (src/core/dataplane/tls.ts): the server presents the component's certificate and accepts only a client
// certificate the CA signed (the hub's). Otherwise plaintext, as every local run.
import * as fs from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import type { SdkTls } from './config';

export function dataPlaneServerCredentials(tls: SdkTls | undefined): { credentials: grpc.ServerCredentials; mutualTls: boolean } {
  if (!tls?.caFile || !tls.certFile || !tls.keyFile) return { credentials: grpc.ServerCredentials.createInsecure(), mutualTls: false };
  const read = (what: string, file: string) => {
    try {
      return fs.readFileSync(file);
    } catch (err) {
      throw new Error(`cannot read ${what} ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'file does not exist' : (err as Error).message}`);
    }
  };
  const ca = read('FLOWCTL_TLS_CA_FILE', tls.caFile);
  const cert = read('FLOWCTL_TLS_CERT_FILE', tls.certFile);
  const key = read('FLOWCTL_TLS_KEY_FILE', tls.keyFile);
  return { credentials: grpc.ServerCredentials.createSsl(ca, [{ cert_chain: cert, private_key: key }], true), mutualTls: true };
}
