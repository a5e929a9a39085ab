// bench:deploy — the hub's relay throughput on a single-node Docker Swarm (flowctl deploy; the hub is
// `flowctl run --components external` in a container and relays every event: source → processor
// replica(s) → sink over the overlay network) with 1 and 3 processor replicas, next to the local runner
// (`flowctl run`, the same components as processes) measured in the same session.
//
// All three run at once; in each round every setup streams alone for a window while the others' sources
// are paused (SIGSTOP / docker pause), so they share the machine's load alike (it is shared and noisy).
// Events/s at the sink from the run record (events_processed, published by the runner every second).
// Printed as min / median / max over the rounds, and the per-round ratio to the local runner.
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
      client.ListPipelineRuns({ limit: 1 }, { deadline: Date.now() + 3000 }, (err: Error | null, res: any) =>
        resolve(err || !res?.runs?.[0] ? undefined : Number(res.runs[0].metrics?.events_processed ?? 0)),
      ),
    );
  } finally {
    client.close();
  }
}

/** Waits until events reach the sink of the control plane at `target`. */
async function flowing(target: string, label: string): Promise<void> {
  const deadline = Date.now() + 180_000;
  while (((await eventsProcessed(target)) ?? 0) === 0) {
    if (Date.now() > deadline) throw new Error(`${label}: no events reached the sink`);
    await sleep(500);
  }
}

/** One setup under test: where its run record is, and how to pause / resume its source. */
interface Setup {
  name: string;
  target: string;
  pause(): void;
  resume(): void;
  windows: number[];
}

/** One window: the source runs for WINDOW_S seconds, events/s at the sink (the run record is updated every second). */
async function measure(s: Setup): Promise<number> {
  s.resume();
  await sleep(1500); // the pipeline fills again
  const a = (await eventsProcessed(s.target)) ?? 0;
  const t0 = performance.now();
  await sleep(WINDOW_S * 1000);
  const b = (await eventsProcessed(s.target)) ?? 0;
  const rate = (b - a) / ((performance.now() - t0) / 1000);
  s.pause();
  await sleep(1500); // what is in flight drains
  return rate;
}

function stats(xs: number[]): { min: number; median: number; max: number } {
  const s = [...xs].sort((a, b) => a - b);
  return { min: s[0], median: s[Math.floor(s.length / 2)], max: s[s.length - 1] };
}

/** The bench pipeline: components from `image` (a deploy), or processes of the scripts under `scriptDir`. */
function pipeline(image: string | undefined, replicas: number, scriptDir = path.join(ROOT, 'dist', 'bench', 'components')): string {
  const comp = (id: string, role: string, script: string, extra: string[]) => {
    const lines = [`    - id: ${id}`];
    if (image) lines.push(`      image: ${image}`, `      command: [node, /opt/flowctl/dist/bench/components/${script}.js]`);
    else lines.push(`      command: [node, ${JSON.stringify(path.join(scriptDir, `${script}.js`))}]`);
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
    // Older bench images of this repository are not needed any more (in-use ones are refused: fine).
    const old = spawnSync('docker', ['images', '--format', '{{.Repository}}:{{.Tag}}', 'flowctl-deploy-bench'], { encoding: 'utf8' }).stdout.split('\n').filter((t) => t && t !== tag);
    if (old.length) spawnSync('docker', ['rmi', ...old], { stdio: 'ignore' });
    return tag;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Pids of live processes whose environment holds `marker` and whose command line names `script`. */
function markedPids(marker: string, script: string): number[] {
  const out: number[] = [];
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const env = fs.readFileSync(`/proc/${e}/environ`, 'utf8');
      const cmd = fs.readFileSync(`/proc/${e}/cmdline`, 'utf8');
      if (env.includes(marker) && cmd.includes(script)) out.push(Number(e));
    } catch {
      // gone
    }
  }
  return out;
}

