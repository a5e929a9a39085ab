// Pipeline runs, owned by the Registry: flowctl's CreatePipelineRun / UpdatePipelineRun /
// GetPipelineRun / ListPipelineRuns / StopPipelineRun semantics (reference §1.6), kept in memory and
// written through to storage (durable when the promise resolves), plus run stoppers (§1.7).
//
// Differences from flowctl, on purpose: empty run ids are INVALID_ARGUMENT, unknown RunStatus values
// are INVALID_ARGUMENT, listing is newest first (flowctl: storage order), runs are kept even without
// storage (flowctl answered "storage not configured"), every field is bounded (limits.ts), runs are
// pruned oldest first (finished ones first, never one that has a stopper) past maxRunsPerPipeline,
// maxRuns or maxRunBytes, ListPipelineRuns answers at most maxListedRuns (limit < 0 included), and
// config_yaml is kept and served with its secrets redacted (redact.ts).
import type { Emitter } from '../typedEmitter';
import type { RegistryEvent } from '../events';
import { isKnownRunStatus } from './convert';
import { internalError, invalidArgument, messageOf, notFound } from './errors';
import { DEFAULT_LIMITS, checkLength, formatBytes, limitNote, type ControlPlaneLimits } from './limits';
import { redactPipelineConfig } from './redact';
import { RunStatus, emptyRunMetrics, isTerminalRunStatus, type PipelineRun, type RunMetrics } from './model';
import type { Storage } from './storage/types';

export interface CreateRunInput {
  runId: string;
  pipelineName: string;
  configYaml?: string;
  componentIds?: string[];
  /**
   * A config over maxConfigYamlLength: 'refuse' (INVALID_ARGUMENT, the default; gRPC callers) or
   * 'withhold' (kept as a one-line note; the runner's own run, which must not fail over its file size).
   */
  oversizedConfig?: 'refuse' | 'withhold';
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
  /** What the run keeps (counted against maxRunBytes). */
  bytes: number;
}

/** Approximate size of what a run keeps: its strings, ids and per-component metrics. */
export function runBytes(run: PipelineRun): number {
  let n = run.runId.length + run.pipelineId.length + run.pipelineName.length + run.configYaml.length + run.error.length + 64;
  for (const id of run.componentIds) n += id.length + 8;
  for (const k in run.metrics.component_metrics) n += k.length + 48;
  if (run.logDir) n += run.logDir.length;
  for (const k in run.failures ?? {}) n += k.length + run.failures![k]!.length;
  return n;
}

export class PipelineRuns {
  private readonly runs = new Map<string, Entry>();
  private readonly stoppers = new Map<string, RunStopper>();
  private seq = 0;
  /** Sum of Entry.bytes. */
  private bytes = 0;
  private readonly limits: ControlPlaneLimits;

  constructor(
    private readonly deps: {
      storage: () => Storage | undefined;
      now: () => number;
      events: Emitter<RegistryEvent>;
      log: Log;
      limits?: ControlPlaneLimits;
    },
  ) {
    this.limits = deps.limits ?? DEFAULT_LIMITS;
  }

  get size(): number {
    return this.runs.size;
  }

  /** What all runs keep, in bytes (approximate, see runBytes). */
  get keptBytes(): number {
    return this.bytes;
  }

  /**
   * Replaces the in-memory runs with those loaded from storage. Configs an earlier version stored
   * unredacted are redacted (and written back); runs past the caps are pruned.
   */
  load(runs: PipelineRun[]): void {
    this.runs.clear();
    this.bytes = 0;
    const sorted = [...runs].filter((r) => r && typeof r.runId === 'string').sort((a, b) => a.startTime - b.startTime);
    for (const stored of sorted) {
      const run: PipelineRun = { ...stored, configYaml: typeof stored.configYaml === 'string' ? stored.configYaml : '' };
      if (run.configYaml.length > this.limits.maxConfigYamlLength) run.configYaml = oversizedNote(run.configYaml.length, this.limits);
      else run.configYaml = redactPipelineConfig(run.configYaml);
      if (run.error.length > this.limits.maxRunErrorLength) run.error = cut(run.error, this.limits);
      const entry: Entry = { run, seq: ++this.seq, bytes: runBytes(run) };
      this.runs.set(run.runId, entry);
      this.bytes += entry.bytes;
      if (run.configYaml !== stored.configYaml || run.error !== stored.error) {
        this.deps.storage()?.putRun(run).catch((err) => this.deps.log('warn', `could not rewrite run ${run.runId}: ${messageOf(err)}`));
      }
    }
    this.prune(undefined);
  }

