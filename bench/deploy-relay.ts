// bench:deploy — the hub's relay throughput on a single-node Docker Swarm (flowctl deploy; the hub is
// `flowctl run --components external` in a container and relays every event: source → processor
// replica(s) → sink over the overlay network) with 1 and 3 processor replicas, next to the local runner
// (`flowctl run`, the same components as processes) measured in the same session.
//
// Each setup: a warm-up, then ROUNDS windows of WINDOW_S seconds; events/s at the sink from the run
// record (events_processed, published by the runner every second). Printed as min / median / max.
// Needs a Docker engine (a swarm is made when there is none, and left afterwards) and `npm run build`.
//   npm run bench:deploy            BENCH_ROUNDS=5 BENCH_WINDOW_S=4 BENCH_PAD_BYTES=256
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { protos } from '../src/core/proto';
import { ensureSwarm, flowctlTestImage, removeStack } from '../test/helpers/swarm';

const ROOT = path.resolve(__dirname, '..', '..');
const CLI = path.join(ROOT, 'dist', 'cli.js');
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const WINDOW_S = Number(process.env.BENCH_WINDOW_S ?? 4);
const WARMUP_S = Number(process.env.BENCH_WARMUP_S ?? 5);
const PAD = Number(process.env.BENCH_PAD_BYTES ?? 256);

function log(s: string): void {
  process.stderr.write(`${s}\n`);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = require('node:net').createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
}

/** events_processed of the control plane's running run (undefined while it does not answer). */
async function eventsProcessed(target: string): Promise<number | undefined> {
  const Ctor = protos().legacy.ControlPlane as unknown as new (t: string, c: grpc.ChannelCredentials) => any;
  const client = new Ctor(target, grpc.credentials.createInsecure());
  try {
    return await new Promise((resolve) =>
      client.ListPipelineRuns({ status: 2, limit: 1 }, { deadline: Date.now() + 3000 }, (err: Error | null, res: any) =>
        resolve(err || !res?.runs?.[0] ? undefined : Number(res.runs[0].metrics?.events_processed ?? 0)),
      ),
    );
  } finally {
    client.close();
  }
}

async function windows(target: string, label: string): Promise<number[]> {
  const deadline = Date.now() + 180_000;
  while (((await eventsProcessed(target)) ?? 0) === 0) {
    if (Date.now() > deadline) throw new Error(`${label}: no events reached the sink`);
    await sleep(500);
  }
  await sleep(WARMUP_S * 1000);
  const out: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const a = (await eventsProcessed(target)) ?? 0;
    const t0 = performance.now();
    await sleep(WINDOW_S * 1000);
    const b = (await eventsProcessed(target)) ?? 0;
    const rate = (b - a) / ((performance.now() - t0) / 1000);
    out.push(rate);
    log(`  ${label} window ${i + 1}/${ROUNDS}: ${Math.round(rate)} events/s`);
  }
  return out;
}

function stats(xs: number[]): { min: number; median: number; max: number } {
  const s = [...xs].sort((a, b) => a - b);
  return { min: s[0], median: s[Math.floor(s.length / 2)], max: s[s.length - 1] };
}

function pipeline(image: string | undefined, replicas: number): string {
  const comp = (id: string, role: string, script: string, extra: string[]) => {
    const lines = [`    - id: ${id}`];
    if (image) lines.push(`      image: ${image}`, `      command: [node, /opt/flowctl/dist/bench/components/${script}.js]`);
    else lines.push(`      command: [node, ${JSON.stringify(path.join(ROOT, 'dist', 'bench', 'components', `${script}.js`))}]`);
    return [...lines, ...extra].join('\n');
  };
  return [
    'apiVersion: flowctl/v1',
    'kind: Pipeline',
    'metadata: {name: bench-relay}',
    'spec:',
    '  sources:',
    comp('src', 'source', 'source', [`      env: {RATE: "0", PAD_BYTES: "${PAD}"}`]),
    '  processors:',
    comp('proc', 'processor', 'processor', ['      inputs: [src]', `      replicas: ${replicas}`]),
    '  sinks:',
    comp('sink', 'sink', 'sink', ['      inputs: [proc]']),
    '',
  ].join('\n');
}

