// Reads the environment contract flowctl gives a component (see docs in index.ts).
import { parseGoDuration } from '../core/duration';

/** Where the SDK's servers listen unless told otherwise. */
const LOOPBACK = '127.0.0.1';

export const DEFAULT_HEARTBEAT_MS = 10_000;
export const DEFAULT_CONTROL_PLANE = '127.0.0.1:8080';
/** The health/metrics HTTP server is private to this machine unless HEALTH_HOST says otherwise. */
export const DEFAULT_HEALTH_HOST = LOOPBACK;

export interface ListenAddress {
  /** Host to bind: 127.0.0.1 unless PORT names another host ("0.0.0.0:50051" for every interface). */
  host: string;
  /** 0 = let the OS pick a free port. */
  port: number;
}

export interface SdkConfig {
  enabled: boolean;
  /** Control-plane address as host:port (no scheme). */
  endpoint: string;
  componentId: string;
  heartbeatMs: number;
  listen: ListenAddress;
  /** undefined = no HTTP health server; 0 = free port. */
  healthPort: number | undefined;
  /** Address the HTTP health server binds (HEALTH_HOST; default 127.0.0.1: loopback only). */
  healthHost: string;
  /**
   * Host to advertise in the data-plane endpoint instead of 127.0.0.1 (FLOWCTL_ADVERTISE_HOST): in a
   * cluster, the address the hub reaches this replica at (Kubernetes: the pod IP from the downward API).
   * Unset, a hub in another container uses the address the registration came from.
   */
  advertiseHost?: string;
  /** Name of this replica among the component's instances (FLOWCTL_INSTANCE: a swarm task slot, a pod name). */
  instance?: string;
  /**
   * What the hub spreads this component's events over its replicas by (FLOWCTL_PARTITION_KEY): an Event
   * field (`id`, `type`, `source_component_id`) or a metadata key; unset = round-robin per event.
   */
  partitionKey?: string;
  /** Mutual TLS to the control plane (FLOWCTL_TLS_CA_FILE, FLOWCTL_TLS_CERT_FILE, FLOWCTL_TLS_KEY_FILE, FLOWCTL_TLS_SERVER_NAME). */
  tls?: SdkTls;
  /** Problems found while reading the environment (logged, never fatal). */
  warnings: string[];
}

export interface SdkTls {
  caFile?: string;
  certFile?: string;
  keyFile?: string;
  serverName?: string;
}

