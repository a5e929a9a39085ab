// The run journal: an append-only file per run, `<stateDir>/runs/<runnerPid>-<random>.jsonl` (0600 in a
// 0700 folder), that a later run (or the extension) reads to end what a runner killed with -9 left.
// Line 1 is the header (runner pid and start time, the run marker, the pipeline file); then one line
// per spawned process (component id, pid, group, /proc start time), written synchronously when the
// process is spawned, i.e. before the next spawn: a runner killed at ANY moment leaves a journal that
// names every process it started. One small write per spawn (no fsync: a killed process loses nothing
// the kernel already has; a machine crash ends the processes too). Spawns of restarts keep appending;
// past COMPACT_AFTER lines the journal is rewritten (atomically) with only the live children.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { processStartTime } from './procfs';
import { mkdirPrivate, openPrivate } from './privateFiles';

export const JOURNAL_SUFFIX = '.jsonl';
const COMPACT_AFTER = 2000;

export interface JournalChild {
  id: string;
  pid: number;
  pgid: number;
  /** Field 22 of /proc/<pid>/stat when the child was spawned (undefined off Linux). */
  startTimeTicks?: number;
}

export interface JournalHeader {
  runnerPid: number;
  /** Start time of the runner, to tell a dead runner from a reused pid. */
  runnerStartTimeTicks?: number;
  /** The run marker every component carries in its environment. */
  marker: string;
  /** Pipeline file of the run. */
  file: string;
  startedAt: number;
}

export interface JournalContent {
  header: JournalHeader;
  children: JournalChild[];
}

export function runsDir(dir: string): string {
  return path.join(dir, 'runs');
}

export class RunJournal {
  readonly file: string;
  private fd?: number;
  private lines = 0;
  private readonly header: JournalHeader;

  constructor(
    readonly dir: string,
    header: Omit<JournalHeader, 'runnerStartTimeTicks'> & { runnerStartTimeTicks?: number },
  ) {
    if (!dir) throw new Error('RunJournal: a state folder is required');
    this.header = { ...header, runnerStartTimeTicks: header.runnerStartTimeTicks ?? processStartTime(header.runnerPid) };
    this.file = path.join(runsDir(dir), `${header.runnerPid}-${crypto.randomBytes(6).toString('hex')}${JOURNAL_SUFFIX}`);
  }

  get isOpen(): boolean {
    return this.fd !== undefined;
  }

  /** Creates the file (exclusively, 0600) with its header; a no-op when open. */
  open(): void {
    if (this.fd !== undefined) return;
    mkdirPrivate(runsDir(this.dir), { tighten: true });
    const fd = openPrivate(this.file, 'ax');
    this.fd = fd;
    this.lines = 0;
    this.append({ t: 'run', v: 1, ...this.header });
  }

  /** Records one spawned process; returns after the line was handed to the kernel. */
  recordSpawn(child: JournalChild): void {
    this.open();
    this.append({ t: 'spawn', id: child.id, pid: child.pid, pgid: child.pgid, start: child.startTimeTicks });
  }

  /** Rewrites the journal with only `live` children when it has grown past COMPACT_AFTER lines. */
  compactIfLarge(live: () => JournalChild[]): void {
    if (this.fd === undefined || this.lines < COMPACT_AFTER) return;
    const tmp = `${this.file}.${process.pid}.tmp`;
    const fd = openPrivate(tmp, 'wx');
    let text = JSON.stringify({ t: 'run', v: 1, ...this.header }) + '\n';
    const children = live();
    for (const c of children) text += JSON.stringify({ t: 'spawn', id: c.id, pid: c.pid, pgid: c.pgid, start: c.startTimeTicks }) + '\n';
    try {
      fs.writeSync(fd, text);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, this.file);
    fs.closeSync(this.fd);
    this.fd = openPrivate(this.file, 'a');
    this.lines = 1 + children.length;
  }

  read(): JournalContent | undefined {
    return readJournal(this.file);
  }

  close(): void {
    if (this.fd === undefined) return;
    try {
      fs.closeSync(this.fd);
    } catch {
      // already closed
    }
    this.fd = undefined;
  }

  /** Closes and deletes the journal (the run ended and left nothing behind). */
  remove(): void {
    this.close();
    fs.rmSync(this.file, { force: true });
  }

  private append(record: object): void {
    fs.writeSync(this.fd!, JSON.stringify(record) + '\n');
    this.lines++;
  }
}

/** Reads a journal; a torn last line (a runner killed mid-write) is ignored. Undefined without a valid header. */
export function readJournal(file: string): JournalContent | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const lines = text.split('\n');
  let header: JournalHeader | undefined;
  const children: JournalChild[] = [];
  for (const line of lines) {
    if (!line) continue;
    let rec: Record<string, unknown>;
    try {
      rec = JSON.parse(line) as Record<string, unknown>;
    } catch {
      continue;
    }
    if (!header) {
      if (rec.t !== 'run' || typeof rec.runnerPid !== 'number' || typeof rec.marker !== 'string') return undefined;
      header = {
        runnerPid: rec.runnerPid,
        runnerStartTimeTicks: typeof rec.runnerStartTimeTicks === 'number' ? rec.runnerStartTimeTicks : undefined,
        marker: rec.marker,
        file: typeof rec.file === 'string' ? rec.file : '',
        startedAt: typeof rec.startedAt === 'number' ? rec.startedAt : 0,
      };
      continue;
    }
    if (rec.t === 'spawn' && typeof rec.pid === 'number') {
      children.push({
        id: String(rec.id ?? ''),
        pid: rec.pid,
        pgid: typeof rec.pgid === 'number' ? rec.pgid : rec.pid,
        startTimeTicks: typeof rec.start === 'number' ? rec.start : undefined,
      });
    }
  }
  return header ? { header, children } : undefined;
}
