// A hub's control plane: replicas of one component register under instance ids (the service id they get
// back and heartbeat with), are recognised when they register again, and their endpoints are rewritten
// to where the hub reaches them. Real gRPC over loopback; peers from other containers are checked on
// the placement itself (no non-loopback socket is ever opened).
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ControlPlaneServer } from '../../src/core/controlplane/server';
import { HubPlacement } from '../../src/core/hub/placement';
import type { ComponentInfo, ServiceRecord } from '../../src/core/controlplane/model';
import { call, closeAll, componentInfo, v1Client } from '../helpers/grpc';

const servers: ControlPlaneServer[] = [];
after(async () => Promise.all(servers.map((s) => s.stop().catch(() => undefined))));

function info(id: string, extra: Partial<ComponentInfo> = {}): ComponentInfo {
  return { id, name: id, description: '', version: '', type: 2, input_event_types: [], output_event_types: [], endpoint: ':50051', metadata: {}, ...extra };
}

describe('hub placement', () => {
  it('replicas register as enrich, enrich#2, enrich#3 and heartbeat under those ids; the same replica keeps its id', async () => {
    const cp = await ControlPlaneServer.start({ port: 0, log: () => undefined });
    servers.push(cp);
    const hub = new HubPlacement({ componentIds: new Set(['ticker', 'enrich']), record: (id) => cp.registry.get(id) });
    cp.registry.placement = (r) => hub.place(r);
    const c = v1Client(cp.endpoint);
    try {
      const ids: string[] = [];
      for (const slot of ['1', '2', '3']) {
        const res = await call<{ service_id: string }>(c, 'RegisterComponent', {
          component_id: 'enrich',
          component: componentInfo('enrich', 2, { endpoint: `127.0.0.1:${7000 + Number(slot)}`, metadata: { FLOWCTL_INSTANCE: slot, FLOWCTL_COMPONENT_ID: 'enrich' } }),
        });
        ids.push(res.service_id);
      }
      assert.deepEqual(ids, ['enrich', 'enrich#2', 'enrich#3']);
      for (const id of ids) await call(c, 'Heartbeat', { service_id: id, status: 2, metrics: { processed_count: '1' } });
      const list = await call<{ components: Array<{ component: ComponentInfo }> }>(c, 'ListComponents', { include_unhealthy: true });
      const byId = new Map(list.components.map((x) => [x.component.id, x.component]));
      assert.deepEqual([...byId.keys()].sort(), ['enrich', 'enrich#2', 'enrich#3'], 'status shows each instance');
      assert.equal(byId.get('enrich#3')!.endpoint, '127.0.0.1:7003');
      assert.equal(byId.get('enrich#3')!.metadata.FLOWCTL_COMPONENT_ID, 'enrich');
      assert.equal(byId.get('enrich#3')!.metadata.FLOWCTL_INSTANCE_OF, 'enrich');
      // Replica 2 registers again (a restart, the hub forgot it): the same instance id.
      const again = await call<{ service_id: string }>(c, 'RegisterComponent', {
        component_id: 'enrich',
        component: componentInfo('enrich', 2, { endpoint: '127.0.0.1:7102', metadata: { FLOWCTL_INSTANCE: '2' } }),
      });
      assert.equal(again.service_id, 'enrich#2');
      assert.equal(cp.registry.get('enrich#2')!.info.endpoint, '127.0.0.1:7102');
      // Replica 3 is gone (unregistered); a new one takes its place.
      await call(c, 'UnregisterComponent', { service_id: 'enrich#3' });
      const fresh = await call<{ service_id: string }>(c, 'RegisterComponent', {
        component_id: 'enrich',
        component: componentInfo('enrich', 2, { endpoint: '127.0.0.1:7200', metadata: { FLOWCTL_INSTANCE: '9' } }),
      });
      assert.equal(fresh.service_id, 'enrich#3');
      // Something that is not one of the pipeline's components keeps the default.
      const other = await call<{ service_id: string }>(c, 'RegisterComponent', { component_id: 'stranger', component: componentInfo('stranger', 1) });
      assert.equal(other.service_id, 'stranger');
    } finally {
      closeAll(c);
    }
  });

  it('a replica in another container is reached at the address its registration came from', () => {
    const records = new Map<string, ServiceRecord>();
    const hub = new HubPlacement({ componentIds: new Set(['enrich']), record: (id) => records.get(id) });
    const a = hub.place({ serviceId: 'enrich', info: info('enrich', { endpoint: ':50051' }), peer: 'ipv4:10.0.1.5:40000' })!;
    records.set(a.serviceId, { serviceId: a.serviceId, info: a.info, status: 2, metrics: {}, registeredAt: 1, lastHeartbeat: 1, stale: false });
    const b = hub.place({ serviceId: 'enrich', info: info('enrich', { endpoint: '127.0.0.1:50051' }), peer: 'ipv4:10.0.1.6:40000' })!;
    assert.equal(a.serviceId, 'enrich');
    assert.equal(a.info.endpoint, '10.0.1.5:50051', 'the Go SDK registers ":50051"');
    assert.equal(a.info.metadata.FLOWCTL_ADVERTISED_ENDPOINT, ':50051');
    assert.equal(b.serviceId, 'enrich#2', 'a different address without a name is another replica');
    assert.equal(b.info.endpoint, '10.0.1.6:50051');
    // A replica that advertises its own address (FLOWCTL_ADVERTISE_HOST) keeps it.
    const c = hub.place({ serviceId: 'enrich', info: info('enrich', { endpoint: '10.9.9.9:7000' }), peer: 'ipv4:10.0.1.7:1' })!;
    assert.equal(c.info.endpoint, '10.9.9.9:7000');
    assert.equal(c.info.metadata.FLOWCTL_ADVERTISED_ENDPOINT, undefined);
    // The primary goes stale: the next new replica takes its place (slot 1 = the component id).
    records.set('enrich', { ...records.get('enrich')!, stale: true });
    const d = hub.place({ serviceId: 'enrich', info: info('enrich'), peer: 'ipv4:10.0.1.8:1' })!;
    assert.equal(d.serviceId, 'enrich');
  });
});
