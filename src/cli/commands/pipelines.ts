// `flowctl pipelines list|runs|run-info|stop|active`: pipeline runs through the legacy run RPCs,
// in flowctl's formats (reference §6), plus `--json`.
import { RunStatus } from '../../core/controlplane/model';
import { call, connect, type Clients, type EndpointFlags } from '../client';
import { readEndpointEntries } from '../../core/endpointFile';
import { formatAgo, formatEvents, formatRunDuration, formatTimestamp, runStatusWord, table, timestampMs } from '../render/format';
import { jsonForTerminal, sanitizeField as f } from '../../core/text/terminal';
import { defineCommand } from '../command';
import type { ParsedArgs } from '../args';
import { endpointFlagSpecs } from './status';

const SUBCOMMANDS = ['list', 'runs', 'run-info', 'stop', 'active'] as const;

const flags = {
  ...endpointFlagSpecs,
  limit: { type: 'number', default: 10, description: 'runs to show (pipelines runs)' },
  json: { type: 'boolean', default: false, description: 'print JSON' },
} as const;

export const command = defineCommand({
  summary: 'List, inspect and stop pipeline runs',
  usage: 'flowctl pipelines list|runs <pipeline-name>|run-info <run-id>|stop <run-id>|active [flags]',
  flags,
  subcommands: SUBCOMMANDS,
  run: pipelinesCommand,
});

interface WireRun {
  run_id: string;
  pipeline_id: string;
  pipeline_name: string;
  status: number;
  start_time: { seconds: number; nanos: number } | null;
  end_time: { seconds: number; nanos: number } | null;
  metrics: { events_processed: number; events_per_second: number } | null;
  error: string;
  component_ids: string[];
}

const USAGE = 'usage: flowctl pipelines list|runs <pipeline-name>|run-info <run-id>|stop <run-id>|active';

function durationOf(run: WireRun, now = Date.now()): number {
  const start = timestampMs(run.start_time);
  const end = timestampMs(run.end_time) || now;
  return start ? end - start : 0;
}

function toJson(run: WireRun) {
  return {
    runId: run.run_id,
    pipeline: run.pipeline_name,
    status: runStatusWord(run.status),
    startTime: timestampMs(run.start_time) ? new Date(timestampMs(run.start_time)).toISOString() : null,
    endTime: timestampMs(run.end_time) ? new Date(timestampMs(run.end_time)).toISOString() : null,
    durationMs: durationOf(run),
    eventsProcessed: run.metrics?.events_processed ?? 0,
    eventsPerSecond: run.metrics?.events_per_second ?? 0,
    error: run.error || undefined,
    components: run.component_ids,
  };
}

/** Exact id, else a unique prefix (flowctl's resolveRunID). */
async function resolveRunId(clients: Clients, prefix: string | undefined): Promise<WireRun> {
  if (!prefix) throw new Error('run id is required');
  try {
    return await call<WireRun>(clients.legacy, 'GetPipelineRun', { run_id: prefix });
  } catch {
    const all = await call<{ runs: WireRun[] }>(clients.legacy, 'ListPipelineRuns', { limit: -1 });
    const matches = all.runs.filter((r) => r.run_id.startsWith(prefix));
    if (matches.length === 0) throw new Error(`pipeline run not found: ${prefix}`);
    if (matches.length > 1) throw new Error(`run id prefix "${prefix}" is ambiguous (${matches.length} matches); provide more characters`);
    return matches[0];
  }
}