  async create(input: CreateRunInput): Promise<PipelineRun> {
    this.checkRunId(input.runId);
    const limits = this.limits;
    const pipelineName = typeof input.pipelineName === 'string' ? input.pipelineName : '';
    checkLength('pipeline_name', pipelineName, limits, 'maxNameLength');
    const componentIds = [...(input.componentIds ?? [])];
    if (componentIds.length > limits.maxRunComponents) {
      throw invalidArgument(`component_ids has too many entries: ${componentIds.length}, ${limitNote(limits, 'maxRunComponents')}`);
    }
    for (const id of componentIds) checkLength('an entry of component_ids', id, limits, 'maxIdLength');
    let configYaml = input.configYaml ?? '';
    if (configYaml.length > limits.maxConfigYamlLength) {
      if (input.oversizedConfig !== 'withhold') {
        throw invalidArgument(`config_yaml is too long: ${configYaml.length} characters, ${limitNote(limits, 'maxConfigYamlLength')}`);
      }
      configYaml = oversizedNote(configYaml.length, limits);
    } else {
      configYaml = redactPipelineConfig(configYaml);
    }
    const run: PipelineRun = {
      runId: input.runId,
      pipelineId: pipelineName, // flowctl: "pipeline_id = pipeline_name for now"
      pipelineName,
      status: RunStatus.STARTING,
      startTime: this.deps.now(),
      endTime: 0,
      configYaml,
      metrics: emptyRunMetrics(),
      error: '',
      componentIds,
      ...(input.logDir ? { logDir: input.logDir } : {}),
    };
    await this.commit(run, 'created', 'failed to create pipeline run');
    this.prune(run.runId);
    return run;
  }

  async update(input: UpdateRunInput): Promise<PipelineRun> {
    this.checkRunId(input.runId);
    const status = input.status ?? RunStatus.UNKNOWN;
    if (!isKnownRunStatus(status)) throw invalidArgument(`unknown run status ${status}`);
    if (input.metrics) {
      let n = 0;
      for (const k in input.metrics.component_metrics) {
        n++;
        checkLength('a key of metrics.component_metrics', k, this.limits, 'maxIdLength');
      }
      if (n > this.limits.maxRunComponents) {
        throw invalidArgument(`metrics.component_metrics has too many entries: ${n}, ${limitNote(this.limits, 'maxRunComponents')}`);
      }
    }
    const current = this.mustGet(input.runId);
    const run: PipelineRun = { ...current };
    if (status !== RunStatus.UNKNOWN) {
      run.status = status;
      if (isTerminalRunStatus(status)) run.endTime = this.deps.now();
    }
    if (input.metrics) run.metrics = input.metrics;
    if (input.error) run.error = input.error.length > this.limits.maxRunErrorLength ? cut(input.error, this.limits) : input.error;
    // Failures accumulate: a later update (e.g. a stop racing a failing start) never drops one.
    if (input.failures) run.failures = { ...current.failures, ...input.failures };
    await this.commit(run, 'updated', 'failed to update pipeline run');
    return run;
  }

  get(runId: string): PipelineRun {
    this.checkRunId(runId);
    return this.mustGet(runId);
  }

