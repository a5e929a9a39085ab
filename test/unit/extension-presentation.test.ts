// Pure parts of the extension (no vscode): output batching with visible drops, the coalescer, and
// how a component is presented (icons, descriptions, tooltip, healthy counts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OutputBatcher, toTerminalLine } from '../../src/extension/outputBatcher';
import { coalesce } from '../../src/extension/coalesce';
import {
  componentContextValue,
  componentDescription,
  componentIcon,
  componentIconWhile,
  componentTooltip,
  pausedInDebugger,
  connectedDescription,
  shortImage,
  healthCount,
  runLevel,
  stateLabel,
  summarizeRun,
} from '../../src/extension/presentation';
import type { ComponentView, RunSnapshot } from '../../src/core/events';
import { HealthStatus } from '../../src/core/controlplane/model';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function view(over: Partial<ComponentView> = {}): ComponentView {
  return {
    id: 'proc',
    role: 'processor',
    phase: 'running',
    health: HealthStatus.HEALTHY,
    restarts: 0,
    metrics: {},
    waitingFor: [],
    eventsIn: 0,
    eventsOut: 0,
    eventsPerSecond: 0,
    ...over,
  };
}

test('terminal lines end in \\r\\n, inner newlines too', () => {
  assert.equal(toTerminalLine('a\nb'), 'a\r\nb\r\n');
  assert.equal(toTerminalLine('\x1b[32mok\x1b[0m'), '\x1b[32mok\x1b[0m\r\n');
});

test('batcher writes queued lines together, keeps order and ANSI', async () => {
  const writes: string[] = [];
  const b = new OutputBatcher((t) => writes.push(t), { intervalMs: 10 });
  b.push('one');
  b.push('\x1b[31mtwo\x1b[0m');
  b.push('three');
  assert.equal(writes.length, 0, 'nothing is written synchronously');
  await sleep(40);
  assert.deepEqual(writes, ['one\r\n\x1b[31mtwo\x1b[0m\r\nthree\r\n']);
  b.dispose();
});

test('batcher caps bytes per flush and holds lines while paused', () => {
  const writes: string[] = [];
  const b = new OutputBatcher((t) => writes.push(t), { intervalMs: 1000, maxBytesPerFlush: 20, paused: true });
  for (let i = 0; i < 10; i++) b.push(`line-${i}`); // 8 chars + \r\n = 8
  b.flush();
  assert.equal(writes.length, 0, 'paused: no writes');
  b.resume();
  b.flush();
  assert.equal(writes[0], 'line-0\r\nline-1\r\n', 'first flush holds at most 20 chars');
  b.drain();
  assert.equal(writes.join(''), Array.from({ length: 10 }, (_, i) => `line-${i}\r\n`).join(''));
  b.dispose();
});

test('a flood drops the oldest lines and says so', () => {
  const writes: string[] = [];
  const b = new OutputBatcher((t) => writes.push(t), { intervalMs: 1000, maxQueuedLines: 100, paused: true });
  for (let i = 0; i < 1000; i++) b.push(`l${i}`);
  assert.equal(b.queued, 100);
  b.resume();
  b.drain();
  const out = writes.join('');
  assert.match(out, /… 900 lines dropped …/);
  assert.ok(out.indexOf('dropped') < out.indexOf('l900\r\n'), 'the notice marks the gap before the kept lines');
  assert.ok(!out.includes('l899\r\n'));
  assert.ok(out.endsWith('l999\r\n'));
  assert.equal(b.totalDropped, 900);
  b.dispose();
});

test('coalescer: a burst gives one call; a steady stream still delivers within max wait', async () => {
  let calls = 0;
  const c = coalesce(() => calls++, 30, 80);
  for (let i = 0; i < 50; i++) c.trigger();
  await sleep(60);
  assert.equal(calls, 1, 'one call for a burst');
  // Triggers every 10 ms for 300 ms: the debounce never goes quiet, max wait still fires.
  calls = 0;
  const start = Date.now();
  while (Date.now() - start < 300) {
    c.trigger();
    await sleep(10);
  }
  assert.ok(calls >= 2 && calls <= 6, `max wait bounds delivery: ${calls} calls in 300 ms`);
  c.dispose();
  const before = calls;
  c.trigger();
  await sleep(50);
  assert.equal(calls, before, 'disposed coalescer stays silent');
});

