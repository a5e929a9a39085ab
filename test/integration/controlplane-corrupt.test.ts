// A damaged registry never crashes the control plane: `flowctl server --db-path` and `flowctl run
// --db-path` on a truncated file, zeroed pages or random pages exit 1 with "registry <path> is damaged
// (…); move it away or pass --db-path / --no-persistence", and leave no `.pid` lock behind. (Reading
// such a file in the serving process ends it with SIGBUS or an LMDB assertion: exit 135 / 134.)
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LmdbStorage } from '../../src/core/controlplane/storage/lmdb';
import { emptyRunMetrics } from '../../src/core/controlplane/model';
import { runCli } from '../helpers/cli';
import { makeTempDir, removeTempDir } from '../helpers/paths';
import { node } from './run-helpers';

const PAGE = 4096;

/** A small deterministic generator, so a failure can be reproduced. */
function lcg(seed: number): () => number {
  let x = seed >>> 0;
  return () => (x = (Math.imul(x, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

async function makeRegistry(file: string): Promise<void> {
  const s = new LmdbStorage(file);
  await s.open();
  for (let i = 0; i < 800; i++) {
    await s.putService({
      serviceId: `svc-${i}`,
      info: { id: `svc-${i}`, name: `component ${i}`, description: 'd'.repeat(200), version: '1', type: 1, input_event_types: [], output_event_types: ['e'], endpoint: '127.0.0.1:1', metadata: { i: String(i) } },
      status: 2,
      metrics: { n: String(i) },
      registeredAt: 1,
      lastHeartbeat: 1,
      stale: false,
    });
    if (i % 4 === 3) await s.deleteService(`svc-${i - 2}`); // some free pages too
  }
  for (let i = 0; i < 30; i++) {
    await s.putRun({ runId: `run-${i}`, pipelineId: 'p', pipelineName: 'p', status: 3, startTime: i, endTime: i + 1, configYaml: `a: ${'x'.repeat(3000)}\n`, metrics: emptyRunMetrics(), error: '', componentIds: ['a'] });
  }
  await s.close();
}

type Damage = 'truncated' | 'zeroed pages' | 'random pages';

function damage(src: string, dst: string, how: Damage, seed: number): void {
  const data = fs.readFileSync(src);
  const pages = Math.floor(data.length / PAGE);
  const rnd = lcg(seed);
  if (how === 'truncated') {
    fs.writeFileSync(dst, data.subarray(0, Math.floor(data.length / 2)));
    return;
  }
  // Every page but the two meta pages is a candidate; a tenth of them are hit.
  for (let n = 0; n < Math.max(1, Math.floor(pages / 10)); n++) {
    const p = 2 + Math.floor(rnd() * (pages - 2));
    const page = data.subarray(p * PAGE, (p + 1) * PAGE);
    if (how === 'zeroed pages') page.fill(0);
    else for (let i = 0; i < PAGE; i++) page[i] = Math.floor(rnd() * 256);
  }
  fs.writeFileSync(dst, data);
}

const CASES: Array<[Damage, number]> = [
  ['truncated', 1],
  ['zeroed pages', 1],
  ['zeroed pages', 2],
  ['random pages', 1],
  ['random pages', 2],
];

/** `flowctl server` says `Error: <message>` on stderr; `flowctl run` says `✗ Pipeline failed to start: <message>`. */
function assertDamagedExit(res: { code: number | null; stdout: string; stderr: string }, file: string, what: string, prefix = 'Error: '): void {
  const output = `${res.stdout}\n${res.stderr}`;
  assert.equal(res.code, 1, `${what}: exit ${res.code}\n${output}`);
  const escaped = file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  assert.match(output, new RegExp(`^${prefix}registry ${escaped} is damaged \\(.+\\); move it away or pass --db-path / --no-persistence$`, 'm'), `${what}:\n${output}`);
  assert.equal(fs.existsSync(`${file}.pid`), false, `${what}: the .pid lock is left behind`);
}

describe('damaged registry files', () => {
  let dir: string;
  let good: string;

  before(async () => {
    dir = makeTempDir('flowctl-corrupt-');
    good = path.join(dir, 'good.lmdb');
    await makeRegistry(good);
  });
  after(() => removeTempDir(dir));

  for (const [how, seed] of CASES) {
    test(`flowctl server --db-path on a registry with ${how} (seed ${seed}): exit 1 with the message, no lock left`, async () => {
      const file = path.join(dir, `server-${how.replace(' ', '-')}-${seed}.lmdb`);
      damage(good, file, how, seed);
      const res = await runCli(['server', '--port', '0', '--db-path', file], { FLOWCTL_HOME: path.join(dir, 'home') }, 120_000);
      assertDamagedExit(res, file, `${how} ${seed}`);
    });
  }

  test('flowctl run --db-path on damaged registries: exit 1 with the message, no lock left, no component started', async () => {
    const marker = path.join(dir, 'started.txt');
    const pipeline = path.join(dir, 'flow.yml');
    fs.writeFileSync(
      pipeline,
      `apiVersion: flowctl/v1
kind: Pipeline
metadata:
  name: corrupt-run
spec:
  sources:
    - id: src
      command: ${node('components/count-source.js')}
      env: { RATE: "10" }
  sinks:
    - id: sink
      command: ${node('components/record-sink.js')}
      inputs: [src]
      env: { OUTPUT_FILE: "${marker}" }
`,
    );
    for (const [how, seed] of [CASES[0]!, CASES[1]!, CASES[3]!]) {
      const file = path.join(dir, `run-${how.replace(' ', '-')}-${seed}.lmdb`);
      damage(good, file, how, seed);
      const res = await runCli(['run', pipeline, '--control-plane-port', '0', '--db-path', file, '--show-status=false'], { FLOWCTL_HOME: path.join(dir, 'home') }, 120_000);
      assertDamagedExit(res, file, `run, ${how} ${seed}`, '✗ Pipeline failed to start: ');
    }
    assert.equal(fs.existsSync(marker), false, 'no component ran');
  });

  test('the undamaged registry still opens: unchecked when exactly as its clean close left it, checked once touched', async () => {
    const s = new LmdbStorage(good);
    await s.open();
    try {
      assert.equal(s.lastCheckSkipped, true, 'closed cleanly and untouched since: no check');
      assert.equal((await s.loadServices()).length, 600);
    } finally {
      await s.close();
    }
    const later = new Date(Date.now() + 5000);
    fs.utimesSync(good, later, later); // anything that changes the file (even only its time) brings the check back
    await s.open();
    try {
      assert.equal(s.lastCheckSkipped, false);
      assert.ok(s.lastCheckMs !== undefined, 'the check ran');
      assert.equal((await s.loadServices()).length, 600);
      assert.equal((await s.loadRuns()).length, 30, 'the check changes nothing the registry reads');
    } finally {
      await s.close();
    }
  });

  test('damage in place after a clean close (same file, same size) is still caught', async () => {
    const file = path.join(dir, 'in-place.lmdb');
    await makeRegistry(file);
    assert.ok(fs.existsSync(`${file}.clean`), 'a clean close leaves its mark');
    const fd = fs.openSync(file, 'r+');
    try {
      const pages = Math.floor(fs.fstatSync(fd).size / PAGE);
      for (let p = 2; p < pages; p += 3) fs.writeSync(fd, Buffer.alloc(PAGE), 0, PAGE, p * PAGE);
    } finally {
      fs.closeSync(fd);
    }
    const res = await runCli(['server', '--port', '0', '--db-path', file], { FLOWCTL_HOME: path.join(dir, 'home') }, 120_000);
    assertDamagedExit(res, file, 'in place');
  });
});
