// `flowctl translate -o compose` run with `docker-compose up` on the real engine, as a user does it: the
// hub (the flowctl image, `flowctl run --components external`) and the demo components from locally
// built images, a processor with 2 replicas, events reaching the sink through the hub (seen with
// `flowctl status` through the hub's published port on 127.0.0.1), then `docker-compose down` and
// nothing of the project left. The compose project name is unique to the test.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { requireDocker } from '../helpers/docker';
import { flowctlTestImage } from '../helpers/swarm';
import { freePort } from '../helpers/net';
import { cliPath, makeTempDir, removeTempDir } from '../helpers/paths';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function exec(cmd: string, args: string[], env: NodeJS.ProcessEnv, cwd: string, timeoutMs = 180_000): Promise<Run> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { cwd, timeout: timeoutMs, env: { ...process.env, ...env, NO_COLOR: '1' } }, (err, stdout, stderr) => {
      if (err && typeof err.code !== 'number') return reject(err);
      resolve({ code: err ? (err.code as number) : 0, stdout, stderr });
    });
  });
}

interface StatusEntry {
  component: { id: string; metadata: Record<string, string> };
  status: number | string;
  metrics: Record<string, string>;
}

async function waitFor<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined | false>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check().catch(() => undefined);
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

function projectRemains(project: string): string[] {
  const out: string[] = [];
  for (const what of ['ps --all', 'network ls', 'volume ls']) {
    const r = spawnSync('docker', [...what.split(' '), '--filter', `label=com.docker.compose.project=${project}`, '--format', '{{.Names}}{{.Name}}'], { encoding: 'utf8' });
    out.push(...r.stdout.split('\n').map((s) => s.trim()).filter(Boolean).map((n) => `${what.split(' ')[0]} ${n}`));
  }
  return out;
}

test('translate -o compose, docker-compose up: events flow through the hub to the sink over 2 processor replicas; down leaves nothing', { timeout: 600_000 }, async (t) => {
  const images = await requireDocker(t);
  if (!images) return;
  const compose = spawnSync('docker-compose', ['version', '--short'], { encoding: 'utf8' });
  assert.equal(compose.status, 0, 'docker-compose is needed (bash scripts/install-test-deps.sh installs Debian\'s)');
  const hubImage = flowctlTestImage(images.base);
  const dir = makeTempDir('flowctl-compose-');
  const project = `fdc-${crypto.randomBytes(3).toString('hex')}`;
  const env = { FLOWCTL_HOME: path.join(dir, 'home') };
  const composeArgs = ['-p', project, '-f', 'compose.yml'];
  t.after(() => {
    spawnSync('docker-compose', [...composeArgs, 'down', '--volumes', '--remove-orphans', '--timeout', '5'], { cwd: dir, stdio: 'ignore', timeout: 120_000 });
    removeTempDir(dir);
  });
  const port = await freePort();
  const demo = images.demo;
  fs.writeFileSync(
    path.join(dir, 'flow.yml'),
    [
      'apiVersion: flowctl/v1',
      'kind: Pipeline',
      'metadata: {name: compose-demo}',
      'spec:',
      '  sources:',
      `    - {id: ticker, image: ${demo}, command: [node, /app/ticker.js], env: {RATE: "50"}}`,
      '  processors:',
      `    - {id: enrich, image: ${demo}, command: [node, /app/enrich.js], inputs: [ticker], replicas: 2, env: {MIN_QTY: "0", FLOWCTL_HEARTBEAT_INTERVAL_MS: "1000"}}`,
      '  sinks:',
      `    - {id: counter, image: ${demo}, command: [node, /app/counter-sink.js], inputs: [enrich]}`,
      '',
    ].join('\n'),
    { mode: 0o644 },
  );
  const tr = await exec(process.execPath, [cliPath(), 'translate', '-o', 'compose', '-f', 'flow.yml', '--hub-image', hubImage, '--publish', String(port), '--to-file', 'compose.yml'], env, dir);
  assert.equal(tr.code, 0, tr.stderr);
  const up = await exec('docker-compose', [...composeArgs, 'up', '--detach', '--no-build'], env, dir, 300_000);
  assert.equal(up.code, 0, `${up.stdout}\n${up.stderr}`);

  // The hub sees every component (two instances of enrich), each processing, and events at the sink.
  const status = async () => {
    const r = await exec(process.execPath, [cliPath(), 'status', '--json', '--control-plane-address', '127.0.0.1', '--control-plane-port', String(port)], env, dir, 30_000);
    return r.code === 0 ? (JSON.parse(r.stdout) as { components: StatusEntry[]; counts: Record<string, { events_in: number }> }) : undefined;
  };
  const s = await waitFor('both enrich replicas processing and events at the sink', 240_000, async () => {
    const st = await status();
    const enrich = st?.components.filter((c) => c.component.metadata.FLOWCTL_COMPONENT_ID === 'enrich') ?? [];
    return st && enrich.length === 2 && enrich.every((e) => Number(e.metrics.processed_count ?? 0) > 0) && (st.counts.counter?.events_in ?? 0) > 0 ? st : undefined;
  });
  assert.deepEqual(s.components.map((c) => c.component.id).sort(), ['counter', 'enrich', 'enrich#2', 'ticker']);

  // down: nothing of the project remains.
  const down = await exec('docker-compose', [...composeArgs, 'down', '--volumes', '--remove-orphans', '--timeout', '5'], env, dir, 180_000);
  assert.equal(down.code, 0, down.stderr);
  assert.deepEqual(projectRemains(project), []);
});
