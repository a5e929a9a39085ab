// applyPipeline(): the pipeline file changed while the run lives. Components whose run spec changed are
// restarted with the new one, added ones start (as their depends_on allow) and get their edges, removed
// ones stop and lose theirs, changed inputs re-wire only their edges; the rest keep running (same pids).
// An invalid file changes nothing.
import * as path from 'node:path';
import type { ApplyResult } from '../runnerTypes';
import { loadPipelineFile } from '../pipeline/load';
import { allComponents } from '../pipeline/model';
import { PipelineInvalidError } from './errors';
import { diffSpecs } from './apply';
import { commandlessMessage } from './messages';
import { dataNodes } from './wiring';
import { checkLive, restart, serialize, stopProcess } from './actions';
import { initialView, type Run } from './run';
import { preflight } from './preflight';

export async function applyPipeline(run: Run): Promise<ApplyResult> {
  checkLive(run, 'apply the pipeline file');
  if (run.hub) throw new Error('a hub (--components external) does not apply a changed pipeline file: deploy it again (flowctl deploy) or restart the hub with it');
  const dp = run.dp;
  if (!run.pipeline || !run.cp || !dp) throw new Error('cannot apply the pipeline file before the run has started');
  const parsed = await loadPipelineFile(run.file, { orchestrator: run.options.orchestrator, network: run.options.network });
  if (!parsed.ok || !parsed.pipeline) throw new PipelineInvalidError(run.file, parsed.diagnostics);
  const next = parsed.pipeline;
  const after = allComponents(next);
  const commandless = after.filter((c) => run.kindOf(c, next) === 'process' && !c.command?.length);
  if (commandless.length) throw new Error(commandlessMessage(run.file, commandless));
  checkLive(run, 'apply the pipeline file');
  const diff = diffSpecs(allComponents(run.pipeline), after);
  // What starts anew must be startable (engine, images, volume sources) before anything changes.
  await preflight(run, [...diff.added, ...after.filter((c) => diff.changed.includes(c.id))], next);
  checkLive(run, 'apply the pipeline file');
  run.notice(
    'info',
    `applying ${path.basename(run.file)}: ${diff.changed.length} to restart, ${diff.added.length} to add, ${diff.removed.length} to remove, ` +
      `${diff.rewired.length} to re-wire, ${diff.unchanged.length} unchanged`,
  );

  // 1. Removed: stopped, then out of the run.
  await Promise.all(
    diff.removed.map((id) => {
      const c = run.comps.get(id)!;
      return serialize(c, async () => {
        run.sequencer.cancel(id);
        if (!c.state.down) await stopProcess(run, c, 'removed');
        c.handleSub?.dispose();
        if (c.handle) c.driver.release?.(id);
        if (c.serviceId) run.componentOf.delete(c.serviceId);
        run.comps.delete(id);
        run.table.remove(id);
        run.emit({ type: 'componentRemoved', id });
        run.notice('info', `${id} removed from the run`, id);
      });
    }),
  );

  // 2. The new specs; the data plane's edges follow the new graph (removed edges drop what they held, counted).
  run.pipeline = next;
  for (const spec of after) {
    const c = run.comps.get(spec.id);
    if (!c) continue;
    if (diff.changed.includes(spec.id)) c.stale = true;
    c.spec = spec;
    run.table.update(spec.id, { position: spec.position });
  }
  for (const spec of diff.added) {
    run.addComp(spec);
    run.table.add(initialView(run, spec.id));
    run.emit({ type: 'component', view: run.table.get(spec.id)! });
  }
  for (const p of dp.setGraph(dataNodes(after))) run.notice('warning', `data plane: ${p.id}: ${p.message}`, p.id);
  for (const id of diff.rewired) run.notice('info', `${id}: inputs re-wired`, id);

  // 3. Changed: restarted with the new spec (its edges hold meanwhile). Added: started as their depends_on allow.
  await Promise.all(
    diff.changed.map((id) => {
      const c = run.comps.get(id)!;
      // One stopped by hand stays stopped; the new spec is used when it is started.
      return serialize(c, () => (c.state.stoppedByHand ? Promise.resolve() : restart(run, c, undefined, ' (its spec changed)')));
    }),
  );
  run.sequencer.request(diff.added.map((c) => c.id));
  return {
    restarted: diff.changed,
    added: diff.added.map((c) => c.id),
    removed: diff.removed,
    unchanged: [...diff.unchanged, ...diff.rewired],
  };
}
