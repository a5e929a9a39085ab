// How a run looks in the Runs view (status icon, start, description, tooltip).
import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { RunStatus, emptyRunMetrics, type PipelineRun } from '../../src/core/controlplane/model';
import { runDescription, runIcon, runTooltip, startLabel } from '../../src/extension/runs/runPresentation';

function run(patch: Partial<PipelineRun> = {}): PipelineRun {
  return {
    runId: '1a2b3c4d-0000-0000-0000-000000000000',
    pipelineId: 'demo',
    pipelineName: 'demo',
    status: RunStatus.STOPPED,
    startTime: new Date(2026, 11, 1, 10, 54, 9).getTime(),
    endTime: new Date(2026, 11, 1, 10, 55, 12).getTime(),
    configYaml: '',
    metrics: { ...emptyRunMetrics(), events_processed: 1234 },
    error: '',
    componentIds: ['a', 'b'],
    ...patch,
  };
}

test('description: status, duration, events, failed count', () => {
  assert.equal(runDescription(run()), 'stopped · 1m 3s · 1,234 events');
  assert.equal(runDescription(run({ status: RunStatus.FAILED, failures: { b: 'exited with code 7' } })), 'failed · 1m 3s · 1,234 events · 1 failed');
  const live = run({ status: RunStatus.RUNNING, endTime: 0 });
  assert.equal(runDescription(live, live.startTime + 5000), 'running · 5s · 1,234 events');
});

test('icons by status; start label in local time', () => {
  assert.deepEqual(runIcon(run({ status: RunStatus.FAILED })), { id: 'error', color: 'list.errorForeground' });
  assert.equal(runIcon(run({ status: RunStatus.COMPLETED })).id, 'pass');
  assert.equal(runIcon(run()).id, 'debug-stop');
  assert.equal(startLabel(run().startTime, new Date(2026, 11, 2).getTime()), '12-01 10:54:09');
  assert.equal(startLabel(run().startTime, new Date(2027, 0, 2).getTime()), '2026-12-01 10:54:09');
});

test('tooltip names the failed components and the log folder', () => {
  const t = runTooltip(run({ failures: { sink: 'was killed by SIGKILL' }, logDir: '/p/logs', error: 'sink failed\nmore' }));
  assert.match(t, /Failed: `sink`: was killed by SIGKILL/);
  assert.match(t, /Logs: `\/p\/logs`/);
  assert.match(t, /Error: sink failed$/m);
});
