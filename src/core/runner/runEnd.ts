// The run's end, whatever its cause (Ctrl+C, StopPipelineRun, a failed start, every component ended):
// the data plane drains — sources stop first and end their streams after the last event, processors
// flush once their inputs end, sinks answer — then everything else stops, the final figures and what
// was dropped are recorded and said once, and the control plane closes.
import { RunStatus } from '../controlplane/model';
import { stopProcess } from './actions';
import type { Comp, Run } from './run';

/**
 * The run ends by itself when nothing runs or is about to, and nothing was stopped by hand (a component
 * stopped by hand may be started again: the run stays up for it).
 */
export function checkRunEnd(run: Run): void {
  if (run.state !== 'running' || run.ending) return;
  const comps = [...run.comps.values()];
  if (comps.length === 0 || comps.some((c) => !c.state.down || c.state.stoppedByHand)) return;
  const failed = comps.filter((c) => c.state.failed).map((c) => c.spec.id);
  void run.end(failed.length ? RunStatus.FAILED : RunStatus.COMPLETED, failed.length ? `${failed.join(', ')} failed` : undefined);
}

/** Never throws. */
export async function teardown(run: Run, status: number, error?: string, reason?: string): Promise<void> {
  run.setState('stopping');
  if (reason) run.notice('info', `stopping the pipeline (${reason})`);
  run.startup?.failure.reject(new Error(error ?? 'pipeline stopped during start-up'));
  run.sequencer.halt();
  clearInterval(run.metricsTimer);
  for (const c of run.comps.values()) clearTimeout(c.regTimer);
  const live = (c: Comp) => !c.state.down && c.state.state !== 'waiting';

  // 1. Sources first; what is in flight reaches the sinks; then everything else.
  run.dp?.beginDrain();
  const comps = [...run.comps.values()];
  await Promise.all(comps.filter((c) => c.spec.role === 'source' && live(c)).map((c) => stopProcess(run, c, 'run').catch(() => undefined)));
  if (run.dp) await run.hurry(run.dp.whenDrained(run.graceMs()));
  await Promise.all(comps.filter(live).map((c) => stopProcess(run, c, 'run', { quiesce: false }).catch(() => undefined)));
  // Containers first: the process driver's last sweep (by run marker) then never meets a container half-stopped.
  const drivers = [...run.drivers.values()].sort((a, b) => Number(b.kind === 'docker') - Number(a.kind === 'docker'));
  for (const d of drivers) {
    await d.stopAll(run.graceMs()).catch((err: Error) => run.notice('error', `stopping components: ${err.message}`));
  }
  run.dp?.close();
  run.logs?.release(); // nothing of this run writes there any more: a later run may prune the folder

  // 2. The final figures, and what was dropped, said once.
  if (run.runId && run.cp) {
    const metrics = run.publisher.tick();
    const snapshot = run.snapshot();
    run.history.record(snapshot);
    run.emit({ type: 'metrics', snapshot });
    const elapsed = run.startedAt ? (Date.now() - run.startedAt) / 1000 : 0;
    metrics.events_per_second = elapsed > 0 ? Math.round((metrics.events_processed / elapsed) * 10) / 10 : 0;
    summarizeDrops(run);
    await run.cp.updateRun({ runId: run.runId, status, metrics, error: error ?? '', failures: run.failures() }).catch(() => undefined);
  }

  // 3. The control plane.
  for (const sub of run.subscriptions.splice(0)) sub.dispose();
  for (const c of run.comps.values()) c.handleSub?.dispose();
  if (run.cp) {
    // Also removes the run's endpoint entry and its claim on the pipeline file.
    await run.cp.close().catch((err: Error) => run.notice('error', `closing the control plane: ${err.message}`));
  }
  if (error) run.error = error;
  run.setState(status === RunStatus.FAILED ? 'failed' : 'stopped', error);
  run.resolveDone(run.snapshot());
}

/** One line per component that lost events, by reason (never silent). */
function summarizeDrops(run: Run): void {
  for (const view of run.table.list()) {
    if (!view.dropped) continue;
    const parts = Object.entries(view.droppedBy ?? {}).map(([why, n]) => `${n} (${why})`);
    const c = run.comps.get(view.id);
    const mismatch = Object.keys(view.droppedBy ?? {}).some((k) => k.startsWith('type mismatch'));
    const accepts = mismatch && c?.spec.role === 'sink' ? ` — it accepts only [${(c.accepts ?? c.spec.input_event_types ?? []).join(', ')}]` : '';
    run.notice('warning', `${view.id}: ${view.dropped} event(s) dropped: ${parts.join(', ')}${accepts}`, view.id);
  }
}