async function local(dir: string, cleanups: Array<() => void | Promise<void>>): Promise<Setup> {
  const file = path.join(dir, 'local.yml');
  fs.writeFileSync(file, pipeline(undefined, 1));
  const port = await freePort();
  const marker = `BENCH_DEPLOY_MARK=${crypto.randomBytes(6).toString('hex')}`;
  const child: ChildProcess = spawn(process.execPath, [CLI, 'run', file, '--control-plane-port', String(port), '--no-persistence', '--show-status=false'], {
    env: { ...process.env, FLOWCTL_HOME: path.join(dir, 'home-local'), [marker.split('=')[0]]: marker.split('=')[1] },
    stdio: 'ignore',
  });
  cleanups.push(async () => {
    for (const pid of markedPids(marker, 'source.js')) process.kill(pid, 'SIGCONT');
    child.kill('SIGINT');
    await new Promise((r) => child.once('exit', r));
  });
  const target = `127.0.0.1:${port}`;
  await flowing(target, 'local runner');
  const signal = (sig: NodeJS.Signals) => {
    for (const pid of markedPids(marker, path.join('components', 'source.js'))) process.kill(pid, sig);
  };
  return { name: 'local runner (processes)', target, pause: () => signal('SIGSTOP'), resume: () => signal('SIGCONT'), windows: [] };
}

/**
 * The local runner inside one container of the same engine (host network): the like-for-like baseline.
 * On this machine every container shares one CPU cgroup (docker/, 1024 shares) that competes with each
 * busy host process, so on a loaded host containers get a small slice of the CPU; comparing the swarm
 * only with host processes would measure that, not the hub.
 */