  /** Newest first (by start time); at most maxListedRuns (limit < 0 = all of them, up to that). */
  list(input: ListRunsInput = {}): PipelineRun[] {
    const status = input.status ?? RunStatus.UNKNOWN;
    if (!isKnownRunStatus(status)) throw invalidArgument(`unknown run status ${status}`);
    const max = this.limits.maxListedRuns;
    const limit = !input.limit ? 10 : input.limit < 0 ? max : Math.min(input.limit, max);
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
    this.checkRunId(runId);
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

  private checkRunId(runId: string): void {
    if (typeof runId !== 'string' || runId === '') throw invalidArgument('run_id is required');
    checkLength('run_id', runId, this.limits, 'maxIdLength');
  }

  /**
   * Removes the oldest runs past maxRunsPerPipeline (for the pipeline of `justCreated`, or every
   * pipeline when undefined), maxRuns and maxRunBytes: finished runs first, then the oldest others;
   * never the one just created nor one with a stopper (a live run of this process).
   */
  private prune(justCreated: string | undefined): void {
    const limits = this.limits;
    const removable = (e: Entry) => e.run.runId !== justCreated && !this.stoppers.has(e.run.runId);
    // Oldest first, finished before unfinished.
    const order = (list: Entry[]) =>
      list
        .filter(removable)
        .sort((a, b) => Number(!isTerminalRunStatus(a.run.status)) - Number(!isTerminalRunStatus(b.run.status)) || a.run.startTime - b.run.startTime || a.seq - b.seq);
    const victims = new Set<Entry>();
    const byPipeline = new Map<string, Entry[]>();
    const created = justCreated !== undefined ? this.runs.get(justCreated) : undefined;
    for (const e of this.runs.values()) {
      if (created && e.run.pipelineName !== created.run.pipelineName) continue;
      const list = byPipeline.get(e.run.pipelineName) ?? [];
      list.push(e);
      byPipeline.set(e.run.pipelineName, list);
    }
    for (const list of byPipeline.values()) {
      let excess = list.length - limits.maxRunsPerPipeline;
      for (const e of order(list)) {
        if (excess <= 0) break;
        victims.add(e);
        excess--;
      }
    }
    let count = this.runs.size - victims.size;
    let bytes = this.bytes;
    for (const e of victims) bytes -= e.bytes;
    if (count > limits.maxRuns || bytes > limits.maxRunBytes) {
      for (const e of order([...this.runs.values()].filter((x) => !victims.has(x)))) {
        if (count <= limits.maxRuns && bytes <= limits.maxRunBytes) break;
        victims.add(e);
        count--;
        bytes -= e.bytes;
      }
    }
    if (victims.size === 0) return;
    const storage = this.deps.storage();
    for (const e of victims) {
      this.runs.delete(e.run.runId);
      this.bytes -= e.bytes;
      storage?.deleteRun(e.run.runId).catch((err) => this.deps.log('warn', `could not delete pruned run ${e.run.runId}: ${messageOf(err)}`));
    }
    this.deps.log(
      'info',
      `pruned ${victims.size} old run(s) (${limitNote(limits, 'maxRunsPerPipeline')}, ${limitNote(limits, 'maxRuns')}, ${limitNote(limits, 'maxRunBytes', 'bytes')}; ` +
        `${this.runs.size} kept, ${formatBytes(this.bytes)})`,
    );
  }

  private mustGet(runId: string): PipelineRun {
    const entry = this.runs.get(runId);
    if (!entry) throw notFound(`pipeline run not found: ${runId}`);
    return entry.run;
  }

  /** Puts the new version in memory, writes it through, and rolls memory back if the write fails. */
  private async commit(run: PipelineRun, change: 'created' | 'updated' | 'stopped', failure: string): Promise<void> {
    const previous = this.runs.get(run.runId);
    const entry: Entry = { run, seq: change === 'created' || !previous ? ++this.seq : previous.seq, bytes: runBytes(run) };
    this.runs.set(run.runId, entry);
    this.bytes += entry.bytes - (previous?.bytes ?? 0);
    const storage = this.deps.storage();
    if (storage) {
      try {
        await storage.putRun(run);
      } catch (err) {
        if (this.runs.get(run.runId) === entry) {
          this.bytes -= entry.bytes - (previous?.bytes ?? 0);
          if (previous) this.runs.set(run.runId, previous);
          else this.runs.delete(run.runId);
        }
        throw internalError(`${failure}: ${messageOf(err)}`, err);
      }
    }
    this.deps.events.emit({ type: 'runChanged', run, change });
  }
}

function oversizedNote(length: number, limits: ControlPlaneLimits): string {
  return `# config_yaml withheld by flowctl: ${length} characters, ${limitNote(limits, 'maxConfigYamlLength')}\n`;
}

function cut(text: string, limits: ControlPlaneLimits): string {
  const note = ` … (cut: ${text.length} characters, ${limitNote(limits, 'maxRunErrorLength')})`;
  return text.slice(0, Math.max(0, limits.maxRunErrorLength - note.length)) + note;
}
