// `flowctl status --watch` shows a rate sparkline per component, and `--json` carries the sampled
// series, against a real `flowctl run` (real components, events flowing).
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnCli } from '../helpers/cli';
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

test('status --watch draws a rate sparkline per component; --json --watch carries the growing series', async (t) => {
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

  const json = spawnCli(['status', '--watch', '--json', '--interval', '1'], env.env);
  t.after(() => json.child.kill('SIGKILL'));
  const docs = await waitFor(() => {
    const parsed = json
      .stdout()
      .split(/\n(?=\{)/)
      .filter((d) => d.trim().endsWith('}'))
      .map((d) => JSON.parse(d));
    return parsed.length >= 4 ? parsed : undefined;
  }, 30_000, 'four JSON documents');
  json.child.kill('SIGINT');
  await json.exited;
  const last = docs[docs.length - 1];
  assert.equal(last.series.times.length, docs.length, 'one sample per refresh');
  assert.equal(last.series.components.src.out.length, last.series.times.length, 'a value per time');
  const rates = (last.series.components.src.out as (number | null)[]).slice(1).filter((v): v is number => v !== null);
  assert.ok(rates.some((r) => r > 5), `src's rate is in the series: ${JSON.stringify(last.series.components.src)}`);
  assert.ok(typeof last.series.components.src.metrics === 'object', 'numeric metrics have their own series');
  assert.equal(docs[0].series.times.length, 1);
});
