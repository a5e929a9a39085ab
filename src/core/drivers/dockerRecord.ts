// A small private file per docker driver that has (or had) containers: `<state>/runs/<pid>-<id>.containers`
// (0600 in the 0700 runs/ folder), written before its first container is created and removed once its
// containers are gone. A runner killed with -9 leaves it behind. Any later run of the same state folder
// (even one without containers, and the extension's activation) sees a record whose runner is dead and
// only then asks the engine for that runner's leftovers (by label) — runs with no containers to reap
// never call docker. The process reaper ignores these files (it reads .jsonl/.json only).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runsDir } from '../supervisor/journal';
import { mkdirPrivate, openPrivate } from '../supervisor/privateFiles';
import { isProcessAlive, processStartTime } from '../supervisor/procfs';

export const RECORD_SUFFIX = '.containers';
/** A record larger than this is not ours (records are ~300 bytes). */
const MAX_RECORD_BYTES = 16 * 1024;

export interface DockerRecord {
  version: 1;
  runnerPid: number;
  /** /proc start time of the runner (clock ticks), to tell a reused pid apart. */
  runnerStartTicks?: number;
  /** The driver instance (its containers carry it as a label). */
  instance: string;
  /** The pipeline file. */
  file?: string;
  createdAt: string;
}

export function recordFile(stateDir: string, runnerPid: number, instance: string): string {
  return path.join(runsDir(stateDir), `${runnerPid}-${instance.replace(/[^0-9a-f-]/gi, '').slice(0, 36)}${RECORD_SUFFIX}`);
}

/** Writes the record (once per driver); errors are the caller's to report. */
export function writeRecord(stateDir: string, record: DockerRecord): string {
  const file = recordFile(stateDir, record.runnerPid, record.instance);
  mkdirPrivate(runsDir(stateDir), { tighten: true });
  const fd = openPrivate(file, 'w');
  try {
    fs.writeSync(fd, `${JSON.stringify(record)}\n`);
  } finally {
    fs.closeSync(fd);
  }
  return file;
}

export function removeRecord(file: string): void {
  fs.rmSync(file, { force: true });
}

function readRecord(file: string): DockerRecord | undefined {
  try {
    if (fs.statSync(file).size > MAX_RECORD_BYTES) return undefined;
    const r = JSON.parse(fs.readFileSync(file, 'utf8')) as DockerRecord;
    return r && r.version === 1 && Number.isInteger(r.runnerPid) && typeof r.instance === 'string' ? r : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Records in `stateDir` whose runner is gone (dead, or its pid reused by another process), plus
 * unreadable ones of a dead pid. This process's own records are never listed.
 */
export function deadRecords(stateDir: string): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(runsDir(stateDir));
  } catch {
    return [];
  }
  const dead: string[] = [];
  for (const name of names) {
    if (!name.endsWith(RECORD_SUFFIX)) continue;
    const file = path.join(runsDir(stateDir), name);
    const record = readRecord(file);
    const pid = record?.runnerPid ?? Number(name.split('-')[0]);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    const alive = isProcessAlive(pid) && (record?.runnerStartTicks === undefined || processStartTime(pid) === record.runnerStartTicks);
    if (!alive) dead.push(file);
  }
  return dead;
}
