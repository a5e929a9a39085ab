// Mutual TLS on the data plane. When the run's control plane requires client certificates (--tls-cert,
// --tls-key and --tls-ca-cert: a hub reached over a cluster network), the event streams to the
// components' data-plane servers use the same files: the runner presents its certificate as the client
// and accepts a component's server certificate only when the CA signed it. A component is reached at an
// address its orchestrator assigns (an overlay or pod IP), so its certificate's names are not matched
// against that address — trust is the CA's signature, the same trust its registration needed. Without
// mutual TLS nothing changes: plaintext on loopback, as every local run.
import * as fs from 'node:fs';
import type { TlsFiles } from '../runnerTypes';

export interface DataPlaneTls {
  ca: Buffer;
  cert: Buffer;
  key: Buffer;
}

function read(what: string, file: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(`cannot read the ${what} file ${file} for the data plane: ${code === 'ENOENT' ? 'file does not exist' : code === 'EACCES' ? 'permission denied' : (err as Error).message}`);
  }
}

/** The data plane's client TLS for a run's control-plane TLS files: undefined (plaintext) unless they make mutual TLS. */
export function dataPlaneTls(files: TlsFiles | undefined): DataPlaneTls | undefined {
  if (!files?.caFile || !files.certFile || !files.keyFile) return undefined;
  return { ca: read('TLS CA certificate', files.caFile), cert: read('TLS certificate', files.certFile), key: read('TLS key', files.keyFile) };
}

/** Error codes of node's TLS layer (a handshake that failed: wrong CA, no certificate, a plaintext peer). */
export function isTlsError(err: NodeJS.ErrnoException | null | undefined): boolean {
  const code = err?.code ?? '';
  return (
    /^ERR_SSL_|^ERR_TLS_|^CERT_|^UNABLE_TO_(GET|VERIFY)|SELF_SIGNED|^ERR_OSSL/.test(code) ||
    /certificate|handshake|wrong version number|packet length too long|ssl3_get_record|alert/i.test(err?.message ?? '')
  );
}
