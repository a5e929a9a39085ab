// The one seam where the runner gets a component's driver: which kind runs it (select.ts decides, from
// spec.driver and what the component has), a driver of that kind for the run, and the run spec the driver
// gets for one start. The runner never looks at the kind beyond asking here.
import * as os from 'node:os';
import type { ComponentSpec, Pipeline } from '../pipeline/model';
import type { RestartPolicy } from '../supervisor/process';
import { buildComponentEnv, type ComponentEnvSpec } from '../supervisor/env';
import { ProcessDriver } from './process';
import { DockerDriver, buildContainerEnv } from './docker';
import { containerMounts, containerPorts, selectDrivers, type DriverSelection } from './select';
import type { ComponentDriver, ComponentRunSpec, DriverKind } from './types';

export interface DriverContext {
  /** Folder for the run's journal / leftovers (reaping after a killed runner). */
  stateDir: string;
  /** The pipeline file. */
  file: string;
  runId: string;
  pipelineName: string;
  /** Progress of long work (image pulls), one line each. */
  onProgress?: (message: string) => void;
}

const selections = new WeakMap<Pipeline, DriverSelection>();

/** Which drivers run the pipeline's components, and the selection's own problems (file:line:column). */
export function driverSelection(pipeline: Pipeline): DriverSelection {
  let s = selections.get(pipeline);
  if (!s) {
    s = selectDrivers(pipeline);
    selections.set(pipeline, s);
  }
  return s;
}

/** Which driver runs this component (a component with nothing to run counts as a process: its start says so). */
export function driverKindOf(component: ComponentSpec, pipeline: Pipeline): DriverKind {
  return driverSelection(pipeline).drivers.get(component.id) ?? 'process';
}

/** A driver of that kind for one run. */
export function createDriver(kind: DriverKind, ctx: DriverContext): ComponentDriver {
  switch (kind) {
    case 'process':
      return new ProcessDriver({ stateDir: ctx.stateDir, runnerFile: ctx.file });
    case 'docker':
      return new DockerDriver({ stateDir: ctx.stateDir, onProgress: ctx.onProgress });
  }
}

/** The component's environment: the flowctl contract on top of this process's environment (containers: without it). */
export function componentEnv(
  kind: DriverKind,
  spec: ComponentEnvSpec,
  options: { endpoint: string; extraEnv?: Record<string, string> },
): Promise<Record<string, string>> {
  if (kind === 'docker') return buildContainerEnv(spec, options);
  return buildComponentEnv(spec, { endpoint: options.endpoint, parentEnv: process.env, extraEnv: options.extraEnv });
}

/** One start of a component, as the driver gets it (the override replaces command/args for that start only). */
export interface RunSpecInput {
  runId: string;
  pipeline: Pipeline;
  /** The complete environment (contract variables applied). */
  env: Record<string, string>;
  logFile?: string;
  override?: { command?: string[]; args?: string[] };
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
  if (driverKindOf(c, input.pipeline) === 'docker') {
    spec.volumes = containerMounts(c, input.pipeline.dir, os.homedir());
    spec.ports = containerPorts(c);
  }
  return spec;
}
