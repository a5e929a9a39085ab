// The control plane of a run: embedded (its own registry, LMDB per pipeline unless --no-persistence) or one
// already running elsewhere. The embedded one announces itself through the endpoint file, and applies the
// run's access rules: `access` from the runner (ownerToken, isRunProcess) plus RunnerOptions.allowExternal.
import * as crypto from 'node:crypto';
import * as path from 'node:path';
import type { RunnerOptions } from '../runnerTypes';
import { ControlPlaneServer } from '../controlplane/server';
import type { AccessPolicy } from '../controlplane/access';
import { exposureWarning } from '../controlplane/exposure';
import { MemoryStorage } from '../controlplane/storage/memory';
import { LmdbStorage } from '../controlplane/storage/lmdb';
import { writeEndpointFile } from '../endpointFile';
import { flowctlHome } from '../paths';
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
  const safe = pipelineName.replace(/[^A-Za-z0-9._-]+/g, '-').slice(0, 40) || 'pipeline';
  return path.join(flowctlHome(), 'pipelines', `${safe}-${hash}`, 'registry.lmdb');
}

/**
 * `access` (embedded only): the run's owner token and how to recognise its processes; without it the
 * control plane is open to every local process, as flowctl's is.
 */
export async function openControlPlane(
  opts: RunnerOptions,
  pipeline: { file: string; name: string },
  warn: (message: string) => void,
  access?: AccessPolicy,
): Promise<ControlPlaneLink> {
  const address = opts.address ?? CONTROL_PLANE_DEFAULTS.address;
  const port = opts.port ?? CONTROL_PLANE_DEFAULTS.port;
  if (opts.useExternalControlPlane) return ExternalLink.connect(address, port, { tls: opts.tls });
  if (opts.tls) {
    warn("the control plane serves TLS: components that dial it in plaintext (the Go flowctl-sdk, the legacy components, this project's SDK) cannot register");
  }
  const dbPath = opts.dbPath ?? defaultRunDbPath(pipeline.file, pipeline.name); // its folders are made 0700 on open
  const policy: AccessPolicy | undefined =
    access || opts.allowExternal?.length ? { ...access, allowExternal: [...(access?.allowExternal ?? []), ...(opts.allowExternal ?? [])] } : undefined;
  const server = await ControlPlaneServer.start({
    address,
    port,
    storage: opts.noPersistence ? new MemoryStorage() : new LmdbStorage(dbPath),
    access: policy,
    limits: opts.controlPlaneLimits,
    heartbeatTtlMs: opts.heartbeatTtlMs ?? CONTROL_PLANE_DEFAULTS.heartbeatTtlMs,
    janitorIntervalMs: opts.janitorIntervalMs ?? CONTROL_PLANE_DEFAULTS.janitorIntervalMs,
    tls: opts.tls,
    portFlag: opts.portHint ?? '--control-plane-port',
  });
  const exposed = exposureWarning(server.address, server.security, '--control-plane-address');
  if (exposed) warn(exposed);
  const link = new EmbeddedLink(server);
  const interrupted = await link.reconcileInterruptedRuns();
  if (interrupted.length) {
    warn(`marked ${interrupted.length} earlier run(s) that never ended as failed (${interrupted.map((r) => r.slice(0, 8)).join(', ')})`);
  }
  writeEndpointFile({
    address: link.address,
    port: link.port,
    pid: process.pid,
    pipeline: pipeline.name,
    file: pipeline.file,
    startedAt: new Date().toISOString(),
    tls: !!opts.tls,
  });
  return link;
}
