// TLS for our own clients (CLI commands, the runner's external link, the extension's Connect…):
// channel credentials from EndpointTls settings, and the settings a local client needs to reach a
// server this process serves (recorded in the endpoint entry).
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as grpc from '@grpc/grpc-js';
import type { EndpointTls } from '../endpointFile';
import type { TlsFiles } from '../runnerTypes';

export interface ClientTlsSettings extends EndpointTls {
  /** Encrypt but do not verify the server certificate. */
  skipVerify?: boolean;
}

export interface ClientChannel {
  credentials: grpc.ChannelCredentials;
  options: grpc.ChannelOptions;
}

function readPem(file: string | undefined, what: string): Buffer | null {
  if (!file) return null;
  try {
    return fs.readFileSync(file);
  } catch (err) {
    throw new Error(`cannot read the ${what} ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/** Plaintext for null/undefined; TLS (optionally mutual, optionally with a name override) otherwise. */
export function clientChannel(tls: ClientTlsSettings | null | undefined): ClientChannel {
  if (!tls) return { credentials: grpc.credentials.createInsecure(), options: {} };
  if (!!tls.certFile !== !!tls.keyFile) throw new Error('a client certificate and its key go together (tls certFile and keyFile)');
  const credentials = grpc.credentials.createSsl(
    readPem(tls.caFile, 'CA certificate'),
    readPem(tls.keyFile, 'client key'),
    readPem(tls.certFile, 'client certificate'),
    tls.skipVerify ? { checkServerIdentity: () => undefined, rejectUnauthorized: false } : undefined,
  );
  const options: grpc.ChannelOptions = {};
  if (tls.serverName) {
    options['grpc.ssl_target_name_override'] = tls.serverName;
    options['grpc.default_authority'] = tls.serverName;
  }
  return { credentials, options };
}

/** DNS names of a certificate's subjectAltName (or its CN when it has none). */
function dnsNames(cert: crypto.X509Certificate): string[] {
  const san = cert.subjectAltName ?? '';
  const names = san
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.startsWith('DNS:'))
    .map((s) => s.slice(4));
  if (names.length) return names;
  const cn = /(?:^|\n)CN=([^\n]+)/.exec(cert.subject)?.[1];
  return cn ? [cn] : [];
}

/**
 * What a client on this machine needs to reach a server that serves `files` on `host`: the CA that
 * verifies the server certificate (the mutual-TLS CA if it signed it, else the certificate itself when
 * self-signed) and the name to verify when the certificate does not name `host`. A client certificate
 * for mutual TLS is not known here (clients pass their own).
 */
export function clientTlsForServer(files: TlsFiles, host: string): EndpointTls {
  const tls: EndpointTls = {};
  let cert: crypto.X509Certificate;
  try {
    cert = new crypto.X509Certificate(fs.readFileSync(files.certFile));
  } catch {
    return tls;
  }
  try {
    if (files.caFile) {
      const ca = new crypto.X509Certificate(fs.readFileSync(files.caFile));
      if (cert.checkIssued(ca) && cert.verify(ca.publicKey)) tls.caFile = files.caFile;
    }
  } catch {
    // unreadable CA: no CA recorded
  }
  if (!tls.caFile && cert.checkIssued(cert) && cert.verify(cert.publicKey)) tls.caFile = files.certFile;
  const named = net.isIP(host) ? cert.checkIP(host) !== undefined : cert.checkHost(host) !== undefined;
  if (!named) {
    const name = dnsNames(cert)[0];
    if (name) tls.serverName = name;
  }
  return tls;
}
