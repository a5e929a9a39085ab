// Persistent Storage in one LMDB file (default ~/.flowctl/registry.lmdb), with named databases
// `services` (key serviceId), `runs` (key runId) and `meta` (schema marker). Values are msgpack.
//
// Durability: LMDB's standard synchronous commit is used (overlappingSync off, noSync off), so a
// commit's promise resolves only after the data and the meta page were fsync'ed; putService,
// deleteService and putRun additionally wait for `flushed`. Tested: a resolved write survives kill -9
// of the process (test/integration/storage-lmdb.test.ts, controlplane-persistence.test.ts). NOT
// tested: power loss or an OS crash; fsync is called, but whether the disk honours it is not checked
// here, so no claim is made about it.
//
// Heartbeats (heartbeatWrites): 'batched' (default) — touchService only remembers the latest record
// per service; a timer (unref'ed) writes all remembered records in ONE transaction every
// flushIntervalMs, so an acknowledged heartbeat may be lost by a crash (at most flushIntervalMs of
// liveness, nothing else). 'durable' — every heartbeat is acknowledged only after a commit holding it
// (concurrent heartbeats share one commit). 'per-beat' — one synchronous transaction (and fsync) per
// heartbeat, as flowctl's BoltDB does; for comparison in bench:controlplane.
//
// Before an existing file is opened, a child process reads all of it (lmdbCheck.ts): a damaged file
// is reported instead of crashing this process. Skipped when the file is exactly as this code left it
// at a clean close (`<file>.clean`, see lmdbCheck.ts). Files are 0600 in a 0700 folder.
//
// Exclusivity: `<path>.pid` is an O_EXCL lock file holding the owner's pid (see lock.ts).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { open, type Database, type RootDatabase } from 'lmdb';
import type { PipelineRun, ServiceRecord } from '../model';
import { flowctlHome, makePrivateFile } from '../../paths';
import type { PidLock } from './lock';
import { takeRegistryLock } from './registryLock';
import { RegistryDamagedError, checkRegistryFile, matchesCleanMark, removeCleanMark, writeCleanMark } from './lmdbCheck';
import type { Storage } from './types';

export const SCHEMA_VERSION = 1;
const APP_MARK = 'flowctl-registry';
const OUR_DBS = new Set(['services', 'runs', 'meta']);
const FIX = 'move it away or pass --db-path / --no-persistence';

/** ~/.flowctl/registry.lmdb (FLOWCTL_HOME overrides ~/.flowctl). */
export function defaultDbPath(): string {
  return path.join(flowctlHome(), 'registry.lmdb');
}

export interface LmdbStorageOptions {
  /** How often coalesced heartbeat touches are written (ms). Default 1000. */
  flushIntervalMs?: number;
  /** How heartbeats reach the disk (see the header). Default 'batched'. */
  heartbeatWrites?: 'batched' | 'durable' | 'per-beat';
  /** Check an existing file in a child process before opening it (default true). */
  checkBeforeOpen?: boolean;
  /**
   * The lock file, already taken by the caller with takeRegistryLock() (a run takes it before it spawns
   * anything, then opens the database while its components boot); open() takes it otherwise.
   */
  lock?: PidLock;
}

export class LmdbStorage implements Storage {
  readonly kind = 'lmdb' as const;
  readonly location: string;
  readonly lockPath: string;
  readonly heartbeatWrites: 'batched' | 'durable' | 'per-beat';
  private readonly flushIntervalMs: number;
  private readonly checkBeforeOpen: boolean;
  private scheduled = false;

  private root?: RootDatabase;
  private services?: Database<ServiceRecord, string>;
  private runs?: Database<PipelineRun, string>;
  private lock?: PidLock;
  private givenLock?: PidLock;
  private readonly pending = new Map<string, ServiceRecord>();
  private timer?: NodeJS.Timeout;
  private inflightBatch: Promise<void> = Promise.resolve();
  private inflightTouch: Promise<void> = Promise.resolve();
  private closing?: Promise<void>;

  /**
   * Counters, for tests and diagnostics. `writeTransactions` counts the write transactions this
   * object asked for (one per putService/deleteService/putRun, one per heartbeat batch);
   * `touchBatches` counts the heartbeat batches and `touchedWritten` the records they wrote.
   */
  readonly stats = { writeTransactions: 0, touchBatches: 0, touchedWritten: 0 };

  constructor(dbPath: string = defaultDbPath(), options: LmdbStorageOptions = {}) {
    this.location = path.resolve(dbPath);
    this.lockPath = `${this.location}.pid`;
    this.flushIntervalMs = options.flushIntervalMs ?? 1000;
    this.heartbeatWrites = options.heartbeatWrites ?? 'batched';
    this.checkBeforeOpen = options.checkBeforeOpen ?? true;
    this.givenLock = options.lock;
    if (!(this.flushIntervalMs > 0)) throw new Error(`flushIntervalMs must be > 0 (got ${options.flushIntervalMs})`);
  }

