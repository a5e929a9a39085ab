// docs/flow-yml.md's container example is run, not just read: with `spec.driver: docker` the components
// that have an image and a command run as containers (the log file says so), the sink writes through
// its volume to the host, the events arrive, and Ctrl+C leaves no container of the run behind.
// Skipped (with the reason) where no Docker engine answers; FLOWCTL_REQUIRE_DOCKER=1 makes that a failure.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { requireDocker } from '../helpers/docker';
import { waitFor } from '../helpers/net';
import { runEnv, startRun, stopRun, writePipeline } from '../integration/run-helpers';
import { codeBlocks, readDoc } from './markdown';

/** Containers (any state) of the pipeline with this name. */
function containersOf(pipeline: string): string[] {
  const r = spawnSync('docker', ['ps', '--all', '--quiet', '--filter', `label=flowctl.pipeline=${pipeline}`], { encoding: 'utf8' });
  return r.stdout.split('\n').map((s) => s.trim()).filter(Boolean);
}

test('docs/flow-yml.md: the container example runs its components as containers and its events reach the host through the volume', { timeout: 300_000 }, async (t) => {
  const images = await requireDocker(t);
  if (!images) return;
  const block = codeBlocks(readDoc('flow-yml.md')).find((b) => /^\s+driver: docker$/m.test(b.code) && /^kind: Pipeline$/m.test(b.code));
  assert.ok(block, 'flow-yml.md has a complete pipeline with driver: docker');
  assert.match(block.code, /image: demo-components:latest/);
  const env = runEnv(t, 'flowctl-docs-containers-');
  // A name of its own: the engine is shared, so clean-up and checks go by this label only.
  const name = `docs-containers-${crypto.randomBytes(4).toString('hex')}`;
  t.after(() => {
    const left = containersOf(name);
    if (left.length) spawnSync('docker', ['rm', '--force', ...left], { stdio: 'ignore' });
  });
  const yaml = block.code.replace('name: demo-in-containers', `name: ${name}`).replaceAll('demo-components:latest', images.demo);
  const file = writePipeline(env.dir, yaml);
  fs.mkdirSync(path.join(env.dir, 'output'));
  const out = path.join(env.dir, 'output', 'events.jsonl');
  const lines = () => (fs.existsSync(out) ? fs.readFileSync(out, 'utf8').split('\n').filter((l) => l.trim() !== '') : []);

  const run = startRun(file, ['--registration-timeout', '90s'], env);
  await run.waitForOutput(/Pipeline is running \(3 components\)/, 180_000);
  await waitFor(() => lines().length >= 10, 90_000, 'events written by the containerised sink through its volume', 200);
  assert.equal(containersOf(name).length, 3, 'one container per component');
  for (const id of ['ticker', 'enrich', 'jsonl-sink']) {
    const log = fs.readFileSync(path.join(env.dir, 'logs', 'latest', `${id}.log`), 'utf8');
    assert.match(log, new RegExp(`started container [0-9a-f]{12} \\(image ${images.demo.replace(/[.:/]/g, '\\$&')}, host network`), `${id} ran as a container`);
  }
  const event = JSON.parse(lines()[0]) as { type?: string };
  assert.equal(event.type, 'demo.trade.enriched.v1', 'the sink got the processor\'s events');

  const ended = await stopRun(run, 'SIGINT', 120_000);
  assert.equal(ended.code, 0, run.stdout().slice(-2000) + run.stderr().slice(-2000));
  assert.deepEqual(containersOf(name), [], 'no container of the run is left');
});
