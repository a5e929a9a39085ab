// The endpoint file ($FLOWCTL_HOME/endpoint.json, 0600 in a 0700 folder): one entry per live run
// (`flowctl run`, a run in the editor) and one per `flowctl server`, so `flowctl status/list/pipelines/
// restart/stop/start` and the extension's "Connect to Control Plane…" find them without flags.
//
//   {"version":2,"entries":[{"kind":"run"|"server","address","port","pid","pidStartTime","pipeline","file",
//     "runId","startedAt","token","tls":{"caFile","certFile","keyFile","serverName"}|null,"runner"?}]}
//
// Writers change it under a lock file (O_EXCL, stale lock of a dead process taken over) and replace it
// atomically (temp file + rename), dropping entries whose process is gone (pid + start time); readers
// need no lock and also accept the v1 single object. Stopping one run removes only its own entry.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as crypto from 'node:crypto';
import { endpointFilePath } from './paths';
import { processStartTime } from './supervisor/procfs';
import { joinHostPort } from './hostPort';
import { holderAlive, withFileLock } from './runctl/lockFile';

/** TLS settings a client needs to reach the endpoint (null = plaintext). */
export interface EndpointTls {
  /** CA certificate that verifies the server (default: the system's roots). */
  caFile?: string;
  /** Client certificate and key (mutual TLS). */
  certFile?: string;
  keyFile?: string;
  /** Name to verify in the server certificate (when it is not the dialled host). */
  serverName?: string;
}

export interface EndpointEntry {
  kind: 'run' | 'server';
  /** Control plane address and port (for a run with --use-external-control-plane: that control plane). */
  address: string;
  port: number;
  /** The process that serves it (flowctl run, the editor's extension host, flowctl server). */
  pid: number;
  /** Its start time (field 22 of /proc/<pid>/stat), so a reused pid is not taken for it. */
  pidStartTime?: number;
  pipeline?: string;
  /** Absolute path of the pipeline file. */
  file?: string;
  runId?: string;
  startedAt: string;
  /** The run's owner token (sent as metadata x-flowctl-run-token). */
  token?: string;
  tls: EndpointTls | null;
  /** Where the runner service is when it is not on address:port (runs with an external control plane); plaintext, loopback. */
  runner?: { address: string; port: number };
}

export interface EndpointFileV2 {
  version: 2;
  entries: EndpointEntry[];
}

/** Most entries kept (the oldest go first); the file stays small whatever happens. */
export const MAX_ENDPOINT_ENTRIES = 256;
/** A larger file is not read (it is not one we wrote). */
const MAX_FILE_BYTES = 4 * 1024 * 1024;

function lockPathOf(file: string): string {
  return `${file}.lock`;
}

const isPort = (n: unknown): n is number => Number.isInteger(n) && (n as number) > 0 && (n as number) <= 65535;
const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 && v.length <= 4096 ? v : undefined);

function tlsOf(raw: unknown): EndpointTls | null {
  if (raw === true) return {}; // v1: `tls: true` (no files known)
  if (!raw || typeof raw !== 'object') return null;
  const t = raw as Record<string, unknown>;
  const tls: EndpointTls = {};
  if (str(t.caFile)) tls.caFile = str(t.caFile);
  if (str(t.certFile)) tls.certFile = str(t.certFile);
  if (str(t.keyFile)) tls.keyFile = str(t.keyFile);
  if (str(t.serverName)) tls.serverName = str(t.serverName);
  return tls;
}

/** One entry as read from disk, or undefined when it is not a well-formed entry. */
function entryOf(raw: unknown, v1: boolean): EndpointEntry | undefined {
  if (!raw || typeof raw !== 'object') return undefined;
  const r = raw as Record<string, unknown>;
  if (typeof r.address !== 'string' || !isPort(r.port) || !Number.isInteger(r.pid) || (r.pid as number) <= 0) return undefined;
  const kind = r.kind === 'run' || r.kind === 'server' ? r.kind : v1 ? (str(r.pipeline) ? 'run' : 'server') : undefined;
  if (!kind) return undefined;
  const e: EndpointEntry = {
    kind,
    address: r.address,
    port: r.port as number,
    pid: r.pid as number,
    startedAt: str(r.startedAt) ?? '',
    tls: tlsOf(r.tls),
  };
  if (Number.isInteger(r.pidStartTime)) e.pidStartTime = r.pidStartTime as number;
  if (str(r.pipeline)) e.pipeline = str(r.pipeline);
  if (str(r.file)) e.file = str(r.file);
  if (str(r.runId)) e.runId = str(r.runId);
  if (str(r.token)) e.token = str(r.token);
  const runner = r.runner as Record<string, unknown> | undefined;
  if (runner && typeof runner.address === 'string' && isPort(runner.port)) e.runner = { address: runner.address, port: runner.port as number };
  return e;
}