test('component presentation follows the phase and health the core reports', () => {
  assert.deepEqual(componentIcon(view()), { id: 'pass-filled', color: 'testing.iconPassed' });
  assert.equal(componentIcon(view({ health: HealthStatus.UNHEALTHY })).id, 'error');
  assert.equal(componentIcon(view({ phase: 'starting' })).id, 'loading~spin');
  assert.equal(componentIcon(view({ phase: 'exited', exitCode: 2 })).color, 'list.errorForeground');
  assert.equal(componentDescription(view({ eventsPerSecond: 12.4 })), 'in 12 · out 12 ev/s');
  assert.equal(componentDescription(view({ eventsInPerSecond: 20, eventsOutPerSecond: 8.04 })), 'in 20 · out 8 ev/s');
  assert.equal(componentDescription(view({ role: 'source', eventsOutPerSecond: 20 })), 'out 20 ev/s');
  assert.equal(componentDescription(view({ role: 'sink', eventsInPerSecond: 0.5 })), 'in 0.5 ev/s');
  // Never an arbitrary metric: the rate stays first whatever the component reported last.
  assert.equal(componentDescription(view({ role: 'sink', metrics: { last_update_time: '1796107596', counter_events_GOOG: '610' } })), 'in 0 ev/s');
  assert.equal(componentDescription(view({ phase: 'waiting', waitingFor: ['src'] })), 'waiting for src to start');
  assert.equal(componentDescription(view({ phase: 'exited', exitCode: 1, restarts: 2 })), 'exited (code 1) ↻2');
  const tip = componentTooltip(view({ pid: 42, endpoint: '127.0.0.1:9000', restarts: 1, lastHeartbeat: 1000, waitingFor: [] }), 6000);
  assert.match(tip, /PID: 42/);
  assert.match(tip, /Endpoint: `127\.0\.0\.1:9000`/);
  assert.match(tip, /Last heartbeat: 5 s ago/);
  assert.match(tip, /Restarts: 1/);
  assert.match(componentTooltip(view({ phase: 'waiting', waitingFor: ['a', 'b'] })), /Waiting for: `a`, `b`/);
  assert.equal(componentContextValue(view({ position: { line: 3, column: 5 } }), false), 'component running stoppable revealable');
  assert.equal(componentContextValue(view(), true), 'component readonly');
});

test('a component alive but starved of data reads as a warning everywhere, with what it waits for', () => {
  const waiting = view({ role: 'sink', flow: 'waiting', waitingOn: ['enrich'], eventsInPerSecond: 0 });
  assert.equal(componentDescription(waiting), 'in 0 ev/s · waiting for enrich');
  assert.equal(stateLabel(waiting), 'waiting for enrich', 'the lens and tooltip say it instead of "healthy"');
  assert.deepEqual(componentIcon(waiting), { id: 'debug-disconnect', color: 'list.warningForeground' });
  assert.match(componentTooltip(waiting), /\$\(warning\) no events arrive: `enrich` is down or stalled/);
  const idle = view({ role: 'sink', flow: 'idle' });
  assert.equal(componentDescription(idle), 'in 0 ev/s · idle');
  assert.equal(stateLabel(idle), 'idle 0 ev/s');
  assert.equal(componentIcon(idle).color, 'list.warningForeground');
  assert.equal(componentIcon(view({ flow: 'flowing' })).id, 'pass-filled');
  const snap: RunSnapshot = {
    pipelineName: 'demo',
    file: '/x/flow.yml',
    state: 'running',
    components: [view({ id: 'ticker', role: 'source' }), view({ id: 'enrich', phase: 'exited', exitCode: null, exitSignal: 'SIGKILL' }), { ...waiting, id: 'a' }, { ...waiting, id: 'b' }],
    eventsProcessed: 0,
    eventsPerSecond: 0,
  };
  const s = summarizeRun(snap);
  assert.equal(s.count, '1/4', 'waiting sinks are not counted healthy');
  assert.deepEqual(s.waiting, [{ id: 'a', on: ['enrich'] }, { id: 'b', on: ['enrich'] }]);
  assert.deepEqual(s.failed, ['enrich']);
  assert.equal(s.level, 'error');
  assert.equal(summarizeRun({ ...snap, components: [{ ...waiting, id: 'a' }] }).level, 'warning');
  assert.equal(summarizeRun({ ...snap, state: 'starting' }).text, 'starting… 1/4 healthy');
});