  /** How long the last pre-open check took (ms), for diagnostics; undefined when none ran. */
  lastCheckMs: number | undefined;
  /** True when the last open skipped the check: the file was as a clean close left it. */
  lastCheckSkipped = false;

  async open(): Promise<void> {
    if (this.root) return;
    this.closing = undefined;
    const file = this.location;
    const dir = path.dirname(file);
    this.lock = this.givenLock ?? takeRegistryLock(file);
    this.givenLock = undefined; // taken over: released at close (a later open takes the lock itself)
    try {
      const created = checkLmdbFile(file);
      this.lastCheckMs = undefined;
      this.lastCheckSkipped = !created && this.checkBeforeOpen && matchesCleanMark(file);
      if (!created && this.checkBeforeOpen && !this.lastCheckSkipped) this.lastCheckMs = (await checkRegistryFile(file)).ms;
      removeCleanMark(file); // from here on the file changes: only the next clean close vouches for it again
      this.root = openRoot(file);
      makePrivateFile(file);
      makePrivateFile(`${file}-lock`);
      if (created) fsyncDir(dir);
      const foreign = [...this.root.getKeys({ limit: 10 })].find((k) => !(typeof k === 'string' && OUR_DBS.has(k)));
      if (foreign !== undefined) throw new Error(`database file ${file} is not a valid flowctl registry (an LMDB database with other contents, e.g. key ${JSON.stringify(foreign)}); ${FIX}`);
      this.services = this.root.openDB<ServiceRecord, string>({ name: 'services' });
      this.runs = this.root.openDB<PipelineRun, string>({ name: 'runs' });
      await this.checkSchema(this.root.openDB<unknown, string>({ name: 'meta' }));
    } catch (err) {
      const root = this.root;
      this.root = this.services = this.runs = undefined;
      if (root) await root.close().catch(() => undefined);
      this.lock.release();
      this.lock = undefined;
      throw err;
    }
  }

  close(): Promise<void> {
    if (!this.closing) this.closing = this.doClose();
    return this.closing;
  }

  private async doClose(): Promise<void> {
    if (!this.root) return;
    let flushed = false;
    try {
      await this.flush();
      flushed = true;
    } finally {
      const root = this.root;
      this.root = this.services = this.runs = undefined;
      await root.close();
      if (flushed) writeCleanMark(this.location);
      this.lock?.release();
      this.lock = undefined;
    }
  }

  async loadServices(): Promise<ServiceRecord[]> {
    const services = this.db().services;
    await this.flush();
    return this.readAll(() => [...services.getRange()].map((e) => e.value));
  }

  async loadRuns(): Promise<PipelineRun[]> {
    const runs = this.db().runs;
    return this.readAll(() => [...runs.getRange()].map((e) => e.value));
  }

  /** A record that cannot be decoded means a damaged file (the pre-open check reads the same). */
  private readAll<T>(read: () => T): T {
    try {
      return read();
    } catch (err) {
      throw new RegistryDamagedError(this.location, `a record could not be read: ${(err as Error).message}`);
    }
  }

  async putService(record: ServiceRecord): Promise<void> {
    const { root, services } = this.db();
    this.pending.delete(record.serviceId); // an older touched state must not overwrite this one
    this.stats.writeTransactions++;
    await services.put(record.serviceId, record); // encodes now: later changes to `record` don't leak in
    await root.flushed;
  }

  async deleteService(serviceId: string): Promise<void> {
    const { root, services } = this.db();
    this.pending.delete(serviceId); // a touch from before the delete must not bring it back
    this.stats.writeTransactions++;
    await services.remove(serviceId);
    await root.flushed;
  }

  async putRun(run: PipelineRun): Promise<void> {
    const { root, runs } = this.db();
    this.stats.writeTransactions++;
    await runs.put(run.runId, run);
    await root.flushed;
  }

  async deleteRun(runId: string): Promise<void> {
    const { root, runs } = this.db();
    this.stats.writeTransactions++;
    await runs.remove(runId);
    await root.flushed;
  }

