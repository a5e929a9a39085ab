// The environment contract of a component that runs in a cluster: the same variables `flowctl run`
// gives a process (component-contract.md §2A), with the hub's service name as FLOWCTL_ENDPOINT and a
// data-plane listen address on all interfaces (the hub dials each replica at its own address).
import type { ComponentSpec } from '../pipeline/model';
import { listenOnEveryInterface } from '../dataplane/endpoint';
import { parsePort } from '../pipeline/validate';
import { envValue, toUpperSnake } from '../supervisor/env';
import { CLUSTER_DEFAULTS, IN_CONTAINER } from './types';

export interface ClusterEnv {
  env: Record<string, string>;
  /** The port the data plane listens on, when PORT/GRPC_PORT names one. */
  dataPort?: number;
  /** The HTTP health port (HEALTH_PORT) of a component that registers. */
  healthPort?: number;
}

export interface ClusterEnvOptions {
  /** host:port of the hub inside the cluster. */
  hubEndpoint: string;
  /** Mutual TLS: the files as the component sees them, and the name in the hub's certificate. */
  tls?: { caFile: string; certFile: string; keyFile: string; serverName: string };
}

/** Variables that tell our SDK how to reach the hub over mutual TLS. */
export const TLS_ENV = {
  ca: 'FLOWCTL_TLS_CA_FILE',
  cert: 'FLOWCTL_TLS_CERT_FILE',
  key: 'FLOWCTL_TLS_KEY_FILE',
  serverName: 'FLOWCTL_TLS_SERVER_NAME',
} as const;

/**
 * Variables a replica uses to tell the hub who it is: FLOWCTL_ADVERTISE_HOST is the host its data
 * plane is reached at (Kubernetes: the pod IP from the downward API); FLOWCTL_INSTANCE names the
 * replica (swarm: the task slot; Kubernetes: the pod name). Both are optional: the hub falls back to
 * the address the registration came from, and numbers replicas itself.
 */
export const INSTANCE_ENV = { advertiseHost: 'FLOWCTL_ADVERTISE_HOST', instance: 'FLOWCTL_INSTANCE' } as const;

/** config → UPPER_SNAKE, then env, then the forced flowctl variables (as `flowctl run` does for processes). */
export function clusterEnv(c: ComponentSpec, opts: ClusterEnvOptions): ClusterEnv {
  const out: Record<string, string> = {};
  const fromConfig = new Set<string>();
  for (const [k, v] of Object.entries(c.config ?? {})) {
    const name = toUpperSnake(k);
    const value = envValue(v);
    if (name && value !== undefined) {
      out[name] = value;
      fromConfig.add(name);
    }
  }
  const own = c.env ?? {};
  Object.assign(out, own);

  // Black boxes (spec.pipelines) get FLOWCTL_ENDPOINT only when they enable flowctl themselves (flowctl's rule).
  if (c.role === 'pipeline') {
    if (out.ENABLE_FLOWCTL !== undefined && own.FLOWCTL_ENDPOINT === undefined) out.FLOWCTL_ENDPOINT = opts.hubEndpoint;
    return { env: out };
  }

  // HEALTH_PORT: env > health_port > config > the SDK default (each container has its own ports).
  if (own.HEALTH_PORT === undefined) {
    if (c.health_port !== undefined) out.HEALTH_PORT = String(c.health_port);
    else if (!fromConfig.has('HEALTH_PORT')) out.HEALTH_PORT = String(CLUSTER_DEFAULTS.healthPort);
  }
  // The data plane must listen on all interfaces: the hub dials it from another container. Our SDK binds
  // 127.0.0.1 unless PORT names the host, so PORT is set (or a host-less one completed) to 0.0.0.0:port
  // (the same address to Go's net.Listen).
  if (out.PORT === undefined && out.GRPC_PORT === undefined) out.PORT = String(CLUSTER_DEFAULTS.dataPort);
  if (out.PORT !== undefined) out.PORT = listenOnEveryInterface(out.PORT);
  const dataPort = parsePort(out.PORT ?? out.GRPC_PORT ?? '');
  const healthPort = parsePort(out.HEALTH_PORT ?? '');

  const forced: Record<string, string> = {
    ENABLE_FLOWCTL: 'true',
    FLOWCTL_ENDPOINT: opts.hubEndpoint,
    FLOWCTL_HEARTBEAT_INTERVAL: CLUSTER_DEFAULTS.heartbeat,
    FLOWCTL_SERVICE_ID: c.id,
    FLOWCTL_COMPONENT_ID: c.id,
  };
  if (opts.tls) {
    forced[TLS_ENV.ca] = opts.tls.caFile;
    forced[TLS_ENV.cert] = opts.tls.certFile;
    forced[TLS_ENV.key] = opts.tls.keyFile;
    forced[TLS_ENV.serverName] = opts.tls.serverName;
  }
  for (const [k, v] of Object.entries(forced)) {
    delete out[k];
    out[k] = v;
  }
  const result: ClusterEnv = { env: out };
  if (dataPort !== undefined) result.dataPort = dataPort;
  if (healthPort !== undefined) result.healthPort = healthPort;
  return result;
}

/** The TLS files as every container sees them (compose secrets / Kubernetes Secret keys). */
export const TLS_FILES = {
  cert: 'hub.crt',
  key: 'hub.key',
  ca: 'ca.crt',
  clientCert: 'client.crt',
  clientKey: 'client.key',
} as const;

export function tlsPathInContainer(file: string): string {
  return `${IN_CONTAINER.tlsDir}/${file}`;
}
