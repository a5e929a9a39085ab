// Pipeline-run RPCs on the legacy service (reference §1.6) and run stoppers (§1.7).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { ControlPlaneServer } from '../../src/core/controlplane/server';
import { MemoryStorage } from '../../src/core/controlplane/storage/memory';
import { RunStatus } from '../../src/core/controlplane/model';
import type { RegistryEvent } from '../../src/core/events';
import { call, expectCode, legacyClient, type Client } from '../helpers/grpc';
import { waitFor } from '../helpers/net';

describe('pipeline runs', () => {
  let cp: ControlPlaneServer;
  let legacy: Client;
  const storage = new MemoryStorage();

  before(async () => {
    cp = await ControlPlaneServer.start({ port: 0, storage });
    legacy = legacyClient(cp.endpoint);
  });
  after(async () => {
    legacy.close();
    await cp.stop();
  });

  test('flowctl §7: StopPipelineRun invokes the stopper', async () => {
    await call(legacy, 'CreatePipelineRun', { run_id: 'run-stop-test', pipeline_name: 'p' });
    let calls = 0;
    cp.registerRunStopper('run-stop-test', () => {
      calls++;
    });
    const run = await call(legacy, 'StopPipelineRun', { run_id: 'run-stop-test' });
    assert.equal(run.status, RunStatus.STOPPED);
    assert.ok(run.end_time && run.end_time.seconds > 0);
    await waitFor(() => calls === 1, 1000, 'stopper');
    // Repeated stops re-invoke it (the runner makes its stop idempotent).
    await call(legacy, 'StopPipelineRun', { run_id: 'run-stop-test' });
    await waitFor(() => calls === 2, 1000, 'stopper again');
    cp.unregisterRunStopper('run-stop-test');
    await call(legacy, 'StopPipelineRun', { run_id: 'run-stop-test' });
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(calls, 2, 'unregistered stopper not called');
  });

  test('the stopper runs asynchronously: a stopper that never finishes does not hold the reply', async () => {
    await call(legacy, 'CreatePipelineRun', { run_id: 'slow-stop', pipeline_name: 'p' });
    let started = false;
    cp.registerRunStopper('slow-stop', () => {
      started = true;
      return new Promise(() => {});
    });
    const run = await call(legacy, 'StopPipelineRun', { run_id: 'slow-stop' }, 2000);
    assert.equal(run.status, RunStatus.STOPPED);
    await waitFor(() => started, 1000, 'stopper start');
    // A throwing stopper is logged, not fatal.
    cp.registerRunStopper('slow-stop', () => {
      throw new Error('boom');
    });
    await call(legacy, 'StopPipelineRun', { run_id: 'slow-stop' });
    cp.unregisterRunStopper('slow-stop');
  });

  test('CreatePipelineRun: STARTING, start time, pipeline_id = name, zero metrics; duplicates overwrite', async () => {
    const run = await call(legacy, 'CreatePipelineRun', { run_id: 'c-1', pipeline_name: 'demo', config_yaml: 'a: 1', component_ids: ['src', 'sink'] });
    assert.equal(run.run_id, 'c-1');
    assert.equal(run.pipeline_id, 'demo');
    assert.equal(run.pipeline_name, 'demo');
    assert.equal(run.status, RunStatus.STARTING);
    assert.ok(run.start_time.seconds > 0);
    assert.equal(run.end_time, null);
    assert.equal(run.config_yaml, 'a: 1');
    assert.deepEqual(run.component_ids, ['src', 'sink']);
    assert.deepEqual(run.metrics, { events_processed: 0, events_per_second: 0, bytes_processed: 0, component_metrics: {}, events_dropped: 0 });
    assert.equal(run.error, '');
    await call(legacy, 'UpdatePipelineRun', { run_id: 'c-1', status: RunStatus.RUNNING });
    const again = await call(legacy, 'CreatePipelineRun', { run_id: 'c-1', pipeline_name: 'demo2' });
    assert.equal(again.status, RunStatus.STARTING);
    assert.equal((await call(legacy, 'GetPipelineRun', { run_id: 'c-1' })).pipeline_name, 'demo2');
    assert.equal((await storage.loadRuns()).find((r) => r.runId === 'c-1')?.pipelineName, 'demo2', 'stored when acknowledged');
  });

  test('UpdatePipelineRun: status, end time on terminal states, metrics replaced wholesale, error', async () => {
    await call(legacy, 'CreatePipelineRun', { run_id: 'u-1', pipeline_name: 'p' });
    let run = await call(legacy, 'UpdatePipelineRun', { run_id: 'u-1', status: RunStatus.RUNNING });
    assert.equal(run.status, RunStatus.RUNNING);
    assert.equal(run.end_time, null);
    run = await call(legacy, 'UpdatePipelineRun', {
      run_id: 'u-1',
      metrics: { events_processed: 10, events_per_second: 2.5, bytes_processed: 100, component_metrics: { src: { events_out: 10 } } },
    });
    assert.equal(run.status, RunStatus.RUNNING, 'UNKNOWN status leaves it');
    assert.equal(run.metrics.events_processed, 10);
    assert.equal(run.metrics.component_metrics.src.events_out, 10);
    run = await call(legacy, 'UpdatePipelineRun', { run_id: 'u-1', metrics: { events_processed: 3 } });
    assert.deepEqual(run.metrics, { events_processed: 3, events_per_second: 0, bytes_processed: 0, component_metrics: {}, events_dropped: 0 });
    run = await call(legacy, 'UpdatePipelineRun', { run_id: 'u-1', status: RunStatus.FAILED, error: 'sink died' });
    assert.equal(run.status, RunStatus.FAILED);
    assert.equal(run.error, 'sink died');
    assert.ok(run.end_time.seconds > 0);
    assert.equal(run.metrics.events_processed, 3, 'no metrics in the request: kept');
    // No state machine: FAILED → RUNNING is allowed (flowctl).
    run = await call(legacy, 'UpdatePipelineRun', { run_id: 'u-1', status: RunStatus.RUNNING });
    assert.equal(run.status, RunStatus.RUNNING);
    await expectCode(call(legacy, 'UpdatePipelineRun', { run_id: 'missing', status: RunStatus.RUNNING }), grpc.status.NOT_FOUND, 'pipeline run not found: missing');
  });

  test('GetPipelineRun / StopPipelineRun on unknown ids: NOT_FOUND', async () => {
    await expectCode(call(legacy, 'GetPipelineRun', { run_id: 'nope' }), grpc.status.NOT_FOUND, 'pipeline run not found: nope');
    await expectCode(call(legacy, 'StopPipelineRun', { run_id: 'nope' }), grpc.status.NOT_FOUND, 'pipeline run not found: nope');
  });

  test('StopPipelineRun overwrites a COMPLETED run with STOPPED', async () => {
    await call(legacy, 'CreatePipelineRun', { run_id: 's-1', pipeline_name: 'p' });
    await call(legacy, 'UpdatePipelineRun', { run_id: 's-1', status: RunStatus.COMPLETED });
    const run = await call(legacy, 'StopPipelineRun', { run_id: 's-1' });
    assert.equal(run.status, RunStatus.STOPPED);
  });

  test('ListPipelineRuns: newest first, limit 0 → 10, negative → all, filters', async () => {
    for (let i = 0; i < 12; i++) await call(legacy, 'CreatePipelineRun', { run_id: `l-${String(i).padStart(2, '0')}`, pipeline_name: 'listing' });
    await call(legacy, 'UpdatePipelineRun', { run_id: 'l-03', status: RunStatus.RUNNING });
    const ids = async (req: object) => (await call(legacy, 'ListPipelineRuns', req)).runs.map((r: any) => r.run_id);
    const ten = await ids({ pipeline_name: 'listing' });
    assert.deepEqual(ten, ['l-11', 'l-10', 'l-09', 'l-08', 'l-07', 'l-06', 'l-05', 'l-04', 'l-03', 'l-02']);
    assert.equal((await ids({ pipeline_name: 'listing', limit: -1 })).length, 12);
    assert.deepEqual(await ids({ pipeline_name: 'listing', limit: 2 }), ['l-11', 'l-10']);
    assert.deepEqual(await ids({ pipeline_name: 'listing', status: RunStatus.RUNNING }), ['l-03']);
    assert.deepEqual(await ids({ pipeline_name: 'no-such-pipeline' }), []);
    const all = await ids({ limit: -1 });
    assert.ok(all.length >= 12 && all.includes('c-1'));
  });

  test('runChanged events and restart: runs load back from storage', async () => {
    const seen: RegistryEvent[] = [];
    const sub = cp.registry.events.on((e) => e.type === 'runChanged' && seen.push(e));
    await call(legacy, 'CreatePipelineRun', { run_id: 'ev-run', pipeline_name: 'p' });
    await call(legacy, 'UpdatePipelineRun', { run_id: 'ev-run', status: RunStatus.RUNNING });
    await call(legacy, 'StopPipelineRun', { run_id: 'ev-run' });
    sub.dispose();
    assert.deepEqual(
      seen.map((e) => (e.type === 'runChanged' ? `${e.change}:${e.run.status}` : '')),
      [`created:${RunStatus.STARTING}`, `updated:${RunStatus.RUNNING}`, `stopped:${RunStatus.STOPPED}`],
    );

    const other = await ControlPlaneServer.start({ port: 0, storage: new MemoryStorage() });
    await other.registry.createRun({ runId: 'persisted', pipelineName: 'pp' });
    const store = other.storage;
    await other.stop();
    const again = await ControlPlaneServer.start({ port: 0, storage: store });
    try {
      assert.equal(again.registry.getRun('persisted').pipelineName, 'pp');
    } finally {
      await again.stop();
    }
  });
});