export async function pipelinesCommand(args: ParsedArgs<typeof flags>): Promise<number> {
  const [sub, arg] = args.positionals;
  if (!sub || !(SUBCOMMANDS as readonly string[]).includes(sub)) throw new Error(USAGE); // main.ts answers these first
  const json = args.flags.json;
  // `run-info`/`stop` of a live run: its own control plane, found by run id in the endpoint file.
  const byRunId = arg && !args.flags.file && (sub === 'run-info' || sub === 'stop') ? readEndpointEntries().filter((e) => e.file && e.runId?.startsWith(arg)) : [];
  const clients = await connect(args.flags as EndpointFlags, 2000, byRunId.length === 1 ? { file: byRunId[0].file } : {});
  const print = (s: string): number => {
    process.stdout.write(s + '\n');
    return 0;
  };
  try {
    switch (sub) {
      case 'list': {
        const { runs } = await call<{ runs: WireRun[] }>(clients.legacy, 'ListPipelineRuns', { limit: 1000 });
        const groups = new Map<string, WireRun[]>();
        for (const r of runs) groups.set(r.pipeline_name, [...(groups.get(r.pipeline_name) ?? []), r]);
        const rows = [...groups.entries()].map(([name, rs]) => {
          const last = rs.reduce((a, b) => (timestampMs(b.start_time) > timestampMs(a.start_time) ? b : a));
          return { name, last, count: rs.length };
        });
        if (json) return print(jsonForTerminal(rows.map((r) => ({ name: r.name, runs: r.count, lastRun: toJson(r.last) }))));
        if (rows.length === 0) return print('No pipelines found');
        print(table([['NAME', 'LAST RUN', 'STATUS', 'RUNS'], ...rows.map((r) => [f(r.name), formatAgo(timestampMs(r.last.start_time)), runStatusWord(r.last.status), String(r.count)])]));
        print(`\n${rows.length} pipeline(s) found`);
        return 0;
      }
      case 'runs': {
        if (!arg) throw new Error('usage: flowctl pipelines runs <pipeline-name> [--limit N]');
        const limit = args.flags.limit;
        const { runs } = await call<{ runs: WireRun[] }>(clients.legacy, 'ListPipelineRuns', { pipeline_name: arg, limit });
        if (json) return print(jsonForTerminal(runs.map(toJson)));
        if (runs.length === 0) return print(`No runs found for pipeline: ${f(arg)}`);
        print(table([['RUN ID', 'STATUS', 'STARTED', 'DURATION', 'EVENTS'], ...runs.map((r) => [f(r.run_id.slice(0, 8)), runStatusWord(r.status), formatAgo(timestampMs(r.start_time)), formatRunDuration(durationOf(r)), formatEvents(r.metrics?.events_processed ?? 0)])]));
        print(`\nShowing last ${runs.length} run(s). Use --limit to see more.`);
        return 0;
      }
      case 'run-info': {
        const run = await resolveRunId(clients, arg);
        if (json) return print(jsonForTerminal(toJson(run)));
        const lines = [
          `Run ID:        ${f(run.run_id)}`,
          `Pipeline:      ${f(run.pipeline_name)}`,
          `Status:        ${runStatusWord(run.status)}`,
          `Started:       ${formatTimestamp(timestampMs(run.start_time))}`,
          `Duration:      ${formatRunDuration(durationOf(run))}`,
          `Events:        ${formatEvents(run.metrics?.events_processed ?? 0)}`,
        ];
        if (run.metrics?.events_per_second) lines.push(`Throughput:    ${Number(run.metrics.events_per_second).toFixed(1)} events/sec`);
        lines.push('', 'Components:', ...run.component_ids.map((c) => `  - ${f(c)}`));
        if (run.error) lines.push('', `Error: ${f(run.error, 4096)}`);
        print(lines.join('\n'));
        return 0;
      }
      case 'stop': {
        const run = await resolveRunId(clients, arg);
        if (!json) print(`Stopping pipeline run ${f(run.run_id)}...`);
        const stopped = await call<WireRun>(clients.legacy, 'StopPipelineRun', { run_id: run.run_id });
        if (json) return print(jsonForTerminal(toJson(stopped)));
        print(`✓ Pipeline stopped (status: ${runStatusWord(stopped.status)})`);
        return 0;
      }
      case 'active': {
        const { runs } = await call<{ runs: WireRun[] }>(clients.legacy, 'ListPipelineRuns', { status: RunStatus.RUNNING, limit: 100 });
        if (json) return print(jsonForTerminal(runs.map(toJson)));
        if (runs.length === 0) return print('No active pipeline runs');
        print(table([['RUN ID', 'PIPELINE', 'STARTED', 'DURATION', 'EVENTS', 'STATUS'], ...runs.map((r) => [f(r.run_id.slice(0, 8)), f(r.pipeline_name), formatAgo(timestampMs(r.start_time)), formatRunDuration(durationOf(r)), formatEvents(r.metrics?.events_processed ?? 0), runStatusWord(r.status)])]));
        print(`\n${runs.length} active pipeline run(s)`);
        return 0;
      }
    }
    return 1;
  } finally {
    clients.close();
  }
}
