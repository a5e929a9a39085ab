// Reads the `flowctl.*` settings and turns them into RunnerOptions. The runner does the rest.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { RunnerOptions } from '../core/runnerTypes';

export interface FlowctlSettings {
  address: string;
  port: number;
  certFile: string;
  keyFile: string;
  caFile: string;
  heartbeatTtlSeconds: number;
  /** How long each component may take to register (`flowctl run --registration-timeout`). */
  registrationTimeoutSeconds: number;
  persistence: boolean;
  logDir: string;
  shutdownGraceSeconds: number;
  codeLensEnabled: boolean;
  /** Time stamps in front of component lines in their terminals. */
  terminalTimestamps: boolean;
  /** Lines the merged "All Logs" view keeps (oldest dropped, with a notice). */
  logsMaxLines: number;
  /** `flowctl run --orchestrator`: '' (spec.driver decides), process or docker. */
  orchestrator: string;
  /** `flowctl run --pull`. */
  pull: 'never' | 'missing' | 'always';
  /** `flowctl run --network`. */
  network: 'host' | 'bridge';
}

export function readSettings(scope?: vscode.ConfigurationScope): FlowctlSettings {
  const c = vscode.workspace.getConfiguration('flowctl', scope);
  return {
    address: c.get<string>('controlPlane.address', '127.0.0.1') || '127.0.0.1',
    port: c.get<number>('controlPlane.port', 0) ?? 0,
    certFile: c.get<string>('tls.certFile', '') ?? '',
    keyFile: c.get<string>('tls.keyFile', '') ?? '',
    caFile: c.get<string>('tls.caFile', '') ?? '',
    heartbeatTtlSeconds: c.get<number>('heartbeatTtl', 0) ?? 0,
    registrationTimeoutSeconds: c.get<number>('registrationTimeout', 30) ?? 30,
    persistence: c.get<boolean>('persistence', true) ?? true,
    logDir: c.get<string>('logDir', '') ?? '',
    shutdownGraceSeconds: c.get<number>('shutdownGracePeriod', 10) ?? 10,
    codeLensEnabled: c.get<boolean>('codeLens.enabled', true) ?? true,
    terminalTimestamps: c.get<boolean>('terminal.timestamps', true) ?? true,
    logsMaxLines: Math.min(200_000, Math.max(1000, c.get<number>('logs.maxLines', 10_000) ?? 10_000)),
    orchestrator: (c.get<string>('containers.orchestrator', '') ?? '').trim(),
    pull: oneOf(c.get<string>('containers.pull', 'missing'), ['never', 'missing', 'always'] as const, 'missing'),
    network: oneOf(c.get<string>('containers.network', 'host'), ['host', 'bridge'] as const, 'host'),
  };
}

function oneOf<T extends string>(value: string | undefined, allowed: readonly T[], fallback: T): T {
  const v = (value ?? '').trim().toLowerCase();
  return (allowed as readonly string[]).includes(v) ? (v as T) : fallback;
}

/** Settings paths may use ${workspaceFolder} and ~; relative paths are relative to the pipeline's folder. */
export function resolveSettingPath(value: string, pipelineFile: string): string {
  let v = value.trim();
  const folder = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(pipelineFile))?.uri.fsPath;
  if (folder) v = v.replace(/\$\{workspaceFolder\}/g, folder);
  if (v.startsWith('~/')) v = path.join(process.env.HOME ?? '', v.slice(2));
  return path.isAbsolute(v) ? v : path.resolve(path.dirname(pipelineFile), v);
}

export function runnerOptions(file: string, s: FlowctlSettings): RunnerOptions {
  const opts: RunnerOptions = {
    file,
    address: s.address,
    port: s.port,
    shutdownGraceMs: Math.max(0, s.shutdownGraceSeconds) * 1000,
    pull: s.pull,
    network: s.network,
  };
  if (s.orchestrator) {
    // The names drivers/select.ts accepts (not imported: the runner module loads on the first run).
    if (!['process', 'local', 'docker', 'container'].includes(s.orchestrator.toLowerCase())) {
      throw new Error(`flowctl.containers.orchestrator: unknown orchestrator type: ${s.orchestrator} (use process or docker; "container" is the same as docker)`);
    }
    opts.orchestrator = s.orchestrator;
  }
  if (s.heartbeatTtlSeconds > 0) opts.heartbeatTtlMs = s.heartbeatTtlSeconds * 1000;
  if (s.registrationTimeoutSeconds > 0) opts.registrationTimeoutMs = s.registrationTimeoutSeconds * 1000;
  if (s.logDir) opts.logDir = resolveSettingPath(s.logDir, file);
  // Persistence: the runner's default store, the pipeline's own under FLOWCTL_HOME (as `flowctl run`).
  if (!s.persistence) opts.noPersistence = true;
  if (s.certFile || s.keyFile) {
    if (!s.certFile || !s.keyFile) throw new Error('flowctl.tls.certFile and flowctl.tls.keyFile must be set together.');
    opts.tls = { certFile: resolveSettingPath(s.certFile, file), keyFile: resolveSettingPath(s.keyFile, file) };
    if (s.caFile) opts.tls.caFile = resolveSettingPath(s.caFile, file);
  }
  return opts;
}
