// Clients for CLI commands that talk to a running control plane (embedded in `flowctl run`, the VS Code
// extension, or `flowctl server`). The endpoint comes from flags, else the endpoint file (the run of the
// pipeline file asked for, the flow.yml here, or the only live one), else 127.0.0.1:8080. TLS settings
// and the run's owner token come from the matching endpoint entry; TLS flags override them.
import * as grpc from '@grpc/grpc-js';
import { protos } from '../core/proto';
import { fastV1ControlPlaneClient } from '../core/wire/fastClient';
import { dialAddress, readEndpointEntries, type EndpointEntry, type EndpointTls } from '../core/endpointFile';
import { chooseEntry, entryAt } from '../core/runctl/findRun';
import { clientChannel, type ClientTlsSettings } from '../core/runctl/clientTls';
import { tokenInterceptor } from '../core/runctl/client';

/** How large an answer (e.g. ListComponents of a big registry) our clients accept. */
export const LIST_ANSWER_LIMIT_BYTES = 256 * 1024 * 1024;

export interface EndpointFlags {
  'control-plane-address'?: string;
  'control-plane-port'?: string | number;
  /** Legacy `host:port`, overrides the two above. */
  'control-plane-addr'?: string;
  endpoint?: string;
  /** The run of this pipeline file (when several are live). */
  file?: string;
  'tls-ca-cert'?: string;
  'tls-cert'?: string;
  'tls-key'?: string;
  'tls-skip-verify'?: boolean;
  'tls-server-name'?: string;
}

export interface ResolvedEndpoint {
  target: string;
  source: 'flag' | 'endpoint-file' | 'default';
  /** The live endpoint entry serving target, if any (its TLS settings and owner token apply). */
  info?: EndpointEntry;
}

export interface SelectOptions {
  /** Pipeline file whose run is meant (default: flags.file). */
  file?: string;
  kinds?: Array<EndpointEntry['kind']>;
}

/** Flags first; else the endpoint file's entry (throws RunSelectionError listing the runs when it cannot tell); else 127.0.0.1:8080. */
export function resolveEndpoint(flags: EndpointFlags, select: SelectOptions = {}): ResolvedEndpoint {
  const explicit = flags['control-plane-addr'] ?? flags.endpoint;
  const entries = readEndpointEntries();
  if (explicit) return { target: explicit, source: 'flag', info: entryAt(entries, explicit) };
  if (flags['control-plane-address'] !== undefined || flags['control-plane-port'] !== undefined) {
    const target = dialAddress({ address: flags['control-plane-address'] ?? '127.0.0.1', port: Number(flags['control-plane-port'] ?? 8080) });
    return { target, source: 'flag', info: entryAt(entries, target) };
  }
  const info = chooseEntry(entries, { file: select.file ?? flags.file, kinds: select.kinds });
  if (info) return { target: dialAddress(info), source: 'endpoint-file', info };
  return { target: '127.0.0.1:8080', source: 'default' };
}

/** TLS settings: the flags, each over the entry's (plaintext when neither says TLS). */
export function tlsSettings(flags: EndpointFlags, entryTls?: EndpointTls | null): ClientTlsSettings | null {
  const fromFlags = !!(flags['tls-ca-cert'] || flags['tls-cert'] || flags['tls-key'] || flags['tls-skip-verify'] || flags['tls-server-name']);
  if (!fromFlags && !entryTls) return null;
  const base: ClientTlsSettings = { ...(entryTls ?? {}) };
  if (flags['tls-ca-cert']) base.caFile = flags['tls-ca-cert'];
  if (flags['tls-cert']) base.certFile = flags['tls-cert'];
  if (flags['tls-key']) base.keyFile = flags['tls-key'];
  if (flags['tls-server-name']) base.serverName = flags['tls-server-name'];
  if (flags['tls-skip-verify']) base.skipVerify = true;
  return base;
}

export function credentials(flags: EndpointFlags, entryTls?: EndpointTls | null): grpc.ChannelCredentials {
  return clientChannel(tlsSettings(flags, entryTls)).credentials;
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
  /** The endpoint entry of the control plane reached, if any. */
  info?: EndpointEntry;
  v1: any;
  legacy: any;
  close(): void;
}

/** Connects (2 s, like flowctl) or throws the "no control plane is reachable" error. */
export async function connect(flags: EndpointFlags, timeoutMs = 2000, select: SelectOptions = {}): Promise<Clients> {
  const { target, info } = resolveEndpoint(flags, select);
  const { credentials: creds, options: tlsOptions } = clientChannel(tlsSettings(flags, info?.tls));
  // Answers are not size-capped by our server (a registry of many components with rich metadata can pass 4 MB).
  const options: grpc.ClientOptions = { ...tlsOptions, 'grpc.max_receive_message_length': LIST_ANSWER_LIMIT_BYTES };
  // The owner token goes only to the run's own embedded control plane (never to an external one it uses).
  if (info?.token && info.kind === 'run' && !info.runner && dialAddress(info) === target) options.interceptors = [tokenInterceptor(info.token)];
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
    info,
    v1,
    legacy,
    close: () => {
      v1.close();
      legacy.close();
    },
  };
}

/**
 * How long one RPC of `status`/`list`/`pipelines` waits for its answer. A control plane that is not there
 * is found by connect() (2 s); this deadline only ends calls that a reachable but busy server is slow to
 * answer (it was 5 s, and a `status` of a healthy hub timed out at load 15).
 */
export const CALL_DEADLINE_MS = 15_000;

/** Promise wrapper for a unary call with a deadline. */
export function call<Res>(client: any, method: string, request: unknown, timeoutMs = CALL_DEADLINE_MS): Promise<Res> {
  return new Promise((resolve, reject) => {
    client[method](request, { deadline: Date.now() + timeoutMs }, (err: grpc.ServiceError | null, res: Res) =>
      err ? reject(err) : resolve(res),
    );
  });
}
