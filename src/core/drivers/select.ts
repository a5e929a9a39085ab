// The one seam where a component's driver is chosen and drivers are made. Today every component runs
// as a process on this machine; the docker driver plugs in here (by `spec.driver`, or a component
// with an image and no command) without the runner knowing.
import type { ComponentSpec, Pipeline } from '../pipeline/model';
import type { RestartPolicy } from '../supervisor/process';
import { ProcessDriver } from './process';
import type { ComponentDriver, ComponentRunSpec, DriverKind } from './types';

export interface DriverContext {
  /** Folder for the run state file (reaping leftovers of a killed runner). */
  stateDir: string;
  /** The pipeline file. */
  file: string;
  runId: string;
  pipelineName: string;
}

/** Which driver runs this component. */
export function driverKindOf(_component: ComponentSpec, _pipeline: Pipeline): DriverKind {
  return 'process';
}

/** A driver of that kind for one run. */
export function createDriver(kind: DriverKind, ctx: DriverContext): ComponentDriver {
  switch (kind) {
    case 'process':
      return new ProcessDriver({ stateDir: ctx.stateDir, runnerFile: ctx.file });
    default:
      throw new Error(`no "${kind}" driver in this build`);
  }
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

/** What a driver needs to run this component (drivers map what they support: volumes and ports are for containers). */
export function runSpecOf(c: ComponentSpec, input: RunSpecInput): ComponentRunSpec {
  return {
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
}
