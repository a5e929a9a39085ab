// `flowctl server` (hidden, like flowctl's): a standalone control plane. Serves both control-plane
// APIs, health and reflection; logs readable lines to stderr; SIGINT/SIGTERM stop it gracefully
// (in-flight calls finish, the database is closed) with exit code 0. Unlike flowctl it listens on
// 127.0.0.1 unless told otherwise, and warns when it is reachable from elsewhere without mutual TLS.
import { ControlPlaneServer } from '../../core/controlplane/server';
import { exposureWarning } from '../../core/controlplane/exposure';
import { DEFAULT_LIMITS } from '../../core/controlplane/limits';
import { MemoryStorage } from '../../core/controlplane/storage/memory';
import { LmdbStorage, defaultDbPath } from '../../core/controlplane/storage/lmdb';
import type { Storage } from '../../core/controlplane/storage/types';
import type { TlsFiles } from '../../core/controlplane/tls';
import { addEndpointEntry, removeEndpointEntries } from '../../core/endpointFile';
import { clientTlsForServer } from '../../core/runctl/clientTls';
import { UsageError } from '../args';
import { defineCommand } from '../command';
import { createLogger, parseLogLevel } from '../log';

const SHUTDOWN_GRACE_MS = 5000;

function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

export const command = defineCommand({
  summary: 'Run a standalone control plane',
  usage: 'flowctl server [flags]',
  description:
    'Runs a standalone control plane (flowctl.v1.ControlPlaneService and the legacy flowctl.ControlPlane,\n' +
    'gRPC health and reflection) until SIGINT/SIGTERM.\n\n' +
    'It listens on 127.0.0.1 by default. Anyone who can reach its port can register components, read\n' +
    'pipeline runs and stop them, so off loopback use mutual TLS: --tls-cert and --tls-key for the server,\n' +
    '--tls-ca-cert to require client certificates signed by that CA. Without it a warning is printed.',
  hidden: true,
  flags: {
    address: { type: 'string', default: '127.0.0.1', description: 'Address to listen on (0.0.0.0 = every interface: use mutual TLS then)' },
    port: { type: 'number', valueName: 'int', default: 8080, description: 'Port to listen on (0 = pick a free port)' },
    'tls-cert': { type: 'string', valueName: 'file', description: 'TLS certificate file (with --tls-key enables TLS)' },
    'tls-key': { type: 'string', valueName: 'file', description: 'TLS key file' },
    'tls-ca-cert': { type: 'string', valueName: 'file', description: 'CA certificate: clients must present a certificate it signed (mutual TLS)' },
    'db-path': { type: 'string', valueName: 'path', description: `Registry database (default ${defaultDbPath()})` },
    'no-persistence': { type: 'boolean', default: false, description: 'Keep the registry in memory only' },
    'heartbeat-ttl': { type: 'duration', default: 30_000, description: 'A component without a heartbeat for this long is UNHEALTHY' },
    'janitor-interval': { type: 'duration', default: 10_000, description: 'Interval of the safety-net health sweep' },
    'log-level': { type: 'string', default: 'info', description: 'debug, info, warn or error' },
    'max-components': { type: 'number', valueName: 'int', default: DEFAULT_LIMITS.maxComponents, description: 'Most components registered at once; more are refused (RESOURCE_EXHAUSTED)' },
    'max-runs-per-pipeline': { type: 'number', valueName: 'int', default: DEFAULT_LIMITS.maxRunsPerPipeline, description: 'Pipeline runs kept per pipeline; the oldest are pruned' },
    'max-runs': { type: 'number', valueName: 'int', default: DEFAULT_LIMITS.maxRuns, description: 'Pipeline runs kept in all; the oldest are pruned' },
  },
  async run({ flags, positionals }) {
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}": flowctl server takes only flags`);
    const logger = createLogger(parseLogLevel(flags['log-level']));
    const port = flags.port;
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`invalid port ${port}: use 0-65535 (0 = pick a free port)`);
    if (!(flags['heartbeat-ttl'] > 0)) throw new UsageError('--heartbeat-ttl must be greater than 0');
    if (!(flags['janitor-interval'] > 0)) throw new UsageError('--janitor-interval must be greater than 0');
    for (const name of ['max-components', 'max-runs-per-pipeline', 'max-runs'] as const) {
      const v = flags[name];
      if (!Number.isInteger(v) || v <= 0) throw new UsageError(`--${name} must be a positive integer (got ${v})`);
    }

    let tls: TlsFiles | undefined;
    const cert = flags['tls-cert'];
    const key = flags['tls-key'];
    const ca = flags['tls-ca-cert'];
    if (cert || key) {
      if (!cert || !key) throw new UsageError('--tls-cert and --tls-key must be given together');
      tls = { certFile: cert, keyFile: key, caFile: ca || undefined };
    } else if (ca) {
      throw new UsageError('--tls-ca-cert needs --tls-cert and --tls-key (the server certificate)');
    }

    if (flags['no-persistence'] && flags['db-path']) logger.warn('--db-path is ignored with --no-persistence');
    const storage: Storage = flags['no-persistence'] ? new MemoryStorage() : new LmdbStorage(flags['db-path'] || defaultDbPath());

    // Listen for signals before anything is printed: a script may signal as soon as it reads the address.
    const signalled = new Promise<NodeJS.Signals>((resolve) => {
      process.once('SIGINT', () => resolve('SIGINT'));
      process.once('SIGTERM', () => resolve('SIGTERM'));
    });

    const cp = await ControlPlaneServer.start({
      address: flags.address,
      port,
      storage,
      tls,
      heartbeatTtlMs: flags['heartbeat-ttl'],
      janitorIntervalMs: flags['janitor-interval'],
      log: logger.log,
      logLevel: logger.level,
      limits: { maxComponents: flags['max-components'], maxRunsPerPipeline: flags['max-runs-per-pipeline'], maxRuns: flags['max-runs'] },
    });
    const exposed = exposureWarning(cp.address, cp.security);
    if (exposed) logger.always('warn', exposed);
    // The entry first: a script that reads the "listening" line finds the server through it at once.
    const dialHost = cp.address === '0.0.0.0' ? '127.0.0.1' : cp.address === '::' ? '::1' : cp.address;
    addEndpointEntry({ kind: 'server', address: cp.address, port: cp.port, tls: tls ? clientTlsForServer(tls, dialHost) : null });
    // Only this server's entry goes (other runs and servers keep theirs).
    const removeOwnEntry = () => removeEndpointEntries((e) => e.kind === 'server' && e.pid === process.pid && e.port === cp.port);
    const where = storage.location ? `${storage.kind} ${storage.location}` : 'memory (no persistence)';
    logger.always('info', `control plane listening on ${cp.endpoint} (${cp.security}, storage ${where}, heartbeat TTL ${formatMs(flags['heartbeat-ttl'])})`);
    const restored = cp.registry.size;
    if (restored > 0) logger.info(`restored ${restored} registration(s) from storage`);

    const signal = await signalled;
    logger.info(`received ${signal}, shutting down (in-flight calls get ${SHUTDOWN_GRACE_MS}ms)`);
    const again = (s: NodeJS.Signals) => {
      logger.warn(`received ${s} again, exiting now`);
      removeOwnEntry();
      process.exit(1);
    };
    process.once('SIGINT', again);
    process.once('SIGTERM', again);
    try {
      await cp.stop({ graceMs: SHUTDOWN_GRACE_MS });
    } finally {
      removeOwnEntry();
    }
    logger.info('control plane stopped');
    return 0;
  },
});
