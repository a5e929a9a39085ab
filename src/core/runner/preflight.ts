// Before anything starts: each driver checks what its components need (a Docker engine, the images by
// the pull policy, volume sources). Every problem stops the start with the component's place in the
// pipeline file, so the user sees file:line:column and what to do.
import type { Diagnostic } from '../pipeline/diagnostics';
import { locAt, type ComponentSpec, type Pipeline, type Range } from '../pipeline/model';
import { runSpecOf } from '../drivers/factory';
import type { PreflightProblem } from '../drivers/types';
import { PipelinePreflightError } from './errors';
import type { Run } from './run';

/**
 * Checks `components` of `pipeline` with the drivers that will run them (all drivers at once); throws
 * PipelinePreflightError naming each problem. Also used before a changed file is applied to a live run.
 */
export async function preflight(run: Run, components: ComponentSpec[], pipeline: Pipeline = run.pipeline!): Promise<void> {
  const kinds = [...new Set(components.map((c) => run.kindOf(c, pipeline)))];
  const checks = kinds.map(async (kind) => {
    const mine = components.filter((c) => run.kindOf(c, pipeline) === kind);
    return run.driverOf(kind).preflight(mine.map((c) => runSpecOf(c, { runId: run.runId!, pipeline, kind, env: {}, network: run.options.network })));
  });
  const problems = (await Promise.all(checks)).flat();
  if (problems.length === 0) return;
  const byId = new Map(components.map((c) => [c.id, c]));
  throw new PipelinePreflightError(run.file, problems.map((p) => diagnosticOf(run.file, p, byId)));
}

function diagnosticOf(file: string, p: PreflightProblem, byId: Map<string, ComponentSpec>): Diagnostic {
  const c = p.ids.map((id) => byId.get(id)).find((x) => x !== undefined);
  const at = c ? placeOf(c, p.kind === 'volume' ? 'volumes' : 'image') : { line: 1, column: 1, endLine: 1, endColumn: 1 };
  return { severity: 'error', message: p.message, file, ...at, code: `preflight-${p.kind ?? 'spec'}` };
}

function placeOf(c: ComponentSpec, field: 'image' | 'volumes'): Range {
  const loc = locAt(c.loc, field);
  if (loc) return field === 'volumes' ? (loc.key ?? loc.value) : loc.value;
  return { line: c.position.line, column: c.position.column, endLine: c.position.line, endColumn: c.position.column + 1 };
}
