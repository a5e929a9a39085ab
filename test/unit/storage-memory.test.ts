import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStorage } from '../../src/core/controlplane/storage/memory';
import { emptyRunMetrics, type PipelineRun, type ServiceRecord } from '../../src/core/controlplane/model';

function service(id: string, lastHeartbeat = 1000): ServiceRecord {
  return {
    serviceId: id,
    info: {
      id,
      name: `name-${id}`,
      description: 'd',
      version: '1',
      type: 1,
      input_event_types: [],
      output_event_types: ['ledger'],
      endpoint: 'localhost:1',
      metadata: { k: 'v' },
    },
    status: 2,
    metrics: { n: '1' },
    registeredAt: 1000,
    lastHeartbeat,
    stale: false,
  };
}

function run(id: string): PipelineRun {
  return {
    runId: id,
    pipelineId: 'p',
    pipelineName: 'p',
    status: 1,
    startTime: 5,
    endTime: 0,
    configYaml: 'a: 1',
    metrics: emptyRunMetrics(),
    error: '',
    componentIds: ['a', 'b'],
  };
}

test('services round-trip, are copied in and out, and can be deleted', async () => {
  const s = new MemoryStorage();
  await s.open();
  assert.equal(s.kind, 'memory');
  assert.equal(s.location, undefined);
  const a = service('a');
  await s.putService(a);
  await s.putService(service('b'));
  a.info.metadata.k = 'changed after put';
  a.status = 4;

  const loaded = await s.loadServices();
  assert.deepEqual(loaded.map((r) => r.serviceId).sort(), ['a', 'b']);
  const la = loaded.find((r) => r.serviceId === 'a')!;
  assert.deepEqual(la, service('a'));
  la.info.metadata.k = 'changed after load';
  assert.deepEqual((await s.loadServices()).find((r) => r.serviceId === 'a'), service('a'));

  await s.deleteService('a');
  await s.deleteService('does-not-exist');
  assert.deepEqual((await s.loadServices()).map((r) => r.serviceId), ['b']);
});

test('touches are coalesced, applied on flush, and never resurrect a deleted service', async () => {
  const s = new MemoryStorage();
  await s.open();
  await s.putService(service('a'));
  await s.putService(service('b'));
  for (let i = 0; i < 100; i++) s.touchService(service('a', 2000 + i));
  s.touchService(service('b', 5000));
  assert.equal(s.stats.flushes, 0);
  await s.flush();
  assert.equal(s.stats.flushes, 1);
  assert.equal(s.stats.touchedWritten, 2);
  const byId = new Map((await s.loadServices()).map((r) => [r.serviceId, r]));
  assert.equal(byId.get('a')!.lastHeartbeat, 2099);
  assert.equal(byId.get('b')!.lastHeartbeat, 5000);

  s.touchService(service('b', 6000));
  await s.deleteService('b');
  await s.flush();
  assert.deepEqual((await s.loadServices()).map((r) => r.serviceId), ['a']);

  // A registration after a touch wins over the older touched state.
  s.touchService(service('a', 7000));
  await s.putService(service('a', 8000));
  await s.flush();
  assert.equal((await s.loadServices())[0]!.lastHeartbeat, 8000);
});

test('loadServices sees pending touches and close flushes them', async () => {
  const s = new MemoryStorage();
  await s.open();
  await s.putService(service('a'));
  s.touchService(service('a', 4242));
  assert.equal((await s.loadServices())[0]!.lastHeartbeat, 4242);
  s.touchService(service('a', 4343));
  await s.close();
  await s.close(); // idempotent
  await assert.rejects(s.putService(service('x')), /closed/);
  s.touchService(service('a', 9999)); // ignored after close, does not throw
  await s.open();
  assert.equal((await s.loadServices())[0]!.lastHeartbeat, 4343);
});

test('runs round-trip as copies and overwrite by runId', async () => {
  const s = new MemoryStorage();
  await s.open();
  const r = run('r1');
  await s.putRun(r);
  r.componentIds.push('mutated');
  assert.deepEqual(await s.loadRuns(), [run('r1')]);
  await s.putRun({ ...run('r1'), status: 3, endTime: 99 });
  await s.putRun(run('r2'));
  const runs = await s.loadRuns();
  assert.equal(runs.length, 2);
  assert.equal(runs.find((x) => x.runId === 'r1')!.status, 3);
  runs[0]!.metrics.events_processed = 77;
  assert.notEqual((await s.loadRuns())[0]!.metrics.events_processed, 77);
});