  touchService(record: ServiceRecord): void | Promise<void> {
    if (!this.root || this.closing) return; // a late heartbeat during shutdown: nothing to keep
    if (this.heartbeatWrites === 'per-beat') {
      const services = this.services!;
      this.pending.delete(record.serviceId);
      this.stats.writeTransactions++;
      this.root.transactionSync(() => services.putSync(record.serviceId, record));
      return;
    }
    this.pending.set(record.serviceId, record);
    if (this.heartbeatWrites === 'durable') {
      // Acknowledged after the commit that holds it; heartbeats of the same turn share one commit.
      if (!this.scheduled) {
        this.scheduled = true;
        this.inflightTouch = new Promise<void>((resolve, reject) =>
          setImmediate(() => {
            this.scheduled = false;
            this.flush().then(resolve, reject);
          }),
        );
      }
      return this.inflightTouch;
    }
    if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.flush().catch((err) => {
          // Nobody awaits the timer: report, keep running (the next put/flush will surface it too).
          console.error(`flowctl: writing heartbeats to ${this.location} failed: ${(err as Error).message}`);
        });
      }, this.flushIntervalMs);
      this.timer.unref();
    }
  }

  /** Writes all pending touched records in one transaction, and waits for earlier batches. */
  flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.pending.size === 0 || !this.root || !this.services) return this.inflightBatch;
    const { root, services } = this;
    const batch = [...this.pending.values()];
    this.pending.clear();
    this.stats.writeTransactions++;
    this.stats.touchBatches++;
    this.stats.touchedWritten += batch.length;
    const previous = this.inflightBatch;
    const written = root.transaction(() => {
      for (const record of batch) void services.put(record.serviceId, record);
    });
    this.inflightBatch = Promise.all([previous, written]).then(() => root.flushed).then(() => undefined);
    return this.inflightBatch;
  }

  private db(): { root: RootDatabase; services: Database<ServiceRecord, string>; runs: Database<PipelineRun, string> } {
    if (!this.root || !this.services || !this.runs || this.closing) {
      throw new Error(`the registry database ${this.location} is not open`);
    }
    return { root: this.root, services: this.services, runs: this.runs };
  }

  private async checkSchema(meta: Database<unknown, string>): Promise<void> {
    const app = meta.get('app');
    const version = meta.get('schemaVersion');
    if (app === undefined && version === undefined) {
      const empty = this.services!.getKeysCount() === 0 && this.runs!.getKeysCount() === 0;
      if (!empty) throw new Error(`database file ${this.location} is not a valid flowctl registry (records without a schema marker); ${FIX}`);
      this.stats.writeTransactions++;
      await meta.transaction(() => {
        void meta.put('app', APP_MARK);
        void meta.put('schemaVersion', SCHEMA_VERSION);
      });
      await this.root!.flushed;
      return;
    }
    if (app !== APP_MARK || typeof version !== 'number') {
      throw new Error(`database file ${this.location} is not a valid flowctl registry (unknown schema marker); ${FIX}`);
    }
    if (version > SCHEMA_VERSION) {
      throw new Error(
        `database file ${this.location} was written by a newer flowctl (registry schema ${version}, this one reads ${SCHEMA_VERSION}); ` +
          'upgrade flowctl, or pass --db-path / --no-persistence',
      );
    }
  }
}

function openRoot(file: string): RootDatabase {
  try {
    return open({
      path: file,
      noSubdir: true,
      // Standard LMDB commits: fsync before the commit resolves (see the header comment).
      overlappingSync: false,
      noSync: false,
      maxDbs: 4,
    });
  } catch (err) {
    throw new Error(`database file ${file} is not a valid flowctl registry (${(err as Error).message}); ${FIX}`);
  }
}

const MDB_MAGIC = 0xbeefc0de;
const META_MAGIC_OFFSET = 24; // after the 24-byte page header
const META_PSIZE_OFFSET = 48; // mm_dbs[FREE_DBI].md_pad holds the page size

/**
 * lmdb-js crashes the whole process (SIGSEGV) when asked to open a file that is not an LMDB
 * environment, so the two meta pages are checked here first. Returns true when the file is new.
 */
export function checkLmdbFile(file: string): boolean {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return true;
    throw new Error(`cannot read the registry database ${file} (${(err as Error).message}); pass --db-path / --no-persistence`);
  }
  try {
    const st = fs.fstatSync(fd);
    if (st.isDirectory()) throw new Error(`database file ${file} is not a valid flowctl registry (it is a folder); ${FIX}`);
    if (st.size === 0) return true; // LMDB initialises an empty file
    const bad = (why: string) => new Error(`database file ${file} is not a valid flowctl registry (${why}); ${FIX}`);
    const head = Buffer.alloc(64);
    fs.readSync(fd, head, 0, head.length, 0);
    if (head.readUInt32LE(META_MAGIC_OFFSET) !== MDB_MAGIC) throw bad('not an LMDB database');
    const pageSize = head.readUInt32LE(META_PSIZE_OFFSET);
    if (pageSize < 512 || pageSize > 65536 || (pageSize & (pageSize - 1)) !== 0) throw bad(`corrupt header: page size ${pageSize}`);
    if (st.size < 2 * pageSize) throw bad(`truncated: ${st.size} bytes`);
    const second = Buffer.alloc(64);
    fs.readSync(fd, second, 0, second.length, pageSize);
    if (second.readUInt32LE(META_MAGIC_OFFSET) !== MDB_MAGIC) throw bad('corrupt header: second meta page');
    return false;
  } finally {
    fs.closeSync(fd);
  }
}

function fsyncDir(dir: string): void {
  try {
    const fd = fs.openSync(dir, 'r');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    // Not supported everywhere (e.g. Windows); the file itself is synced by LMDB.
  }
}
