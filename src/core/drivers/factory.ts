// The one seam where the runner gets a component's driver: which kind runs it (select.ts decides, from
// --orchestrator, spec.driver and what the component has), a driver of that kind for the run, and the
// run spec the driver gets for one start. The runner never looks at the kind beyond asking here.
import * as os from 'node:os';
import type { ComponentSpec, Pipeline } from '../pipeline/model';
import type { RestartPolicy } from '../supervisor/process';
import { buildComponentEnv, envValue, toUpperSnake, type ComponentEnvSpec } from '../supervisor/env';
import { ProcessDriver } from './process';
import { ExternalDriver } from './external';
import { DockerDriver, buildContainerEnv, type PullPolicy } from './docker';
import { containerMounts, containerPorts, selectDrivers, type DriverSelection, type SelectOptions } from './select';
import type { ComponentDriver, ComponentRunSpec, DriverKind } from './types';

export interface DriverContext {
  /** Folder for the run's journal / leftovers (reaping after a killed runner). */
  stateDir: string;
  /** The pipeline file. */
  file: string;
  runId: string;
  pipelineName: string;
  /** When container images are pulled (default missing). */
  pull?: PullPolicy;
  /** Progress of long work (image pulls), one line each. */
  onProgress?: (message: string) => void;
}

const selections = new WeakMap<Pipeline, Map<string, DriverSelection>>();

/** Which drivers run the pipeline's components, and the selection's own problems (file:line:column). */
export function driverSelection(pipeline: Pipeline, opts: SelectOptions = {}): DriverSelection {
  const key = `${opts.orchestrator ?? ''}|${opts.network ?? ''}`;
  let byOptions = selections.get(pipeline);
  if (!byOptions) selections.set(pipeline, (byOptions = new Map()));
  let s = byOptions.get(key);
  if (!s) {
    s = selectDrivers(pipeline, opts);
    byOptions.set(key, s);
  }
  return s;
}

/** Which driver runs this component (a component with nothing to run counts as a process: its start says so). */
export function driverKindOf(component: ComponentSpec, pipeline: Pipeline, opts: SelectOptions = {}): DriverKind {
  return driverSelection(pipeline, opts).drivers.get(component.id) ?? 'process';
}

/** A driver of that kind for one run. */
export function createDriver(kind: DriverKind, ctx: DriverContext): ComponentDriver {
  switch (kind) {
    case 'process':
      return new ProcessDriver({ stateDir: ctx.stateDir, runnerFile: ctx.file });
    case 'docker':
      return new DockerDriver({ stateDir: ctx.stateDir, pull: ctx.pull, onProgress: ctx.onProgress, runnerFile: ctx.file });
    case 'external':
      return new ExternalDriver();
  }
}

export interface ComponentEnvInput extends ComponentEnvSpec {
  /** spec.pipelines entries are black boxes (see blackBoxEnv). */
  role?: ComponentSpec['role'];
}

/**
 * The component's environment: the flowctl contract on top of this process's environment. Containers
 * get the contract without the host's environment (its PATH, HOME… would break the image); a container
 * of spec.pipelines gets only its own env (flowctl's rule, see blackBoxEnv).
 */
export function componentEnv(
  kind: DriverKind,
  spec: ComponentEnvInput,
  options: { endpoint: string; extraEnv?: Record<string, string> },
): Promise<Record<string, string>> {
  if (kind === 'docker' && spec.role === 'pipeline') return Promise.resolve(blackBoxEnv(spec, options));
  if (kind === 'docker') return buildContainerEnv(spec, options);
  return buildComponentEnv(spec, { endpoint: options.endpoint, parentEnv: process.env, extraEnv: options.extraEnv });
}

/**
 * A spec.pipelines container is a black box, as flowctl's container orchestrator runs it: its own
 * `config` and `env` only, and FLOWCTL_ENDPOINT added when its env enables flowctl (ENABLE_FLOWCTL=true)
 * without naming an endpoint itself. It need not register; nothing is wired to it.
 */
export function blackBoxEnv(spec: ComponentEnvSpec, options: { endpoint: string; extraEnv?: Record<string, string> }): Record<string, string> {
  const out: Record<string, string> = { ...(options.extraEnv ?? {}) };
  for (const [k, v] of Object.entries(spec.config ?? {})) {
    const name = toUpperSnake(k);
    const value = envValue(v);
    if (name && value !== undefined) out[name] = value;
  }
  for (const [k, v] of Object.entries(spec.env ?? {})) {
    const value = envValue(v);
    if (value !== undefined) out[k] = value;
  }
  if (out.ENABLE_FLOWCTL?.trim().toLowerCase() === 'true' && !out.FLOWCTL_ENDPOINT) out.FLOWCTL_ENDPOINT = options.endpoint;
  return out;
}

/** One start of a component, as the driver gets it (the override replaces command/args for that start only). */
export interface RunSpecInput {
  runId: string;
  pipeline: Pipeline;
  /** Which driver runs it (from the run's selection). */
  kind: DriverKind;
  /** The complete environment (contract variables applied). */
  env: Record<string, string>;
  logFile?: string;
  override?: { command?: string[]; args?: string[] };
  /** Containers: host (default) or bridge network. */
  network?: 'host' | 'bridge';
  /** Containers on a bridge network: the host path of the control plane's unix socket, mounted into them. */
  controlSocket?: string;
}

/** What a driver needs to run this component (containers also get their volumes and ports). */
export function runSpecOf(c: ComponentSpec, input: RunSpecInput): ComponentRunSpec {
  const spec: ComponentRunSpec = {
    id: c.id,
    runId: input.runId,
    pipeline: input.pipeline.metadata.name,
    command: input.override?.command ?? c.command,
    args: input.override?.args ?? c.args,
    image: c.image,
    cwd: input.pipeline.dir,
    env: input.env,
    restartPolicy: (c.restart_policy as RestartPolicy | undefined) ?? 'no',
    logFile: input.logFile,
  };
  if (input.kind === 'docker') {
    spec.volumes = containerMounts(c, input.pipeline.dir, os.homedir());
    spec.ports = containerPorts(c);
    spec.network = input.network ?? 'host';
    if (spec.network === 'bridge' && input.controlSocket) spec.controlSocket = input.controlSocket;
  }
  return spec;
}