/** Every well-formed entry in the file (v2, or a v1 single object), alive or not. */
function readAll(file: string): EndpointEntry[] {
  let text: string;
  try {
    if (fs.statSync(file).size > MAX_FILE_BYTES) return [];
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return [];
  }
  const d = data as Record<string, unknown> | null;
  if (d && d.version === 2 && Array.isArray(d.entries)) {
    return d.entries.map((x) => entryOf(x, false)).filter((x): x is EndpointEntry => x !== undefined);
  }
  const single = entryOf(d, true);
  return single ? [single] : [];
}

/** True while the entry's process lives (same pid and, when recorded, same start time). */
export function entryAlive(e: Pick<EndpointEntry, 'pid' | 'pidStartTime'>): boolean {
  return holderAlive({ pid: e.pid, startTime: e.pidStartTime });
}

/** The live ones among `entries`, each pid looked up once (the extension host may hold several runs). */
function liveOnly(entries: EndpointEntry[]): EndpointEntry[] {
  const seen = new Map<string, boolean>();
  return entries.filter((e) => {
    const key = `${e.pid}/${e.pidStartTime ?? ''}`;
    let alive = seen.get(key);
    if (alive === undefined) seen.set(key, (alive = entryAlive(e)));
    return alive;
  });
}

/** The live entries, oldest first; [] if the file is missing or unreadable. No lock needed. */
export function readEndpointEntries(file = endpointFilePath()): EndpointEntry[] {
  return liveOnly(readAll(file));
}

function ensurePrivateFolder(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  try {
    if ((fs.statSync(dir).mode & 0o077) !== 0) fs.chmodSync(dir, 0o700);
  } catch {
    // not ours to change: the file itself is still 0600
  }
}

function writeAll(file: string, entries: EndpointEntry[]): void {
  if (entries.length === 0) {
    fs.rmSync(file, { force: true });
    return;
  }
  const data: EndpointFileV2 = { version: 2, entries: entries.slice(-MAX_ENDPOINT_ENTRIES) };
  const tmp = `${file}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`;
  const fd = fs.openSync(tmp, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL, 0o600);
  try {
    fs.writeSync(fd, JSON.stringify(data, null, 2) + '\n');
  } finally {
    fs.closeSync(fd);
  }
  try {
    fs.renameSync(tmp, file);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  }
}

/** Locked read-modify-write: `change` gets the live entries and returns the new list. */
export function changeEndpointEntries(change: (live: EndpointEntry[]) => EndpointEntry[], file = endpointFilePath()): void {
  ensurePrivateFolder(path.dirname(file));
  withFileLock(lockPathOf(file), () => {
    const live = liveOnly(readAll(file));
    writeAll(file, change(live));
  });
}

/** Adds an entry for this process (pid and start time filled in unless given). */
export function addEndpointEntry(
  entry: Omit<EndpointEntry, 'pid' | 'pidStartTime' | 'startedAt'> & Partial<Pick<EndpointEntry, 'pid' | 'pidStartTime' | 'startedAt'>>,
  file = endpointFilePath(),
): EndpointEntry {
  const pid = entry.pid ?? process.pid;
  const full: EndpointEntry = {
    ...entry,
    pid,
    pidStartTime: entry.pidStartTime ?? processStartTime(pid),
    startedAt: entry.startedAt ?? new Date().toISOString(),
  };
  changeEndpointEntries((live) => [...live, full], file);
  return full;
}

/** Changes the entries that match (e.g. sets the run id once the run is recorded). */
export function updateEndpointEntries(match: (e: EndpointEntry) => boolean, patch: Partial<EndpointEntry>, file = endpointFilePath()): void {
  changeEndpointEntries((live) => live.map((e) => (match(e) ? { ...e, ...patch } : e)), file);
}

/** Removes only the entries that match (one run's own entry: match it by its token). */
export function removeEndpointEntries(match: (e: EndpointEntry) => boolean, file = endpointFilePath()): void {
  if (!fs.existsSync(file)) return;
  changeEndpointEntries((live) => live.filter((e) => !match(e)), file);
}

/** host:port to dial for an endpoint: a wildcard bind address is reached through loopback. */
export function dialAddress(info: Pick<EndpointEntry, 'address' | 'port'>): string {
  const host = info.address === '0.0.0.0' || info.address === '' ? '127.0.0.1' : info.address === '::' ? '::1' : info.address;
  return joinHostPort(host, info.port);
}

/** host:port of the entry's runner service (the control-plane port unless the run uses an external control plane). */
export function runnerDialAddress(e: EndpointEntry): string {
  return e.runner ? dialAddress(e.runner) : dialAddress(e);
}
