// The endpoint file: a running control plane (embedded in `flowctl run`, the extension, or `flowctl server`)
// writes {address, port, pid, pipeline, startedAt} so `flowctl status/list/pipelines` and the extension's
// "Connect to Control Plane…" find it without flags.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { endpointFilePath, ensurePrivateDir } from './paths';
import { isProcessAlive } from './supervisor/procfs';
import { joinHostPort } from './hostPort';

export interface EndpointInfo {
  address: string;
  port: number;
  pid: number;
  pipeline?: string;
  file?: string;
  startedAt: string;
  tls?: boolean;
}

/** Writes the endpoint file atomically (temp file + rename). */
export function writeEndpointFile(info: EndpointInfo, file = endpointFilePath()): void {
  ensurePrivateDir(path.dirname(file));
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(info, null, 2) + '\n', { mode: 0o600 });
  fs.renameSync(tmp, file);
}

/** Reads the endpoint file; undefined if missing, unreadable, or written by a process that is gone. */
export function readEndpointFile(file = endpointFilePath()): EndpointInfo | undefined {
  let info: EndpointInfo;
  try {
    info = JSON.parse(fs.readFileSync(file, 'utf8')) as EndpointInfo;
  } catch {
    return undefined;
  }
  if (typeof info?.port !== 'number' || typeof info.address !== 'string') return undefined;
  if (!isProcessAlive(info.pid)) return undefined;
  return info;
}

/** Removes the endpoint file if this process wrote it (another run may have replaced it since). */
export function removeEndpointFile(pid = process.pid, file = endpointFilePath()): void {
  try {
    const info = JSON.parse(fs.readFileSync(file, 'utf8')) as EndpointInfo;
    if (info.pid === pid) fs.rmSync(file, { force: true });
  } catch {
    // already gone
  }
}

/** host:port to dial for an endpoint: a wildcard bind address is reached through loopback. */
export function dialAddress(info: Pick<EndpointInfo, 'address' | 'port'>): string {
  const host = info.address === '0.0.0.0' || info.address === '' ? '127.0.0.1' : info.address === '::' ? '::1' : info.address;
  return joinHostPort(host, info.port);
}
