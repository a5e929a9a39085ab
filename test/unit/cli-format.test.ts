import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { formatAgo, formatEvents, formatLastHeartbeat, formatRunDuration, formatStatusDuration, runStatusWord, table } from '../../src/cli/render/format';
import { colorEnabled, palette } from '../../src/cli/render/color';
import { statusLine } from '../../src/cli/render/runView';
import { renderStatus } from '../../src/cli/render/status';

test('flowctl duration and count formats', () => {
  assert.equal(formatStatusDuration(59_999), '59s');
  assert.equal(formatStatusDuration(60_000), '1m');
  assert.equal(formatStatusDuration(3_723_000), '1h 2m');
  assert.equal(formatRunDuration(75_000), '1m 15s');
  assert.equal(formatRunDuration(7_260_000), '2h 1m');
  assert.equal(formatAgo(0, 90_000), '1m ago');
  assert.equal(formatAgo(0, 3 * 86_400_000), '3d ago');
  assert.equal(formatEvents(999), '999');
  assert.equal(formatEvents(1500), '1.5k');
  assert.equal(formatEvents(2_340_000), '2.3M');
  assert.equal(formatLastHeartbeat(undefined), 'never');
  assert.equal(formatLastHeartbeat(10_000, 14_000), 'just now');
  assert.equal(formatLastHeartbeat(10_000, 40_000), '30s ago');
  assert.equal(runStatusWord(2), 'running');
  assert.equal(runStatusWord(5), 'stopped');
});

test('tables pad like tabwriter and ignore colour codes when measuring', () => {
  const t = table([
    ['NAME', 'RUNS'],
    ['\x1b[32mdemo\x1b[39m', '3'],
  ]);
  assert.equal(t, 'NAME  RUNS\n\x1b[32mdemo\x1b[39m  3');
});

test('colours follow NO_COLOR, FORCE_COLOR and the TTY', () => {
  const tty = { isTTY: true } as NodeJS.WriteStream;
  const pipe = { isTTY: false } as NodeJS.WriteStream;
  assert.equal(colorEnabled(tty, {}), true);
  assert.equal(colorEnabled(pipe, {}), false);
  assert.equal(colorEnabled(tty, { NO_COLOR: '1' }), false);
  assert.equal(colorEnabled(pipe, { FORCE_COLOR: '1' }), true);
  assert.equal(palette(false).red('x'), 'x');
  assert.equal(palette(true).red('x'), '\x1b[31mx\x1b[39m');
});

test('status output matches flowctl for a mixed registry', () => {
  const now = 1_000_000_000;
  const ts = (ms: number) => ({ seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 });
  const text = renderStatus(
    [
      { component: { id: 'src', type: 1, endpoint: ':50051', input_event_types: [], output_event_types: ['a.v1'] }, status: 2, last_heartbeat: ts(now - 2000), registered_at: ts(now - 125_000), metrics: { b: '2', a: '1' } },
      { component: { id: 'sink', type: 3, endpoint: '', input_event_types: ['a.v1'], output_event_types: [] }, status: 4, last_heartbeat: ts(now - 40_000), registered_at: ts(now - 60_000), metrics: {} },
    ],
    { palette: palette(false), now, counts: { src: { events_in: 0, events_out: 7 } } },
  );
  assert.equal(
    text,
    [
      'Pipeline Status',
      'Status: UNHEALTHY',
      'Components: 2 total (1 healthy, 1 unhealthy)',
      '',
      'SOURCES (1)',
      '  src (HEALTH_STATUS_HEALTHY)',
      '    Endpoint: :50051',
      '    Uptime: 2m',
      '    Last heartbeat: just now',
      '    Output types: a.v1',
      '    Events: 0 in, 7 out',
      '    Metrics:',
      '      a: 1',
      '      b: 2',
      '',
      'CONSUMERS (1)',
      '  sink (HEALTH_STATUS_UNHEALTHY)',
      '    Uptime: 1m',
      '    Last heartbeat: 40s ago',
      '    Input types: a.v1',
      '',
      '',
    ].join('\n'),
  );
  assert.equal(renderStatus([], { palette: palette(false) }), 'No components registered with control plane\nStart a pipeline with: flowctl run pipeline.yaml\n');
});

test('the run status line summarises health, restarts and figures', () => {
  const base = { phase: 'running' as const, health: 2, restarts: 0, metrics: {}, waitingFor: [], eventsIn: 0, eventsOut: 0, eventsPerSecond: 0 };
  const line = statusLine(
    {
      pipelineName: 'demo',
      file: '/x/flow.yml',
      state: 'running',
      eventsProcessed: 1500,
      eventsPerSecond: 20.4,
      components: [
        { ...base, id: 'src', role: 'source', eventsOut: 40, eventsPerSecond: 20 },
        { ...base, id: 'sink', role: 'sink', eventsIn: 1500, restarts: 2, health: 4 },
      ],
    },
    palette(false),
  );
  assert.equal(line, '● demo running 1/2 healthy | src ✓ 20/s · sink ✗ ↻2 1.5k | events 1.5k (20/s)');
});
