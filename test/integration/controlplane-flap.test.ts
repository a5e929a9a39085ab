// No flapping at the TTL: a component whose heartbeat interval equals the heartbeat TTL (the Go SDK's
// 30 s default against flowctl's 30 s TTL) stays HEALTHY, because a record goes stale only after its
// window: the TTL or its observed heartbeat interval, whichever is longer, plus a grace of one janitor
// interval (at most one TTL) — flowctl's own effective window is TTL + its 10 s janitor tick. A process
// exit (markExited) is still reported at once. Times are scaled down (TTL 1 s) and the heartbeats
// go over a real socket with UNKNOWN status, as the Go SDK sends them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ControlPlaneServer } from '../../src/core/controlplane/server';
import { HealthStatus } from '../../src/core/controlplane/model';
import { call, componentInfo, v1Client } from '../helpers/grpc';

const TTL = 1000;

async function beatEvery(cp: ControlPlaneServer, id: string, intervalMs: number, beats: number): Promise<string[]> {
  const changes: string[] = [];
  const sub = cp.registry.events.on((e) => {
    if (e.type === 'healthChanged' && e.record.serviceId === id) changes.push(`${e.reason}:${e.record.status}`);
  });
  const client = v1Client(cp.endpoint);
  try {
    await call(client, 'RegisterComponent', { component: componentInfo(id, 1) });
    // Like a Go ticker: the first heartbeat one full interval after registering.
    const start = performance.now();
    for (let i = 1; i <= beats; i++) {
      const due = start + i * intervalMs;
      await new Promise((r) => setTimeout(r, Math.max(0, due - performance.now())));
      await call(client, 'Heartbeat', { service_id: id, status: HealthStatus.UNKNOWN, metrics: { beat: String(i) } });
    }
  } finally {
    sub.dispose();
    client.close();
  }
  return changes;
}

test('heartbeats every TTL (Go SDK 30 s vs TTL 30 s, scaled): never stale', async () => {
  const cp = await ControlPlaneServer.start({ port: 0, heartbeatTtlMs: TTL });
  try {
    const changes = await beatEvery(cp, 'at-ttl', TTL, 10);
    assert.deepEqual(changes, [], 'no unhealthy/healthy flap');
    assert.equal(cp.registry.get('at-ttl')!.status, HealthStatus.HEALTHY);
    const window = cp.registry.heartbeatWindowMs('at-ttl')!;
    // TTL (or the last interval, when a late beat made it a little longer) + grace (min(janitor 10 s, TTL)).
    assert.ok(window >= 2 * TTL && window < 2 * TTL + 1000, `window ${window} ms`);
  } finally {
    await cp.stop();
  }
});

test('heartbeats every 2.5 TTLs: stale once before the first beat, then the observed interval is allowed for', async () => {
  const cp = await ControlPlaneServer.start({ port: 0, heartbeatTtlMs: TTL });
  try {
    const changes = await beatEvery(cp, 'slow', 2.5 * TTL, 5);
    assert.deepEqual(changes, [`stale:${HealthStatus.UNHEALTHY}`, `recovered:${HealthStatus.HEALTHY}`], 'one flap, before any interval was seen');
    const window = cp.registry.heartbeatWindowMs('slow')!;
    assert.ok(window >= 2.5 * TTL + TTL - 50 && window <= 2.5 * TTL + TTL + 500, `window ${window} ms: observed interval + grace`);
  } finally {
    await cp.stop();
  }
});

test('silence is still reported: past the window it goes stale; a process exit is reported at once', async () => {
  const cp = await ControlPlaneServer.start({ port: 0, heartbeatTtlMs: TTL });
  const client = v1Client(cp.endpoint);
  try {
    await call(client, 'RegisterComponent', { component: componentInfo('silent', 1) });
    await call(client, 'RegisterComponent', { component: componentInfo('exits', 1) });
    const staleAt = await new Promise<number>((resolve) => {
      const sub = cp.registry.events.on((e) => {
        if (e.type === 'healthChanged' && e.record.serviceId === 'silent' && e.reason === 'stale') {
          sub.dispose();
          resolve(Date.now());
        }
      });
    });
    const after = staleAt - cp.registry.get('silent')!.lastHeartbeat; // silent since it registered
    assert.ok(after >= 2 * TTL - 50 && after < 2 * TTL + 3000, `stale after ${Math.round(after)} ms (window ${2 * TTL} ms)`);

    await call(client, 'Heartbeat', { service_id: 'exits' });
    cp.registry.markExited('exits');
    const st = await call(client, 'GetComponentStatus', { service_id: 'exits' });
    assert.equal(st.status, HealthStatus.UNHEALTHY, 'reported at once, not a window later');
  } finally {
    client.close();
    await cp.stop();
  }
});
