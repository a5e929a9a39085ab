import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { matchByIdentity } from '../../src/core/runner/registrations';
import { peerPort } from '../../src/core/runner/peerPid';
import type { ServiceRecord } from '../../src/core/controlplane/model';

function record(serviceId: string, id: string, metadata: Record<string, string> = {}): ServiceRecord {
  return {
    serviceId,
    info: { id, name: '', description: '', version: '', type: 1, input_event_types: [], output_event_types: [], endpoint: '', metadata },
    status: 2,
    metrics: {},
    registeredAt: 0,
    lastHeartbeat: 0,
    stale: false,
  };
}

test('registrations match pipeline ids by service id, component id, then metadata', () => {
  const ids = new Set(['src', 'sink']);
  assert.deepEqual(matchByIdentity(record('src', 'src'), ids), { id: 'src', how: 'id' });
  assert.deepEqual(matchByIdentity(record('svc-1', 'sink'), ids), { id: 'sink', how: 'id' });
  assert.deepEqual(matchByIdentity(record('go-like', 'go-like', { FLOWCTL_COMPONENT_ID: 'src' }), ids), { id: 'src', how: 'metadata' });
  assert.deepEqual(matchByIdentity(record('datalake', 'datalake', { component_id: 'sink' }), ids), { id: 'sink', how: 'metadata' });
  assert.equal(matchByIdentity(record('COMPONENT_TYPE_SOURCE-1', ''), ids), undefined);
});

test('grpc-js peer strings give the client port', () => {
  assert.equal(peerPort('ipv4:127.0.0.1:53412'), 53412);
  assert.equal(peerPort('ipv6:[::1]:40000'), 40000);
  assert.equal(peerPort(undefined), undefined);
  assert.equal(peerPort('unix:/tmp/x'), undefined);
});
