// `flowctl translate` as a user runs it: the CLI on a real pipeline file, and Debian's docker-compose
// (installed by scripts/install-test-deps.sh) accepting what it writes (`docker-compose config` checks a
// file against compose's schema without an engine).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';

const ROOT = path.resolve(__dirname, '../../..');
const CLI = path.join(ROOT, 'dist/cli.js');
let dir: string;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function exec(cmd: string, args: string[], cwd = dir): Promise<Run> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { cwd, timeout: 60_000, env: { ...process.env, NO_COLOR: '1' } }, (err, stdout, stderr) => {
      if (err && typeof err.code !== 'number') return reject(err);
      resolve({ code: err ? (err.code as number) : 0, stdout, stderr });
    });
  });
}

const flowctl = (args: string[]) => exec(process.execPath, [CLI, ...args]);

const PIPELINE = [
  'apiVersion: flowctl/v1',
  'kind: Pipeline',
  'metadata:',
  '  name: demo',
  'spec:',
  '  sources:',
  '    - id: ticker',
  '      image: flowctl-demo:1',
  '      command: ["node", "/app/ticker.js"]',
  '      env: {RATE: "20", NOTE: "costs $5"}',
  '      restart_policy: "no"',
  '  processors:',
  '    - id: enrich',
  '      image: flowctl-demo:1',
  '      inputs: [ticker]',
  '      replicas: 3',
  '      volumes:',
  '        - host_path: ./data',
  '          container_path: /data',
  '          readonly: true',
  '      resources: {limits: {cpu: 250m, memory: 128Mi}}',
  '  sinks:',
  '    - id: out',
  '      image: flowctl-demo:1',
  '      inputs: [enrich]',
  '      health_check: /health',
  '      health_port: 8090',
  '',
].join('\n');

before(async () => {
  assert.ok(fs.existsSync(CLI), `build first: ${CLI} is missing (npm run build)`);
  const v = await exec('docker-compose', ['version', '--short'], os.tmpdir()).catch((e: Error) => ({ code: -1, stdout: '', stderr: e.message }));
  assert.equal(v.code, 0, `docker-compose is needed (Debian's docker-compose; bash scripts/install-test-deps.sh installs it): ${v.stderr}`);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flowctl-translate-'));
  fs.writeFileSync(path.join(dir, 'flow.yml'), PIPELINE);
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

test('-o compose: docker-compose config accepts it, with the values compose will use', async () => {
  const r = await flowctl(['translate', '-o', 'compose', '-f', 'flow.yml', '--to-file', 'out/compose.yml']);
  assert.equal(r.code, 1, 'the output folder does not exist yet: a clear failure');
  assert.match(r.stderr, /Error: cannot write out\/compose\.yml: its folder does not exist/);
  fs.mkdirSync(path.join(dir, 'out'));
  const ok = await flowctl(['translate', '-o', 'docker-compose', '-f', 'flow.yml', '--to-file', 'out/compose.yml']);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(ok.stdout, '', 'with --to-file nothing goes to stdout');
  assert.match(ok.stderr, /note: the hub runs without mutual TLS/);
  const file = path.join(dir, 'out/compose.yml');
  assert.equal(fs.statSync(file).mode & 0o777, 0o600);
  const cfg = await exec('docker-compose', ['-f', file, 'config']);
  assert.equal(cfg.code, 0, cfg.stderr);
  const resolved = parse(cfg.stdout);
  assert.deepEqual(Object.keys(resolved.services).sort(), ['enrich', 'flowctl-hub', 'out', 'ticker']);
  // Paths resolve against the output file's folder; the pipeline file and the bind mount are the real ones.
  assert.equal(resolved.services['flowctl-hub'].volumes[0].source, path.join(dir, 'flow.yml'));
  assert.equal(resolved.services.enrich.volumes[0].source, path.join(dir, 'data'));
  assert.equal(resolved.services.ticker.restart, 'no');
  assert.equal(resolved.services.ticker.environment.FLOWCTL_ENDPOINT, 'flowctl-hub:8080');
  assert.equal(resolved.services.enrich.deploy.replicas, 3);
  // `docker-compose config` prints the file re-escaped; without interpolation the literal is what we wrote.
  const raw = await exec('docker-compose', ['-f', file, 'config', '--no-interpolate']);
  assert.equal(raw.code, 0, raw.stderr);
  assert.equal(parse(raw.stdout).services.ticker.environment.NOTE, 'costs $$5');
});

test('-o swarm: docker-compose config accepts the stack file (swarm-only keys included)', async () => {
  const r = await flowctl(['translate', '-o', 'swarm', 'flow.yml', '--publish', '18080']);
  assert.equal(r.code, 0, r.stderr);
  fs.writeFileSync(path.join(dir, 'stack.yml'), r.stdout);
  const cfg = await exec('docker-compose', ['-f', 'stack.yml', 'config']);
  assert.equal(cfg.code, 0, cfg.stderr);
  const resolved = parse(cfg.stdout);
  assert.equal(resolved.services['flowctl-hub'].deploy.endpoint_mode, 'dnsrr');
  assert.deepEqual(resolved.services['flowctl-hub'].ports, [{ target: 8080, published: 18080, protocol: 'tcp', mode: 'host' }]);
  assert.equal(resolved.networks.flowctl.driver, 'overlay');
  assert.equal(resolved.services.ticker.deploy.restart_policy.condition, 'none');
});

test('-o kubernetes: valid manifests on stdout, notes on stderr', async () => {
  const r = await flowctl(['translate', '-o', 'k8s', '--namespace', 'pipelines']);
  assert.equal(r.code, 0, r.stderr);
  const objs = parseAllDocuments(r.stdout).map((d) => d.toJS());
  assert.equal(objs.length, 6);
  for (const o of objs) {
    assert.equal(o.metadata.namespace, 'pipelines');
    if (o.kind === 'Deployment') new Deployment(o).validate();
  }
  assert.match(r.stderr, /hostPath volumes/);
  assert.match(r.stderr, /restart_policy "no" cannot be kept/);
});

test('errors: components without an image with file:line:column, exit 1, nothing written', async () => {
  fs.writeFileSync(
    path.join(dir, 'noimage.yml'),
    PIPELINE.replace('      image: flowctl-demo:1\n      inputs: [ticker]', '      command: [./enrich]\n      inputs: [ticker]'),
  );
  const r = await flowctl(['translate', '-o', 'swarm', '-f', 'noimage.yml', '--to-file', 'never.yml']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^noimage\.yml:13:7: error: processor "enrich" has no image: a cluster runs every component from an image$/m);
  assert.match(r.stderr, /Error: cannot translate noimage\.yml: 1 error\(s\)/);
  assert.equal(fs.existsSync(path.join(dir, 'never.yml')), false);
});

test('usage errors: no format, unknown format, missing file, half the TLS files', async () => {
  const none = await flowctl(['translate']);
  assert.equal(none.code, 1);
  assert.match(none.stderr, /-o\/--output is required: compose, swarm or kubernetes/);
  const local = await flowctl(['translate', '-o', 'local']);
  assert.match(local.stderr, /unknown output format "local".*use `flowctl run`/);
  const missing = await flowctl(['translate', '-o', 'swarm', '-f', 'nope.yml']);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /Error: pipeline file not found: nope\.yml/);
  const tls = await flowctl(['translate', '-o', 'swarm', '--tls-cert', 'flow.yml']);
  assert.equal(tls.code, 1);
  assert.match(tls.stderr, /mutual TLS needs all five files: missing --tls-key, --tls-ca-cert, --tls-client-cert, --tls-client-key/);
});
