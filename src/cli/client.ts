// Clients for CLI commands that talk to a running control plane (embedded in `flowctl run`, the VS Code
// extension, or `flowctl server`). The endpoint comes from flags, else the endpoint file, else 127.0.0.1:8080.
import * as fs from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { protos } from '../core/proto';
import { fastV1ControlPlaneClient } from '../core/wire/fastClient';
import { dialAddress, readEndpointFile, type EndpointInfo } from '../core/endpointFile';

/** How large an answer (e.g. ListComponents of a big registry) our clients accept. */
export const LIST_ANSWER_LIMIT_BYTES = 256 * 1024 * 1024;

export interface EndpointFlags {
  'control-plane-address'?: string;
  'control-plane-port'?: string | number;
  /** Legacy `host:port`, overrides the two above. */
  'control-plane-addr'?: string;
  endpoint?: string;
  'tls-ca-cert'?: string;
  'tls-cert'?: string;
  'tls-key'?: string;
  'tls-skip-verify'?: boolean;
  'tls-server-name'?: string;
}

export interface ResolvedEndpoint {
  target: string;
  source: 'flag' | 'endpoint-file' | 'default';
  info?: EndpointInfo;
}

export function resolveEndpoint(flags: EndpointFlags): ResolvedEndpoint {
  const explicit = flags['control-plane-addr'] ?? flags.endpoint;
  if (explicit) return { target: explicit, source: 'flag' };
  if (flags['control-plane-address'] !== undefined || flags['control-plane-port'] !== undefined) {
    return {
      target: dialAddress({ address: flags['control-plane-address'] ?? '127.0.0.1', port: Number(flags['control-plane-port'] ?? 8080) }),
      source: 'flag',
    };
  }
  const info = readEndpointFile();
  if (info) return { target: dialAddress(info), source: 'endpoint-file', info };
  return { target: '127.0.0.1:8080', source: 'default' };
}

export function credentials(flags: EndpointFlags): grpc.ChannelCredentials {
  const tls = flags['tls-ca-cert'] || flags['tls-cert'] || flags['tls-skip-verify'];
  if (!tls) return grpc.credentials.createInsecure();
  const read = (p?: string) => (p ? fs.readFileSync(p) : null);
  return grpc.credentials.createSsl(
    read(flags['tls-ca-cert']),
    read(flags['tls-key']),
    read(flags['tls-cert']),
    flags['tls-skip-verify'] ? { checkServerIdentity: () => undefined, rejectUnauthorized: false } : undefined,
  );
}

export function unreachableMessage(target: string): string {
  return (
    `no control plane is reachable at ${target}\n` +
    `start a pipeline with: flowctl run <pipeline.yaml>\n` +
    `or specify a different endpoint with --control-plane-address/--control-plane-port`
  );
}

export interface Clients {
  target: string;
  v1: any;
  legacy: any;
  close(): void;
}

/** Connects (2 s, like flowctl) or throws the "no control plane is reachable" error. */
export async function connect(flags: EndpointFlags, timeoutMs = 2000): Promise<Clients> {
  const { target } = resolveEndpoint(flags);
  const creds = credentials(flags);
  // Answers are not size-capped by our server (a registry of many components with rich metadata can pass 4 MB).
  const options: grpc.ChannelOptions = { 'grpc.max_receive_message_length': LIST_ANSWER_LIMIT_BYTES };
  if (flags['tls-server-name']) options['grpc.ssl_target_name_override'] = flags['tls-server-name'];
  const p = protos();
  const v1 = fastV1ControlPlaneClient(target, creds, options); // ListComponents decoded by src/core/wire
  const legacy = new p.legacy.ControlPlane(target, creds, options);
  try {
    await new Promise<void>((resolve, reject) =>
      v1.waitForReady(Date.now() + timeoutMs, (err?: Error) => (err ? reject(err) : resolve())),
    );
  } catch {
    v1.close();
    legacy.close();
    throw new Error(unreachableMessage(target));
  }
  return {
    target,
    v1,
    legacy,
    close: () => {
      v1.close();
      legacy.close();
    },
  };
}

/** Promise wrapper for a unary call with a deadline. */
export function call<Res>(client: any, method: string, request: unknown, timeoutMs = 5000): Promise<Res> {
  return new Promise((resolve, reject) => {
    client[method](request, { deadline: Date.now() + timeoutMs }, (err: grpc.ServiceError | null, res: Res) =>
      err ? reject(err) : resolve(res),
    );
  });
}
