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
  persistence: boolean;
  logDir: string;
  shutdownGraceSeconds: number;
  codeLensEnabled: boolean;
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
    persistence: c.get<boolean>('persistence', true) ?? true,
    logDir: c.get<string>('logDir', '') ?? '',
    shutdownGraceSeconds: c.get<number>('shutdownGracePeriod', 10) ?? 10,
    codeLensEnabled: c.get<boolean>('codeLens.enabled', true) ?? true,
  };
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
  };
  if (s.heartbeatTtlSeconds > 0) opts.heartbeatTtlMs = s.heartbeatTtlSeconds * 1000;
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
