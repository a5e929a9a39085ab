// `flowctl run [pipeline-file]`: starts the embedded control plane and every component, shows their
// merged logs, stops everything on Ctrl+C / SIGTERM. All logic lives in the core runner; this file
// only maps flags to RunnerOptions and renders the runner's events.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createRunner, PipelineInvalidError, PipelinePreflightError } from '../../core/runner';
import { orchestratorFlagProblem } from '../../core/drivers/select';
import { driverSelection } from '../../core/drivers/factory';
import { PULL_POLICIES, type PullPolicy } from '../../core/drivers/docker';
import type { Pipeline } from '../../core/pipeline/model';
import { PipelineAlreadyRunningError } from '../../core/runctl/runLock';
import type { RunnerOptions } from '../../core/runnerTypes';
import { colorEnabled, palette } from '../render/color';
import { RunView } from '../render/runView';
import { sanitizeField, sanitizeTerminalText } from '../../core/text/terminal';
import { defineCommand } from '../command';
import { pipelineFileArg } from '../pipelineFile';
import { UsageError, type ParsedArgs } from '../args';

const flags = {
  orchestrator: {
    type: 'string',
    valueName: 'type',
    description:
      'how components run: process (components with only an image run as containers) or docker/container (every component with an image runs as a container); default: spec.driver, else process',
  },
  pull: { type: 'string', valueName: 'policy', default: 'missing', description: 'when container images are pulled before the start: never, missing or always' },
  network: {
    type: 'string',
    valueName: 'mode',
    default: 'host',
    description: "containers' network: host (as flowctl) or bridge (ports published on 127.0.0.1; the control plane reached through a mounted unix socket)",
  },
  'control-plane-address': { type: 'string', default: '127.0.0.1', description: 'address the embedded control plane listens on' },
  'control-plane-port': { type: 'number', default: 8080, description: 'control plane port (0 = pick a free port)' },
  'use-external-control-plane': { type: 'boolean', default: false, description: 'use a control plane already running at address:port' },
  'show-status': { type: 'boolean', default: true, description: 'show a live status line (or a status line every 10 s when not a terminal)' },
  'log-dir': { type: 'string', default: 'logs', description: 'parent folder of the run log folders (<log-dir>/<time>-<run>/<component>.log; <log-dir>/latest is the newest)' },
  'keep-run-logs': { type: 'number', default: 20, description: 'how many run log folders to keep in --log-dir (older ones are removed)' },
  'hold-buffer-events': { type: 'number', default: 10_000, description: 'events held per link while its downstream component is down (restart, stop)' },
  'hold-buffer-bytes': { type: 'number', default: 16 * 1024 * 1024, description: 'bytes held per link while its downstream component is down' },
  'heartbeat-ttl': { type: 'duration', default: 30_000, description: 'a component with no heartbeat for this long is unhealthy' },
  'janitor-interval': { type: 'duration', default: 10_000, description: 'safety-net sweep interval for stale components' },
  'db-path': { type: 'string', description: 'registry database (default: one per pipeline under ~/.flowctl/pipelines/)' },
  'no-persistence': { type: 'boolean', default: false, description: 'keep the registry and run history in memory only' },
  'registration-timeout': { type: 'duration', default: 30_000, description: 'how long each component may take to register' },
  'shutdown-grace': { type: 'duration', default: 10_000, description: 'SIGTERM → SIGKILL grace period when stopping' },
  'tls-cert': { type: 'string', valueName: 'file', description: 'serve the control plane with TLS (certificate)' },
  'tls-key': { type: 'string', valueName: 'file', description: 'TLS private key' },
  'tls-ca-cert': { type: 'string', valueName: 'file', description: 'require client certificates signed by this CA (mutual TLS)' },
  'allow-external': {
    type: 'strings',
    valueName: 'id',
    description: 'let a component with this id that you start yourself (e.g. under a debugger) join the run (repeatable)',
  },
  components: {
    type: 'string',
    default: 'managed',
    description: 'managed: start every component here; external: start none and be the hub of a deployed pipeline (components register from wherever they run, replicas share their events)',
  },
  'insecure-no-mtls': {
    type: 'boolean',
    default: false,
    description: 'with --components external off loopback: accept components without mutual TLS (anyone who reaches the port can register and read)',
  },
} as const;

/** 127.0.0.0/8, ::1 and localhost: reachable from this machine only. */
function isLoopbackAddress(address: string): boolean {
  const a = address.trim().replace(/^\[(.*)\]$/, '$1').toLowerCase();
  return a === 'localhost' || a === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(a);
}

export const command = defineCommand({
  summary: 'Run a pipeline with an embedded control plane',
  usage: 'flowctl run [pipeline-file] [flags]',
  description:
    'Starts the embedded control plane and every component of the pipeline (default flow.yml), waits for them to\n' +
    'register, wires the data between them and shows their merged logs. Ctrl+C stops everything.',
  flags,
  run: runCommand,
});

