// The run history of a pipeline, read from its run store (the per-pipeline LMDB registry under
// FLOWCTL_HOME that every run writes its run record to), for the extension's Runs view and scripts.
//
// Reading works while a run in ANOTHER process holds the store: LMDB lets readers in next to its one
// writer, and this reader takes no pid lock and writes nothing (read-only environment, opened, read
// and closed synchronously). Within one process LMDB shares one environment per file, so a caller
// must not read the store of a run that its own process is running (the extension keeps what it read
// before such a run started: nobody else can write the store while the run holds its lock).
import * as fs from 'node:fs';
import { open } from 'lmdb';
import { RunStatus, type PipelineRun } from '../controlplane/model';
import { checkLmdbFile } from '../controlplane/storage/lmdb';

/** Records read at most (newest first after sorting); a store is pruned by its writer, this bounds a reader anyway. */
export const MAX_RUNS_READ = 10_000;

export type RunStatusWord = 'starting' | 'running' | 'completed' | 'failed' | 'stopped' | 'unknown';

export function runStatusWord(status: number): RunStatusWord {
  switch (status) {
    case RunStatus.STARTING:
      return 'starting';
    case RunStatus.RUNNING:
      return 'running';
    case RunStatus.COMPLETED:
      return 'completed';
    case RunStatus.FAILED:
      return 'failed';
    case RunStatus.STOPPED:
      return 'stopped';
    default:
      return 'unknown';
  }
}

/** Events a run processed, as its record says. */
export function runEvents(run: PipelineRun): number {
  return run.metrics?.events_processed ?? 0;
}

export interface RunStoreRead {
  runs: PipelineRun[];
  /** Why nothing could be read (a corrupt or foreign file); a missing store is not an error. */
  error?: string;
}

/** Runs of one store, newest first, at most `limit` (default 50). */
export function readRunStore(dbPath: string, opts: { limit?: number } = {}): RunStoreRead {
  const limit = Math.max(1, opts.limit ?? 50);
  if (!fs.existsSync(dbPath)) return { runs: [] };
  try {
    if (checkLmdbFile(dbPath)) return { runs: [] }; // empty file: nothing written yet
  } catch (err) {
    return { runs: [], error: (err as Error).message };
  }
  let root: ReturnType<typeof open> | undefined;
  try {
    root = open({ path: dbPath, noSubdir: true, readOnly: true, maxDbs: 4 });
    const names = new Set<unknown>(root.getKeys({ limit: 10 }));
    if (!names.has('runs')) return { runs: [] };
    const runs = root.openDB<PipelineRun, string>({ name: 'runs' });
    const all: PipelineRun[] = [];
    for (const { value } of runs.getRange({ limit: MAX_RUNS_READ })) {
      if (value && typeof value === 'object' && typeof value.runId === 'string') all.push(value);
    }
    all.sort((a, b) => (b.startTime ?? 0) - (a.startTime ?? 0));
    return { runs: all.slice(0, limit) };
  } catch (err) {
    return { runs: [], error: `cannot read the run store ${dbPath}: ${(err as Error).message}` };
  } finally {
    // Read-only: nothing to flush, so the environment closes synchronously here.
    void root?.close();
  }
}
