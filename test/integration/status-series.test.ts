// `flowctl status --watch` shows a rate sparkline per component, and `--json` carries the sampled
// series, against a real `flowctl run` (real components, events flowing).
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { runCli, spawnCli } from '../helpers/cli';
import { waitFor } from '../helpers/net';
import { node, runEnv, startRun, stopRun, writePipeline } from './run-helpers';

const PIPELINE = `apiVersion: flowctl/v1
kind: Pipeline
metadata:
  name: series-test
spec:
  driver: process
  sources:
    - id: src
      command: ${node('components/count-source.js')}
      env: { RATE: "40" }
  sinks:
    - id: sink
      command: ${node('components/record-sink.js')}
      inputs: [src]
      env: { OUTPUT_FILE: "sink.jsonl" }
`;

test('status --watch draws a rate sparkline per component; status --json carries the run\'s own history from its runner', async (t) => {
  const env = runEnv(t, 'flowctl-series-');
  const file = writePipeline(env.dir, PIPELINE);
  const run = startRun(file, ['--show-status=false'], env);
  t.after(() => void stopRun(run));
  await run.waitForOutput('Pipeline is running');

  const watch = spawnCli(['status', '--watch', '--interval', '1'], env.env);
  t.after(() => watch.child.kill('SIGKILL'));
  const screen = await waitFor(() => {
    const screens = watch.stdout().split('\x1b[H\x1b[2J');
    const last = screens.length > 3 ? screens[screens.length - 2] : undefined; // a complete screen
    return last && /src \(HEALTH_STATUS_HEALTHY\)[\s\S]*Rate: [▁▂▃▄▅▆▇█ ]*[▂▃▄▅▆▇█][▁▂▃▄▅▆▇█ ]* \d+(\.\d)?\/s/.test(last) ? last : undefined;
  }, 30_000, 'a screen with a rate sparkline for src');
  assert.match(screen, /sink \(HEALTH_STATUS_HEALTHY\)[\s\S]*Rate: /, 'the sink has one too');
  watch.child.kill('SIGINT');
  await watch.exited;

  // One-shot --json: the series is the runner's own history (one sample a second since the start),
  // fetched from the run's runner service.
  const one = await runCli(['status', '--json'], env.env);
  assert.equal(one.code, 0, one.stderr);
  const doc = JSON.parse(one.stdout);
  assert.equal(doc.seriesSource, 'runner', 'the run\'s own history');
  assert.ok(doc.series.times.length >= 3, `several seconds of history: ${doc.series.times.length}`);
  assert.equal(doc.series.components.src.out.length, doc.series.times.length, 'a value per time');
  const rates = (doc.series.components.src.out as (number | null)[]).filter((v): v is number => v !== null);
  assert.ok(rates.some((r) => r > 5), `src's rate is in the series: ${JSON.stringify(doc.series.components.src)}`);
  assert.ok(typeof doc.series.components.src.metrics === 'object', 'numeric metrics have their own series');
  assert.equal(doc.series.intervalMs, 1000);
});