async function localInContainer(dir: string, image: string, cleanups: Array<() => void | Promise<void>>): Promise<Setup> {
  const file = path.join(dir, 'local-container.yml');
  fs.writeFileSync(file, pipeline(undefined, 1, '/opt/flowctl/dist/bench/components'), { mode: 0o644 });
  const port = await freePort();
  const mark = crypto.randomBytes(6).toString('hex');
  const name = `fdb-local-${mark}`;
  cleanups.push(() => {
    for (const pid of markedPids(`BENCH_DEPLOY_MARK=${mark}`, 'source.js')) process.kill(pid, 'SIGCONT');
    spawnSync('docker', ['rm', '-f', name], { stdio: 'ignore' });
  });
  execFileSync(
    'docker',
    ['run', '-d', '--name', name, '--label', 'flowctl.bench=deploy', '--network', 'host', '-e', `BENCH_DEPLOY_MARK=${mark}`, '-v', `${file}:/pipeline.yml:ro`, image,
      'run', '/pipeline.yml', '--control-plane-address', '127.0.0.1', '--control-plane-port', String(port), '--no-persistence', '--show-status=false'],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const target = `127.0.0.1:${port}`;
  await flowing(target, 'local runner in a container');
  const signal = (sig: NodeJS.Signals) => {
    for (const pid of markedPids(`BENCH_DEPLOY_MARK=${mark}`, path.join('components', 'source.js'))) process.kill(pid, sig);
  };
  return { name: 'local runner in a container', target, pause: () => signal('SIGSTOP'), resume: () => signal('SIGCONT'), windows: [] };
}

async function swarm(dir: string, hubImage: string, image: string, replicas: number, cleanups: Array<() => void | Promise<void>>): Promise<Setup> {
  const file = path.join(dir, `swarm-${replicas}.yml`);
  fs.writeFileSync(file, pipeline(image, replicas));
  const port = await freePort();
  const stack = `fdb-${crypto.randomBytes(3).toString('hex')}`;
  const env = { ...process.env, FLOWCTL_HOME: path.join(dir, 'home-swarm') };
  cleanups.push(() => {
    spawnSync(process.execPath, [CLI, 'undeploy', '--stack', stack], { env, stdio: 'ignore' });
    removeStack(stack);
  });
  execFileSync(process.execPath, [CLI, 'deploy', '--to', 'swarm', '-f', file, '--stack', stack, '--hub-image', hubImage, '--publish', String(port), '--resolve-image', 'never', '--wait', '240s'], {
    env,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const target = `127.0.0.1:${port}`;
  await flowing(target, stack);
  const container = () => spawnSync('docker', ['ps', '-q', '--filter', `label=com.docker.swarm.service.name=${stack}_src`], { encoding: 'utf8' }).stdout.trim().split('\n').filter(Boolean);
  const docker = (verb: string) => {
    for (const id of container()) spawnSync('docker', [verb, id], { stdio: 'ignore' });
  };
  return { name: `swarm hub, ${replicas} processor replica${replicas > 1 ? 's' : ''}`, target, pause: () => docker('pause'), resume: () => docker('unpause'), windows: [] };
}

async function main(): Promise<void> {
  if (!fs.existsSync(CLI)) throw new Error('run `npm run build` first');
  const base = execFileSync('bash', [path.join(ROOT, 'scripts', 'docker-test-images.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim().split('\n')[0];
  const hubImage = flowctlTestImage(base);
  const image = benchImage(hubImage);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flowctl-bench-deploy-'));
  const leave = ensureSwarm();
  const cleanups: Array<() => void | Promise<void>> = [];
  try {
    log(`bench:deploy — ${ROUNDS} rounds; in each, every setup streams alone for ${WINDOW_S} s (the others' sources paused); ${PAD}-byte payloads; source → processor → sink`);
    const setups = [
      await local(dir, cleanups),
      await localInContainer(dir, image, cleanups),
      await swarm(dir, hubImage, image, 1, cleanups),
      await swarm(dir, hubImage, image, 3, cleanups),
    ];
    for (const s of setups) s.pause();
    await sleep(WARMUP_S * 1000);
    // Ratios per round: each setup to the local runner (processes), and the swarm setups to the local runner in a container.
    const ratios: number[][] = setups.map(() => []);
    const ratiosInContainer: number[][] = setups.map(() => []);
    for (let r = 0; r < ROUNDS; r++) {
      const order = r % 2 === 0 ? setups : [...setups].reverse();
      for (const s of order) {
        const rate = await measure(s);
        s.windows.push(rate);
        log(`  round ${r + 1}/${ROUNDS} ${s.name}: ${Math.round(rate)} events/s`);
      }
      setups.forEach((s, i) => {
        ratios[i].push(s.windows[r] / setups[0].windows[r]);
        ratiosInContainer[i].push(s.windows[r] / setups[1].windows[r]);
      });
    }
    const fmt = (xs: number[]) => {
      const q = stats(xs);
      return `×${q.min.toFixed(2)} / ${q.median.toFixed(2)} / ${q.max.toFixed(2)}`;
    };
    console.log('\nevents/s at the sink, min / median / max over the rounds; ratio in the same round (min / median / max) to the local runner (processes) and to the local runner in a container:');
    setups.forEach((s, i) => {
      const st = stats(s.windows);
      const ratio = i === 0 ? '' : `   ${fmt(ratios[i])}${i >= 2 ? `   ${fmt(ratiosInContainer[i])}` : ''}`;
      console.log(`  ${s.name.padEnd(34)} ${Math.round(st.min)} / ${Math.round(st.median)} / ${Math.round(st.max)}${ratio}`);
    });
    const shares = (f: string) => spawnSync('cat', [f], { encoding: 'utf8' }).stdout.trim();
    console.log(`  (cpu.shares: docker/ cgroup ${shares('/sys/fs/cgroup/cpu/docker/cpu.shares') || '?'}; load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')})`);
    // A hub replaced by swarm during the bench (health check) would make its figures meaningless: say so.
    const restarted = spawnSync('docker', ['ps', '-a', '--filter', 'label=com.docker.stack.namespace', '--filter', 'status=exited', '--format', '{{.Names}}'], { encoding: 'utf8' }).stdout.split('\n').filter((n) => /^fdb-/.test(n));
    if (restarted.length) console.log(`  warning: tasks that ended during the bench (replaced by swarm): ${restarted.join(', ')}`);
    console.log(JSON.stringify({ rounds: ROUNDS, windowSeconds: WINDOW_S, padBytes: PAD, load: os.loadavg(), results: Object.fromEntries(setups.map((s) => [s.name, { ...stats(s.windows), windows: s.windows.map(Math.round) }])) }));
  } finally {
    for (const c of cleanups.reverse()) await Promise.resolve(c()).catch(() => undefined);
    leave();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(`bench:deploy failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