/** The flowctl image plus the bench components (no RUN: the base has only node). */
function benchImage(hubImage: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flowctl-bench-image-'));
  try {
    fs.cpSync(path.join(ROOT, 'dist', 'bench', 'components'), path.join(dir, 'components'), { recursive: true, filter: (s) => !s.endsWith('.map') });
    fs.writeFileSync(path.join(dir, 'Dockerfile'), `FROM ${hubImage}\nCOPY components/ /opt/flowctl/dist/bench/components/\n`);
    const tag = `flowctl-deploy-bench:${crypto.createHash('sha256').update(hubImage).update(fs.readFileSync(path.join(dir, 'components', 'source.js'))).digest('hex').slice(0, 12)}`;
    execFileSync('docker', ['build', '-q', '-t', tag, dir], { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, DOCKER_BUILDKIT: '0' } });
    return tag;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function local(dir: string): Promise<number[]> {
  const file = path.join(dir, 'local.yml');
  fs.writeFileSync(file, pipeline(undefined, 1));
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, [CLI, 'run', file, '--control-plane-port', String(port), '--no-persistence', '--show-status=false'], {
    env: { ...process.env, FLOWCTL_HOME: path.join(dir, 'home-local') },
    stdio: 'ignore',
  });
  try {
    return await windows(`127.0.0.1:${port}`, 'local runner');
  } finally {
    child.kill('SIGINT');
    await new Promise((r) => child.once('exit', r));
  }
}

async function swarm(dir: string, hubImage: string, image: string, replicas: number): Promise<number[]> {
  const file = path.join(dir, `swarm-${replicas}.yml`);
  fs.writeFileSync(file, pipeline(image, replicas));
  const port = await freePort();
  const stack = `fdb-${crypto.randomBytes(3).toString('hex')}`;
  const env = { ...process.env, FLOWCTL_HOME: path.join(dir, 'home-swarm') };
  try {
    execFileSync(process.execPath, [CLI, 'deploy', '--to', 'swarm', '-f', file, '--stack', stack, '--hub-image', hubImage, '--publish', String(port), '--resolve-image', 'never', '--wait', '240s'], {
      env,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    return await windows(`127.0.0.1:${port}`, `swarm, ${replicas} processor replica(s)`);
  } finally {
    spawnSync(process.execPath, [CLI, 'undeploy', '--stack', stack], { env, stdio: 'ignore' });
    removeStack(stack);
  }
}

async function main(): Promise<void> {
  if (!fs.existsSync(CLI)) throw new Error('run `npm run build` first');
  const base = execFileSync('bash', [path.join(ROOT, 'scripts', 'docker-test-images.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim().split('\n')[0];
  const hubImage = flowctlTestImage(base);
  const image = benchImage(hubImage);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flowctl-bench-deploy-'));
  const leave = ensureSwarm();
  try {
    log(`bench:deploy — ${ROUNDS} windows of ${WINDOW_S} s after ${WARMUP_S} s warm-up; ${PAD}-byte payloads; source → processor → sink`);
    const results: Array<[string, number[]]> = [];
    results.push(['local runner (processes)', await local(dir)]);
    results.push(['swarm hub, 1 processor replica', await swarm(dir, hubImage, image, 1)]);
    results.push(['swarm hub, 3 processor replicas', await swarm(dir, hubImage, image, 3)]);
    const base1 = stats(results[0][1]).median;
    console.log('\nevents/s at the sink (min / median / max), ratio of medians to the local runner:');
    for (const [name, xs] of results) {
      const s = stats(xs);
      console.log(`  ${name.padEnd(34)} ${Math.round(s.min)} / ${Math.round(s.median)} / ${Math.round(s.max)}   ×${(s.median / base1).toFixed(2)}`);
    }
    console.log(JSON.stringify({ rounds: ROUNDS, windowSeconds: WINDOW_S, padBytes: PAD, results: Object.fromEntries(results.map(([n, xs]) => [n, { ...stats(xs), windows: xs.map(Math.round) }])) }));
  } finally {
    leave();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(`bench:deploy failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