test('a connected (read-only) component says its state and the rate it reports, not a rate flowctl did not count', () => {
  assert.equal(connectedDescription(view({ role: 'sink' })), 'healthy');
  assert.equal(connectedDescription(view({ role: 'sink', metrics: { events_per_second: '19.6' } })), 'healthy · 20 ev/s (reported)');
});

test('a container component shows its image (short) and its short container id; a process shows neither', () => {
  const id = 'a1b2c3d4e5f6'.padEnd(64, '0');
  const c = view({ driver: 'docker', image: 'ghcr.io/withobsrvr/stellar-live-source:1.2', containerId: id, eventsPerSecond: 20 });
  // The rate words come from core/present (in/out for the view's role); the container follows them.
  assert.equal(componentDescription(c), 'in 20 · out 20 ev/s · stellar-live-source:1.2 a1b2c3d4e5f6');
  assert.equal(componentDescription({ ...c, phase: 'starting', containerId: undefined }), 'starting · stellar-live-source:1.2');
  assert.equal(shortImage(`org/x@sha256:${'ab'.repeat(32)}`), 'x@abababababab');
  const tip = componentTooltip(c);
  assert.match(tip, /Image: `ghcr\.io\/withobsrvr\/stellar-live-source:1\.2`/);
  assert.match(tip, /Container: `a1b2c3d4e5f6`/);
  assert.equal(componentDescription(view({ driver: 'process', eventsPerSecond: 20 })), 'in 20 · out 20 ev/s');
  assert.doesNotMatch(componentTooltip(view({ driver: 'process' })), /Image|Container/);
});

test('healthy count and run level', () => {
  const snap: RunSnapshot = {
    pipelineName: 'demo',
    file: '/x/flow.yml',
    state: 'running',
    components: [view({ id: 'a' }), view({ id: 'b' }), view({ id: 'c', health: HealthStatus.DEGRADED })],
    eventsProcessed: 0,
    eventsPerSecond: 0,
  };
  assert.deepEqual(healthCount(snap), { healthy: 2, total: 3 });
  assert.equal(runLevel(snap), 'warning');
  snap.components.push(view({ id: 'd', phase: 'exited', exitCode: 1 }));
  assert.equal(runLevel(snap), 'error');
  assert.equal(runLevel({ ...snap, state: 'starting' }), 'busy');
});

test('paused in debugger: a debugged running component with lapsed heartbeats, shown with the pause icon, not red', () => {
  const stale = view({ phase: 'running', health: 4, problem: 'no heartbeat within the heartbeat TTL' });
  assert.equal(pausedInDebugger(stale, true), true);
  assert.equal(pausedInDebugger(stale, false), false, 'not debugged: unhealthy');
  assert.equal(pausedInDebugger(view({ phase: 'running', health: 2 }), true), false, 'debugged and heartbeating: running');
  assert.equal(pausedInDebugger(view({ phase: 'exited', health: 4, exitCode: 1 }), true), false, 'an exit is not a pause');
  assert.deepEqual(componentIconWhile(stale, true), { id: 'debug-pause', color: 'debugIcon.pauseForeground' });
  assert.deepEqual(componentIconWhile(stale, false), componentIcon(stale));
  assert.equal(componentIcon(stale).color, 'list.errorForeground');
});
