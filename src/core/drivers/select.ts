// The one seam where a component's driver is chosen and drivers are made. Today every component runs
// as a process on this machine; the docker driver plugs in here (by `spec.driver`, or a component
// with an image and no command) without the runner knowing.
import type { ComponentSpec, Pipeline } from '../pipeline/model';
import { ProcessDriver } from './process';
import type { ComponentDriver, DriverKind } from './types';

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