/** "MyCoolSource" / "my cool_source" → "my-cool-source". */
export function kebabCase(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replace(/[^A-Za-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .toLowerCase();
}

/**
 * Strips a scheme ("http://", "grpc://") and any path from an address: "http://h:1/x" → "h:1". A unix
 * socket target ("unix:///run/flowctl/control.sock", given to containers on a bridge network) is kept:
 * grpc dials it as is.
 */
export function stripScheme(address: string): string {
  let a = address.trim();
  if (/^unix:/i.test(a)) return a;
  const m = /^[a-z][a-z0-9+.-]*:\/\//i.exec(a);
  if (m) {
    a = a.slice(m[0].length);
    const slash = a.indexOf('/');
    if (slash >= 0) a = a.slice(0, slash);
  }
  return a;
}

/**
 * PORT: "50051", ":50051", "host:50051", "[::1]:50051"; empty = 127.0.0.1 with a free port. A PORT
 * without a host binds 127.0.0.1 (an inherited PORT must not open the component to the network); every
 * interface only when the host says so ("0.0.0.0:50051", "[::]:50051"), as `flowctl translate` writes
 * for containers.
 */
export function parseListenAddress(value: string | undefined): ListenAddress {
  const v = (value ?? '').trim();
  if (v === '') return { host: LOOPBACK, port: 0 };
  let host = LOOPBACK;
  let portText = v;
  const idx = v.lastIndexOf(':');
  if (idx >= 0) {
    const h = v.slice(0, idx).replace(/^\[(.*)\]$/, '$1');
    if (h !== '') host = h;
    portText = v.slice(idx + 1);
  }
  if (!/^\d+$/.test(portText) || Number(portText) > 65535) {
    throw new Error(`invalid PORT "${value}": expected ":50051", "50051" or "host:50051"`);
  }
  return { host, port: Number(portText) };
}

/** The host:port other processes on this machine dial to reach a server bound to `host`. */
export function advertisedEndpoint(host: string, port: number): string {
  if (host === '0.0.0.0' || host === '::' || host === '' || host === 'localhost') return `127.0.0.1:${port}`;
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

function parseHeartbeat(env: NodeJS.ProcessEnv, warnings: string[]): number {
  const ms = env.FLOWCTL_HEARTBEAT_INTERVAL_MS?.trim();
  if (ms) {
    const n = Number(ms);
    if (Number.isFinite(n) && n > 0) return n;
    warnings.push(`FLOWCTL_HEARTBEAT_INTERVAL_MS="${ms}" is not a positive number of milliseconds; ignored`);
  }
  const go = env.FLOWCTL_HEARTBEAT_INTERVAL?.trim();
  if (go) {
    try {
      const n = parseGoDuration(go);
      if (n > 0) return n;
      warnings.push(`FLOWCTL_HEARTBEAT_INTERVAL="${go}" is not positive; using ${DEFAULT_HEARTBEAT_MS / 1000}s`);
    } catch (err) {
      warnings.push(`FLOWCTL_HEARTBEAT_INTERVAL: ${(err as Error).message}; using ${DEFAULT_HEARTBEAT_MS / 1000}s`);
    }
  }
  return DEFAULT_HEARTBEAT_MS;
}

export function readSdkConfig(name: string, env: NodeJS.ProcessEnv = process.env): SdkConfig {
  const warnings: string[] = [];
  const enabled = (env.ENABLE_FLOWCTL ?? '').trim().toLowerCase() === 'true';
  const endpoint = stripScheme(env.FLOWCTL_ENDPOINT?.trim() || DEFAULT_CONTROL_PLANE);
  const componentId = env.FLOWCTL_COMPONENT_ID?.trim() || env.COMPONENT_ID?.trim() || kebabCase(name) || 'component';
  const heartbeatMs = parseHeartbeat(env, warnings);
  const listen = parseListenAddress(env.PORT);
  let healthPort: number | undefined;
  const hp = env.HEALTH_PORT?.trim();
  if (hp) {
    const n = Number(hp.replace(/^:/, ''));
    if (Number.isInteger(n) && n >= 0 && n <= 65535) healthPort = n;
    else warnings.push(`HEALTH_PORT="${hp}" is not a port number; health server disabled`);
  }
  const healthHost = env.HEALTH_HOST?.trim().replace(/^\[(.*)\]$/, '$1') || DEFAULT_HEALTH_HOST;
  const cfg: SdkConfig = { enabled, endpoint, componentId, heartbeatMs, listen, healthPort, healthHost, warnings };
  const advertise = env.FLOWCTL_ADVERTISE_HOST?.trim().replace(/^\[(.*)\]$/, '$1');
  if (advertise) {
    if (/[\s/]/.test(advertise) || advertise.length > 253) warnings.push(`FLOWCTL_ADVERTISE_HOST="${advertise}" is not a host name or address; ignored`);
    else cfg.advertiseHost = advertise;
  }
  const partitionKey = env.FLOWCTL_PARTITION_KEY?.trim();
  if (partitionKey) cfg.partitionKey = partitionKey.slice(0, 256);
  const instance = env.FLOWCTL_INSTANCE?.trim();
  if (instance) cfg.instance = instance.slice(0, 253);
  const tls: SdkTls = {};
  if (env.FLOWCTL_TLS_CA_FILE?.trim()) tls.caFile = env.FLOWCTL_TLS_CA_FILE.trim();
  if (env.FLOWCTL_TLS_CERT_FILE?.trim()) tls.certFile = env.FLOWCTL_TLS_CERT_FILE.trim();
  if (env.FLOWCTL_TLS_KEY_FILE?.trim()) tls.keyFile = env.FLOWCTL_TLS_KEY_FILE.trim();
  if (env.FLOWCTL_TLS_SERVER_NAME?.trim()) tls.serverName = env.FLOWCTL_TLS_SERVER_NAME.trim();
  if (Object.keys(tls).length) {
    if (!!tls.certFile !== !!tls.keyFile) warnings.push('FLOWCTL_TLS_CERT_FILE and FLOWCTL_TLS_KEY_FILE go together: no client certificate is presented');
    cfg.tls = tls;
  }
  return cfg;
}
