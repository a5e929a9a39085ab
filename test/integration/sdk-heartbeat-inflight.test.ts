// An SDK component against a control plane that falls behind: it keeps one heartbeat in flight, not
// one per tick. A real component (child process, the SDK's own timer) heartbeats every 100 ms to the
// real control plane in this process; this process then stops answering for 3 s (its event loop is
// held, as an overloaded control plane's is). Firing a heartbeat every tick whatever became of the
// last one queued ~30 calls in those 3 s, which the control plane then served back to back (the bench
// drivers did the same and the extension host's control plane never caught up: see
// plan/reports/stall.md); with one in flight at a time it sees one, then the normal rate again.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ControlPlaneServer } from '../../src/core/controlplane/server';
import { fixture, startComponent, waitFor, type RunningComponent } from '../fixtures/components/harness';

const servers: ControlPlaneServer[] = [];
const running: RunningComponent[] = [];
after(async () => {
  await Promise.all(running.map((c) => c.stop(3000)));
  await Promise.all(servers.map((s) => s.stop().catch(() => undefined)));
});

/** Holds this thread (timers, sockets, everything) for `ms`, as a control plane too busy to read its sockets. */
function holdEventLoop(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

const INTERVAL_MS = 100;
const HOLD_MS = 3000;

describe('SDK heartbeats against a control plane that falls behind', () => {
  it('keeps one heartbeat in flight: after a 3 s stall the control plane gets one late heartbeat, not one per missed tick', async () => {
    const cp = await ControlPlaneServer.start({ port: 0, log: () => undefined });
    servers.push(cp);
    const beats: number[] = [];
    cp.registry.events.on((e) => {
      if (e.type === 'heartbeat' && e.record.serviceId === 'slow-cp-src') beats.push(performance.now());
    });
    const src = startComponent(fixture('count-source'), {
      ENABLE_FLOWCTL: 'true',
      FLOWCTL_ENDPOINT: cp.endpoint,
      FLOWCTL_HEARTBEAT_INTERVAL: `${INTERVAL_MS}ms`,
      FLOWCTL_COMPONENT_ID: 'slow-cp-src',
      RATE: '1',
    });
    running.push(src);
    await waitFor(() => beats.length >= 5, 20_000, 'five heartbeats at the normal rate');

    holdEventLoop(HOLD_MS);
    const released = performance.now();
    await new Promise((r) => setTimeout(r, 2000));

    // What the control plane got in the first 300 ms after it caught up: the late heartbeat(s) plus at
    // most a few of the normal rate (one per 100 ms, each after the last was answered).
    const burst = beats.filter((t) => t >= released && t < released + 300).length;
    assert.ok(burst <= 5, `${burst} heartbeats arrived in the 300 ms after a ${HOLD_MS} ms stall (one per missed ${INTERVAL_MS} ms tick would be ~${HOLD_MS / INTERVAL_MS}); the SDK must not queue heartbeats while one is unanswered`);
    // And it goes on heartbeating normally afterwards.
    const later = beats.filter((t) => t >= released + 300).length;
    assert.ok(later >= 5, `only ${later} heartbeats in the 1.7 s after the stall (expected ~17 at one per ${INTERVAL_MS} ms)`);
    assert.equal(src.child.exitCode, null, `the component exited:\n${src.output()}`);
  });
});
