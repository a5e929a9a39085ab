// The control plane of a run: embedded (its own registry, LMDB per pipeline unless --no-persistence) or one
// already running elsewhere. Either way the run announces itself in the endpoint file and serves the
// runner service (src/core/runctl/presence.ts); a second run of the same file is refused. The embedded
// one applies the run's access rules (controlplane/access.ts): the run's owner token, `access` from the
// runner (isRunProcess) and RunnerOptions.allowExternal.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { PipelineRunner, RunnerOptions } from '../runnerTypes';
import { ControlPlaneServer } from '../controlplane/server';
import type { AccessPolicy } from '../controlplane/access';
import { exposureWarning } from '../controlplane/exposure';
import type { Registry } from '../controlplane/registry';
import { MemoryStorage } from '../controlplane/storage/memory';
import { LazyStorage } from '../controlplane/storage/lazy';
import type { PidLock } from '../controlplane/storage/lock';
import { takeRegistryLock } from '../controlplane/storage/registryLock';
import { matchesCleanMark } from '../controlplane/storage/lmdbCheck';
import type { Storage } from '../controlplane/storage/types';
import { RunPresence } from '../runctl/presence';
import { flowctlHome } from '../paths';
import { fileNameFrom, safeJoin } from '../safePath';
import { EmbeddedLink, ExternalLink, type ControlPlaneLink } from './controlPlaneLink';

export const CONTROL_PLANE_DEFAULTS = {
  address: '127.0.0.1',
  port: 8080,
  heartbeatTtlMs: 30_000,
  janitorIntervalMs: 10_000,
};

/** Per-pipeline default registry: two different pipelines can run at once without fighting over one file. */
export function defaultRunDbPath(pipelineFile: string, pipelineName: string): string {
  const hash = crypto.createHash('sha256').update(path.resolve(pipelineFile)).digest('hex').slice(0, 8);
  const folder = safeJoin(path.join(flowctlHome(), 'pipelines'), `${fileNameFrom(pipelineName, 'pipeline')}-${hash}`);
  return path.join(folder, 'registry.lmdb');
}

/**
 * `access` (embedded only): how to recognise the run's processes (isRunProcess); without it any local
 * process may register, heartbeat and unregister components, as with flowctl. The owner token is the
 * run's (presence.token) unless `access.ownerToken` says otherwise.
 */
export async function openControlPlane(
  opts: RunnerOptions,
  pipeline: { file: string; name: string },
  warn: (message: string) => void,
  runner?: PipelineRunner,
  access?: AccessPolicy,
  hooks?: { placement?: Registry['placement'] },
): Promise<ControlPlaneLink> {
  const address = opts.address ?? CONTROL_PLANE_DEFAULTS.address;
  const port = opts.port ?? CONTROL_PLANE_DEFAULTS.port;
  // One run per pipeline file (throws PipelineAlreadyRunningError), the owner token, the runner service
  // and the endpoint entry: src/core/runctl/presence.ts. Its token is the run's owner token.
  const presence = RunPresence.claim({ home: opts.stateDir ?? flowctlHome(), file: pipeline.file, pipeline: pipeline.name, runner });
  let link: ControlPlaneLink | undefined; // wrapped: its close() also ends the presence
  let lock: PidLock | undefined; // the registry's lock file while no server owns it
  try {
    if (opts.useExternalControlPlane) {
      link = presence.wrap(await ExternalLink.connect(address, port, { tls: opts.tls }));
      const runnerAt = await presence.serveOwnPort();
      presence.announce({ address: link.address, port: link.port, external: true, tls: opts.tls, runner: runnerAt });
      return link;
    }
    // A hub's components come with their own TLS settings (FLOWCTL_TLS_*, as translate/deploy give them); a local run's do not.
    if (opts.tls && opts.components !== 'external') {
      warn("the control plane serves TLS: components that dial it in plaintext (the Go flowctl-sdk, the legacy components, this project's SDK) cannot register");
    }
    // LMDB (a native module, ~20 ms of CPU to load) only when the registry is persisted. Its lock file is
    // taken now, so a second control plane on the same file is refused before anything starts. A registry
    // file that is new or exactly as its last clean close left it (lmdbCheck.ts) is loaded and opened once
    // the components are spawned (the runner's cp.ready()), or when the first of their calls arrives, which
    // waits for it (gate.ts); any other is opened (and checked in a child process) before a component
    // starts, so a damaged one starts nothing.
    const dbPath = path.resolve(opts.dbPath ?? defaultRunDbPath(pipeline.file, pipeline.name));
    lock = opts.noPersistence ? undefined : takeRegistryLock(dbPath);
    const openLater = !lock || !fs.existsSync(dbPath) || matchesCleanMark(dbPath);
    const taken = lock;
    // (A store that fails to open releases the lock itself; so does this factory if LMDB cannot even be loaded.)
    const storage: Storage = taken
      ? new LazyStorage('lmdb', dbPath, async () => {
          try {
            return new (await import('../controlplane/storage/lmdb')).LmdbStorage(dbPath, { lock: taken });
          } catch (err) {
            taken.release();
            throw err;
          }
        }, () => taken.release()) // closed before it was ever opened (a start stopped early)
      : new MemoryStorage();
    const server = await ControlPlaneServer.start({
      address,
      port,
      // An existing database is read by a child process first (lmdbCheck.ts); its folders are made 0700.
      storage,
      access: {
        ...access,
        ownerToken: access?.ownerToken ?? presence.token,
        allowExternal: [...(access?.allowExternal ?? []), ...(opts.allowExternal ?? [])],
      },
      limits: opts.controlPlaneLimits,
      heartbeatTtlMs: opts.heartbeatTtlMs ?? CONTROL_PLANE_DEFAULTS.heartbeatTtlMs,
      janitorIntervalMs: opts.janitorIntervalMs ?? CONTROL_PLANE_DEFAULTS.janitorIntervalMs,
      tls: opts.tls,
      portFlag: opts.portHint ?? '--control-plane-port',
      services: presence.services,
      openRegistryAfterBind: true,
    });
    lock = undefined; // the registry's now: released when it closes or fails to open (storage/lmdb.ts)
    const exposed = exposureWarning(server.address, server.security, '--control-plane-address');
    if (exposed) warn(exposed);
    // A hub names what registers itself (replicas get instance ids) before anything can register.
    if (hooks?.placement) server.registry.placement = hooks.placement;
    // Ready once the registry is open and the runs an earlier runner left "running" are marked failed.
    const embedded = new EmbeddedLink(server, async () => {
      await server.ready;
      const interrupted = await embedded.reconcileInterruptedRuns();
      if (interrupted.length) {
        warn(`marked ${interrupted.length} earlier run(s) that never ended as failed (${interrupted.map((r) => r.slice(0, 8)).join(', ')})`);
      }
    });
    link = presence.wrap(embedded);
    if (!openLater) await link.ready();
    presence.announce({ address: link.address, port: link.port, external: false, tls: opts.tls });
    return link;
  } catch (err) {
    lock?.release();
    if (link) await link.close().catch(() => undefined);
    else await presence.close();
    throw err;
  }
}
