// Pipeline runs, owned by the Registry: flowctl's CreatePipelineRun / UpdatePipelineRun /
// GetPipelineRun / ListPipelineRuns / StopPipelineRun semantics (reference §1.6), kept in memory and
// written through to storage (durable when the promise resolves), plus run stoppers (§1.7).
//
// Differences from flowctl, on purpose: empty run ids are INVALID_ARGUMENT, unknown RunStatus values
// are INVALID_ARGUMENT, listing is newest first (flowctl: storage order), and runs are kept even
// without storage (flowctl answered "storage not configured").
import type { Emitter } from '../typedEmitter';
import type { RegistryEvent } from '../events';
import { MAX_ID_LENGTH, isKnownRunStatus } from './convert';
import { internalError, invalidArgument, messageOf, notFound } from './errors';
import { RunStatus, emptyRunMetrics, isTerminalRunStatus, type PipelineRun, type RunMetrics } from './model';
import type { Storage } from './storage/types';

export interface CreateRunInput {
  runId: string;
  pipelineName: string;
  configYaml?: string;
  componentIds?: string[];
  logDir?: string;
}

export interface UpdateRunInput {
  runId: string;
  /** RUN_STATUS_UNKNOWN (0) or undefined = leave as is. */
  status?: number;
  /** Replaces the metrics wholesale when given. */
  metrics?: RunMetrics | null;
  /** Set when non-empty. */
  error?: string;
  /** Components that failed and why; added to those already recorded. */
  failures?: Record<string, string>;
}

export interface ListRunsInput {
  /** Exact match when non-empty. */
  pipelineName?: string;
  /** Exact match unless UNKNOWN (0). */
  status?: number;
  /** 0/undefined → 10; negative → all. */
  limit?: number;
}

export type RunStopper = () => void | Promise<void>;

type Log = (level: 'debug' | 'info' | 'warn' | 'error', msg: string) => void;

interface Entry {
  run: PipelineRun;
  /** Creation order, to keep listing stable for runs that started in the same millisecond. */
  seq: number;
}

function checkRunId(runId: string): void {
  if (typeof runId !== 'string' || runId === '') throw invalidArgument('run_id is required');
  if (runId.length > MAX_ID_LENGTH) throw invalidArgument(`run_id is too long (${runId.length} characters, at most ${MAX_ID_LENGTH})`);
}

export class PipelineRuns {
  private readonly runs = new Map<string, Entry>();
  private readonly stoppers = new Map<string, RunStopper>();
  private seq = 0;

  constructor(
    private readonly deps: {
      storage: () => Storage | undefined;
      now: () => number;
      events: Emitter<RegistryEvent>;
      log: Log;
    },
  ) {}

  /** Replaces the in-memory runs with those loaded from storage. */
  load(runs: PipelineRun[]): void {
    this.runs.clear();
    const sorted = [...runs].sort((a, b) => a.startTime - b.startTime);
    for (const run of sorted) this.runs.set(run.runId, { run, seq: ++this.seq });
  }

  async create(input: CreateRunInput): Promise<PipelineRun> {
    checkRunId(input.runId);
    const run: PipelineRun = {
      runId: input.runId,
      pipelineId: input.pipelineName ?? '', // flowctl: "pipeline_id = pipeline_name for now"
      pipelineName: input.pipelineName ?? '',
      status: RunStatus.STARTING,
      startTime: this.deps.now(),
      endTime: 0,
      configYaml: input.configYaml ?? '',
      metrics: emptyRunMetrics(),
      error: '',
      componentIds: [...(input.componentIds ?? [])],
      ...(input.logDir ? { logDir: input.logDir } : {}),
    };
    await this.commit(run, 'created', 'failed to create pipeline run');
    return run;
  }

  async update(input: UpdateRunInput): Promise<PipelineRun> {
    checkRunId(input.runId);
    const status = input.status ?? RunStatus.UNKNOWN;
    if (!isKnownRunStatus(status)) throw invalidArgument(`unknown run status ${status}`);
    const current = this.mustGet(input.runId);
    const run: PipelineRun = { ...current };
    if (status !== RunStatus.UNKNOWN) {
      run.status = status;
      if (isTerminalRunStatus(status)) run.endTime = this.deps.now();
    }
    if (input.metrics) run.metrics = input.metrics;
    if (input.error) run.error = input.error;
    // Failures accumulate: a later update (e.g. a stop racing a failing start) never drops one.
    if (input.failures) run.failures = { ...current.failures, ...input.failures };
    await this.commit(run, 'updated', 'failed to update pipeline run');
    return run;
  }

  get(runId: string): PipelineRun {
    checkRunId(runId);
    return this.mustGet(runId);
  }

  /** Newest first (by start time). */
  list(input: ListRunsInput = {}): PipelineRun[] {
    const status = input.status ?? RunStatus.UNKNOWN;
    if (!isKnownRunStatus(status)) throw invalidArgument(`unknown run status ${status}`);
    const limit = !input.limit ? 10 : input.limit < 0 ? Infinity : input.limit;
    const matches: Entry[] = [];
    for (const entry of this.runs.values()) {
      if (input.pipelineName && entry.run.pipelineName !== input.pipelineName) continue;
      if (status !== RunStatus.UNKNOWN && entry.run.status !== status) continue;
      matches.push(entry);
    }
    matches.sort((a, b) => b.run.startTime - a.run.startTime || b.seq - a.seq);
    const out: PipelineRun[] = [];
    for (const e of matches) {
      if (out.length >= limit) break;
      out.push(e.run);
    }
    return out;
  }

  /** Invokes the run's stopper (asynchronously, every call) and marks the run STOPPED with end time now. */
  async stop(runId: string): Promise<PipelineRun> {
    checkRunId(runId);
    const stopper = this.stoppers.get(runId);
    if (stopper) {
      setImmediate(() => {
        try {
          Promise.resolve(stopper()).catch((err) => this.deps.log('error', `stopping run ${runId} failed: ${messageOf(err)}`));
        } catch (err) {
          this.deps.log('error', `stopping run ${runId} failed: ${messageOf(err)}`);
        }
      });
    }
    const run: PipelineRun = { ...this.mustGet(runId), status: RunStatus.STOPPED, endTime: this.deps.now() };
    await this.commit(run, 'stopped', 'failed to stop pipeline run');
    return run;
  }

  registerStopper(runId: string, fn: RunStopper): void {
    if (!runId || typeof fn !== 'function') return;
    this.stoppers.set(runId, fn);
  }

  unregisterStopper(runId: string): void {
    this.stoppers.delete(runId);
  }

  private mustGet(runId: string): PipelineRun {
    const entry = this.runs.get(runId);
    if (!entry) throw notFound(`pipeline run not found: ${runId}`);
    return entry.run;
  }

  /** Puts the new version in memory, writes it through, and rolls memory back if the write fails. */
  private async commit(run: PipelineRun, change: 'created' | 'updated' | 'stopped', failure: string): Promise<void> {
    const previous = this.runs.get(run.runId);
    const entry: Entry = { run, seq: change === 'created' || !previous ? ++this.seq : previous.seq };
    this.runs.set(run.runId, entry);
    const storage = this.deps.storage();
    if (storage) {
      try {
        await storage.putRun(run);
      } catch (err) {
        if (this.runs.get(run.runId) === entry) {
          if (previous) this.runs.set(run.runId, previous);
          else this.runs.delete(run.runId);
        }
        throw internalError(`${failure}: ${messageOf(err)}`, err);
      }
    }
    this.deps.events.emit({ type: 'runChanged', run, change });
  }
}