export async function runCommand(args: ParsedArgs<typeof flags>): Promise<number> {
  const f = args.flags;
  const file = pipelineFileArg('run', args.positionals[0]);
  if (!fs.existsSync(file)) throw new Error(`pipeline file not found: ${file}`);
  const orchestrator = f.orchestrator?.trim() || undefined;
  if (orchestrator !== undefined) {
    const problem = orchestratorFlagProblem(orchestrator);
    if (problem) throw new UsageError(problem);
  }
  const pull = f.pull.trim().toLowerCase();
  if (!(PULL_POLICIES as readonly string[]).includes(pull)) {
    throw new UsageError(`invalid argument "${f.pull}" for "--pull" flag: use ${PULL_POLICIES.join(', ')}`);
  }
  const network = f.network.trim().toLowerCase();
  if (network !== 'host' && network !== 'bridge') throw new UsageError(`invalid argument "${f.network}" for "--network" flag: use host or bridge`);
  const address = f['control-plane-address'];
  const port = f['control-plane-port'];
  const logDir = path.resolve(f['log-dir']);
  const showStatus = f['show-status'];
  const tlsCert = f['tls-cert'];
  const tlsKey = f['tls-key'];
  if (!!tlsCert !== !!tlsKey) throw new Error('--tls-cert and --tls-key go together');
  const components = f.components;
  if (components !== 'managed' && components !== 'external') throw new UsageError(`--components ${components}: use managed or external`);
  const mtls = !!(tlsCert && tlsKey && f['tls-ca-cert']);
  if (f['insecure-no-mtls'] && components !== 'external') throw new UsageError('--insecure-no-mtls goes with --components external');
  if (components === 'external' && !isLoopbackAddress(address) && !mtls) {
    if (!f['insecure-no-mtls']) {
      throw new UsageError(
        `--components external on ${address} without mutual TLS: anyone who reaches the port could register components, read the pipeline and ` +
          'stop it. Give --tls-cert, --tls-key and --tls-ca-cert (components then need client certificates), or accept that with --insecure-no-mtls ' +
          '(e.g. on a private overlay network)',
      );
    }
    process.stderr.write(
      `warning: the hub listens on ${address} without mutual TLS (--insecure-no-mtls): anything that reaches port ${port} can register components, read the pipeline and stop it\n`,
    );
  }
  for (const name of ['keep-run-logs', 'hold-buffer-events', 'hold-buffer-bytes'] as const) {
    const v = f[name];
    if (!Number.isSafeInteger(v) || v < (name === 'keep-run-logs' ? 1 : 0)) {
      throw new UsageError(`invalid argument "${v}" for "--${name}" flag: expected a whole number ≥ ${name === 'keep-run-logs' ? 1 : 0}`);
    }
  }
  const options: RunnerOptions = {
    file,
    address,
    port,
    logDir,
    keepRunLogs: f['keep-run-logs'],
    holdBufferEvents: f['hold-buffer-events'],
    holdBufferBytes: f['hold-buffer-bytes'],
    heartbeatTtlMs: f['heartbeat-ttl'],
    janitorIntervalMs: f['janitor-interval'],
    dbPath: f['db-path'],
    noPersistence: f['no-persistence'],
    useExternalControlPlane: f['use-external-control-plane'],
    registrationTimeoutMs: f['registration-timeout'],
    shutdownGraceMs: f['shutdown-grace'],
    tls: tlsCert && tlsKey ? { certFile: tlsCert, keyFile: tlsKey, caFile: f['tls-ca-cert'] } : undefined,
    allowExternal: f['allow-external']?.length ? f['allow-external'] : undefined,
    components,
    orchestrator,
    pull: pull as PullPolicy,
    network,
  };

  const out = process.stdout;
  const p = palette(colorEnabled(out));
  const runner = createRunner(options);
  const view = new RunView({ out, palette: p, showStatus, interactive: !!out.isTTY && colorEnabled(out) });
  /** Before returning: let a slow reader take what is queued (bounded wait; the log files have it all). */
  const finish = async (code: number): Promise<number> => {
    await view.flush(FLUSH_ON_EXIT_MS);
    return code;
  };

  // Signals are handled from the very first moment, so Ctrl+C during start-up cleans up too.
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    signals++;
    if (signals === 1) {
      view.clearFooter();
      view.line(`\n${p.yellow('■')} ${sig === 'SIGINT' ? 'Ctrl+C' : sig}: stopping the pipeline… (press Ctrl+C again to stop at once)`, true);
      void runner.stop(`${sig} received`);
    } else {
      view.line(`${p.red('■')} stopping at once (SIGKILL, no grace period)`, true);
      void runner.forceStop(`${sig} received twice`);
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal);

  const absFile = path.resolve(file);
  // The summary comes from the pipeline the runner has just read and validated (an invalid file gets its
  // errors instead, below).
  const summary = (pipeline: Pipeline): string =>
    [
      'Starting pipeline',
      '-----------------',
      `Pipeline:      ${p.bold(sanitizeField(pipeline.metadata.name || path.basename(absFile), 253))}`,
      `Config file:   ${absFile}`,
      components === 'external' ? 'Components:    external (this is the hub: components register from wherever they run)' : `Orchestrator:  ${orchestratorLine(pipeline, orchestrator, network)}`,
      `Control plane: ${options.useExternalControlPlane ? `external (${address}:${port})` : `embedded (${address}:${port === 0 ? 'auto' : port})`}`,
      `Logs:          ${logDir}`,
      '',
      '',
    ].join('\n');

  const sub = runner.onEvent((event) => {
    if (event.type === 'pipeline') view.write(summary(event.pipeline));
    else view.handle(event, () => runner.snapshot());
  });

  try {
    await runner.start();
  } catch (err) {
    sub.dispose();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('SIGHUP', onSignal);
    if (err instanceof PipelineInvalidError) {
      view.write(`${p.red('✗')} Pipeline validation failed\n`);
      for (const d of err.diagnostics) {
        const mark = d.severity === 'error' ? p.red('error') : d.severity === 'warning' ? p.yellow('warning') : p.dim('hint');
        view.write(`  ${sanitizeField(d.file)}:${d.line}:${d.column}: ${mark}: ${sanitizeTerminalText(d.message, { keepSgr: false, indent: '    ' })}\n`);
      }
      return finish(1);
    }
    if (err instanceof PipelinePreflightError) {
      view.write(`${p.red('✗')} Pipeline cannot start: ${err.diagnostics.length === 1 ? 'a component needs' : 'components need'} something that is not here\n`);
      for (const d of err.diagnostics) {
        view.write(`  ${sanitizeField(d.file)}:${d.line}:${d.column}: ${p.red('error')}: ${sanitizeTerminalText(d.message, { keepSgr: false, indent: '    ' })}\n`);
      }
      view.write(`${p.dim('Nothing was started.')}\n`);
      return finish(1);
    }
    if (err instanceof PipelineAlreadyRunningError) {
      out.write(`${p.red('✗')} ${err.message}\n`);
      return 1;
    }
    if (signals > 0) {
      view.write(`${p.yellow('■')} Pipeline stopped during start-up; every process it started is gone.\n`);
      return finish(130);
    }
    view.write(`\n${p.red('✗')} Pipeline failed to start: ${sanitizeTerminalText((err as Error).message, { keepSgr: false })}\n`);
    view.write(`${p.dim('Everything it started has been stopped.')}\n`);
    return finish(1);
  }

  const snap = runner.snapshot();
  const [host, cpPort] = splitEndpoint(snap.endpoint ?? `${address}:${port}`);
  view.line(
    [
      '',
      `${p.green('✓')} Pipeline is running (${snap.components.length} components)`,
      '',
      'Next, in another terminal:',
      `  flowctl status --control-plane-address ${host} --control-plane-port ${cpPort}`,
      `  flowctl pipelines active --control-plane-address ${host} --control-plane-port ${cpPort}`,
      `  flowctl restart <component-id>   (also: flowctl stop <component-id>, flowctl start <component-id>, flowctl stop)`,
      '',
      `Component logs are being written under ${snap.logDir ?? logDir}/ (newest run: ${path.join(logDir, 'latest')})`,
      'Press Ctrl+C to stop the pipeline.',
      '',
    ].join('\n'),
    true,
  );

  const final = await runner.done;
  sub.dispose();
  view.clearFooter();
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  process.off('SIGHUP', onSignal);
  if (view.output.droppedLines > 0) {
    view.write(`${p.yellow('!')} ${view.output.droppedLines} log lines were not shown because the output was read too slowly; the log files have them all.\n`);
  }
  view.write(
    `\n${final.state === 'failed' ? p.red('✗') : p.green('✓')} Pipeline ${final.state}` +
      `${final.error ? `: ${sanitizeTerminalText(final.error, { keepSgr: false })}` : ''} — ${final.eventsProcessed} events processed` +
      `${final.dropped ? `, ${final.dropped} dropped (see the notices above)` : ''}\n`,
  );
  return finish(final.state === 'failed' ? 1 : 0);
}

/** `process`, `docker (from spec.driver)`, plus how many components run as containers in a process run. */
function orchestratorLine(pipeline: Pipeline, flag: string | undefined, network: 'host' | 'bridge'): string {
  const s = driverSelection(pipeline, { orchestrator: flag, network });
  const from = s.modeFrom === 'flag' ? '' : s.modeFrom === 'spec.driver' ? ' (from spec.driver)' : '';
  const containers = s.containers.length;
  const total = s.drivers.size;
  const mix = containers === 0 ? '' : containers === total ? ` — ${containers} container(s)` : ` — ${total - containers} process(es), ${containers} container(s)`;
  return `${s.mode}${from}${mix}${containers > 0 && network === 'bridge' ? ' on a bridge network' : ''}`;
}

/** How long `flowctl run` waits, when it ends, for a slow reader to take the output still queued. */
const FLUSH_ON_EXIT_MS = 10_000;

function splitEndpoint(endpoint: string): [string, string] {
  const i = endpoint.lastIndexOf(':');
  return [endpoint.slice(0, i), endpoint.slice(i + 1)];
}
