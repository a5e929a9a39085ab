// The environment a component process gets (the flowctl contract, see component-contract.md §2A):
// parent env → `config` as UPPER_SNAKE vars → component `env` → forced flowctl variables.
import * as net from 'node:net';

export interface ComponentEnvSpec {
  id: string;
  env?: Record<string, unknown>;
  config?: Record<string, unknown>;
  /** Sets HEALTH_PORT unless `env` already does (precedence: env > healthPort > config > a free port). */
  healthPort?: number;
}

export interface ComponentEnvOptions {
  /** Control plane address as plain `host:port` (no scheme). */
  endpoint: string;
  parentEnv?: NodeJS.ProcessEnv | Record<string, string | undefined>;
  /** Applied after the parent env, before config/env (e.g. the runner's `env` option). */
  extraEnv?: Record<string, string>;
}

/** `batchSize` → `BATCH_SIZE`, `network-passphrase` → `NETWORK_PASSPHRASE`, `HTTPServer` → `HTTP_SERVER`. */
export function toUpperSnake(key: string): string {
  return key
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .replace(/[^A-Za-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .toUpperCase();
}

/** How a config/env value becomes an env string: strings as-is, numbers/bools String(), objects JSON. */
export function envValue(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return JSON.stringify(value);
}

/** Binds port 0 on 127.0.0.1, reads the port the OS chose, closes, and returns it. */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ port: 0, host, exclusive: true }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('could not read a free port'))));
    });
  });
}

export async function buildComponentEnv(spec: ComponentEnvSpec, options: ComponentEnvOptions): Promise<Record<string, string>> {
  if (!spec.id) throw new Error('buildComponentEnv: component id is required');
  if (!options.endpoint) throw new Error(`buildComponentEnv: control plane endpoint is required (component ${spec.id})`);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(options.parentEnv ?? process.env)) if (typeof v === 'string') out[k] = v;
  for (const [k, v] of Object.entries(options.extraEnv ?? {})) if (typeof v === 'string') out[k] = v;
  // PORT (the SDK's data-plane listen address) is per component too: one inherited from the parent env
  // (or the runner's `env` option) would make every component listen on the same port, on all
  // interfaces. Dropped unless the component's own config/env sets it; the SDK then listens on
  // 127.0.0.1 on a free port of its own and advertises that.
  delete out.PORT;
  // HEALTH_PORT is per component: one inherited from the parent env would collide, so only the
  // component's own config/env/health_port count as "set".
  let healthSet = false;
  for (const [k, v] of Object.entries(spec.config ?? {})) {
    const name = toUpperSnake(k);
    const value = envValue(v);
    if (name && value !== undefined) {
      out[name] = value;
      if (name === 'HEALTH_PORT') healthSet = true;
    }
  }
  const ownEnv: Record<string, string> = {};
  for (const [k, v] of Object.entries(spec.env ?? {})) {
    const value = envValue(v);
    if (value !== undefined) ownEnv[k] = value;
  }
  Object.assign(out, ownEnv);
  if (ownEnv.HEALTH_PORT !== undefined) healthSet = true;
  if (!healthSet || (spec.healthPort !== undefined && ownEnv.HEALTH_PORT === undefined)) {
    if (spec.healthPort !== undefined) {
      if (!Number.isInteger(spec.healthPort) || spec.healthPort < 0 || spec.healthPort > 65535) {
        throw new Error(`component ${spec.id}: health_port must be an integer 0-65535, got ${spec.healthPort}`);
      }
      out.HEALTH_PORT = String(spec.healthPort);
    } else {
      out.HEALTH_PORT = String(await freePort());
    }
  }
  // Forced last: they override anything the user or the parent set (and come last in key order too).
  const forced: Record<string, string> = {
    ENABLE_FLOWCTL: 'true',
    FLOWCTL_ENDPOINT: options.endpoint,
    FLOWCTL_HEARTBEAT_INTERVAL: '10s',
    FLOWCTL_SERVICE_ID: spec.id,
    FLOWCTL_COMPONENT_ID: spec.id,
  };
  for (const [k, v] of Object.entries(forced)) {
    delete out[k];
    out[k] = v;
  }
  return out;
}
