// `flowctl status [pipeline-file]`: the components registered with a running control plane
// (flowctl's format, plus event counts from the active run), `--watch` to refresh, `--json` for scripts.
import { loadPipelineFileSync } from '../../core/pipeline/load';
import { RunStatus } from '../../core/controlplane/model';
import { call, connect, tlsSettings, type EndpointFlags } from '../client';
import { runnerDialAddress } from '../../core/endpointFile';
import { RunnerClient } from '../../core/runctl/client';
import type { HistoryJson } from '../../core/history/metricHistory';
import { colorEnabled, palette } from '../render/color';
import { jsonForTerminal } from '../../core/text/terminal';
import { renderStatus, type EventCounts, type WireComponentStatus } from '../render/status';
import { defineCommand } from '../command';
import type { ParsedArgs } from '../args';
import type { ComponentView } from '../../core/events';
import { MetricHistory } from '../../core/history/metricHistory';
import { historySparkline, shortRate } from '../../core/history/sparkline';

/** Seconds of the runner's own history `status --json` asks for. */
const RUNNER_HISTORY_SECONDS = 600;

/**
 * The run's own metric history (10 minutes at 1 s), from its runner service, when the control plane
 * is a flowctl run's (endpoint file entry); undefined for `flowctl server` or an older run.
 */
async function runnerHistory(clients: { info?: import('../../core/endpointFile').EndpointEntry }, flags: EndpointFlags): Promise<HistoryJson | undefined> {
  const entry = clients.info;
  if (!entry || entry.kind !== 'run') return undefined;
  const client = new RunnerClient({ address: runnerDialAddress(entry), token: entry.token, tls: entry.runner ? null : tlsSettings(flags, entry.tls) });
  try {
    return await client.getHistory(RUNNER_HISTORY_SECONDS, 3000);
  } catch {
    return undefined; // no runner service there: the sampled series stands
  } finally {
    client.close();
  }
}

/** Samples kept by `status --watch` (its own history: one sample per refresh). */
const WATCH_SAMPLES = 120;
/** Characters of the rate sparkline per component. */
const SPARK_WIDTH = 20;

/**
 * One sample of what the control plane reports, as the history records it: event counts from the
 * active run (rates are derived from them between refreshes) and each component's numeric metrics.
 */
function recordSample(history: MetricHistory, components: WireComponentStatus[], counts: Record<string, EventCounts> | undefined, now: number): void {
  const views: ComponentView[] = components.map((c) => ({
    id: c.component?.id ?? '',
    role: c.component?.type === 1 ? 'source' : c.component?.type === 3 ? 'sink' : 'processor',
    phase: 'running',
    health: c.status,
    restarts: 0,
    metrics: c.metrics ?? {},
    waitingFor: [],
    eventsIn: counts?.[c.component?.id ?? '']?.events_in ?? 0,
    eventsOut: counts?.[c.component?.id ?? '']?.events_out ?? 0,
    eventsPerSecond: 0,
  }));
  history.record({ pipelineName: '', file: '', state: 'running', components: views.filter((v) => v.id), eventsProcessed: 0, eventsPerSecond: 0 }, now);
}

export const endpointFlagSpecs = {
  file: { type: 'string', short: 'f', valueName: 'file', description: 'when several runs are live: the run of this pipeline file (default: the flow.yml here, else the only one)' },
  'control-plane-address': { type: 'string', description: 'control plane address (default: the running one from $FLOWCTL_HOME/endpoint.json, else 127.0.0.1)' },
  'control-plane-port': { type: 'number', description: 'control plane port (default: the running one, else 8080)' },
  'tls-ca-cert': { type: 'string', valueName: 'file', description: 'CA certificate to verify a TLS control plane' },
  'tls-cert': { type: 'string', valueName: 'file', description: 'client certificate (mutual TLS)' },
  'tls-key': { type: 'string', valueName: 'file', description: 'client key (mutual TLS)' },
  'tls-skip-verify': { type: 'boolean', default: false, description: 'use TLS without verifying the server certificate' },
  'tls-server-name': { type: 'string', description: 'server name to verify in the certificate' },
} as const;

const flags = {
  ...endpointFlagSpecs,
  'control-plane-addr': { type: 'string', description: 'control plane host:port (legacy; overrides the two flags above)' },
  'include-unhealthy': { type: 'boolean', default: true, description: 'include components that are not healthy' },
  watch: { type: 'boolean', default: false, description: 'refresh until interrupted' },
  interval: { type: 'number', default: 5, description: 'seconds between refreshes with --watch' },
  json: { type: 'boolean', default: false, description: 'print JSON' },
} as const;

export const command = defineCommand({
  summary: 'Show the components registered with the running control plane',
  usage: 'flowctl status [pipeline-file] [flags]',
  flags,
  run: statusCommand,
});

interface WireRun {
  run_id: string;
  pipeline_name: string;
  metrics: { component_metrics: Record<string, EventCounts> } | null;
}

export async function statusCommand(args: ParsedArgs<typeof flags>): Promise<number> {
  const file = args.positionals[0];
  let pipelineName: string | undefined;
  if (file) {
    const parsed = loadPipelineFileSync(file, { checkCommands: false });
    pipelineName = parsed.pipeline?.metadata.name;
  }
  const includeUnhealthy = args.flags['include-unhealthy'];
  const watch = args.flags.watch;
  const json = args.flags.json;
  const intervalMs = args.flags.interval * 1000;
  const clients = await connect(args.flags as EndpointFlags, 2000, { file: args.flags.file ?? file });
  const p = palette(colorEnabled(process.stdout));
  const history = new MetricHistory({ capacity: WATCH_SAMPLES, intervalMs });
  try {
    for (;;) {
      const list = await call<{ components: WireComponentStatus[] }>(clients.v1, 'ListComponents', {
        include_unhealthy: includeUnhealthy,
      });
      // Event counts come from the active run of this control plane, if any.
      let counts: Record<string, EventCounts> | undefined;
      let runName: string | undefined;
      try {
        const runs = await call<{ runs: WireRun[] }>(clients.legacy, 'ListPipelineRuns', {
          status: RunStatus.RUNNING,
          limit: 1,
          pipeline_name: pipelineName ?? '',
        });
        counts = runs.runs[0]?.metrics?.component_metrics;
        runName = runs.runs[0]?.pipeline_name;
      } catch {
        // an older control plane without runs: no counts
      }
      recordSample(history, list.components, counts, Date.now());
      if (json) {
        // `series`: the run's own history from its runner (the last 10 minutes at 1 s) when the
        // control plane is a flowctl run's; else what this command sampled (one sample per refresh;
        // with --watch each document carries the series so far). `seriesSource` says which.
        const fromRunner = await runnerHistory(clients, args.flags as EndpointFlags);
        const series = fromRunner ?? history.toJSON();
        process.stdout.write(jsonForTerminal({ endpoint: clients.target, pipeline: pipelineName ?? runName, components: list.components, counts: counts ?? {}, seriesSource: fromRunner ? 'runner' : 'sampled', series }) + '\n');
      } else {
        if (watch) process.stdout.write('\x1b[H\x1b[2J');
        const rates: Record<string, string> = {};
        if (history.length > 1) {
          for (const id of history.ids()) {
            const last = history.rates(id, 1)[0];
            rates[id] = `${historySparkline(history, id, SPARK_WIDTH)} ${shortRate(Number.isFinite(last) ? last : 0)}`.trim();
          }
        }
        process.stdout.write(renderStatus(list.components, { pipelineName: pipelineName ?? runName, palette: p, counts, rates }));
      }
      if (!watch) return 0;
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  } finally {
    clients.close();
  }
}
