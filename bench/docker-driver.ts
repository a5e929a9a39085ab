// bench:docker — the same SDK component (examples/demo's ticker) started as a process (ManagedProcess)
// and as a container (DockerDriver, host networking, image built locally by scripts/docker-test-images.sh),
// alternately, against one control plane on 127.0.0.1. Per round: start → spawned (pid known),
// start → registered (RegisterComponent arrived), and stop (SIGTERM / docker stop → gone; for the
// container also removed). Prints min / median / max of each, and container ÷ process medians.
// Usage: npm run bench:docker            (ROUNDS=8 for more rounds; needs a Docker engine)
import { execFileSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ControlPlaneServer } from '../src/core/controlplane/server';
import { DockerDriver, buildContainerEnv } from '../src/core/drivers/docker';
import type { ComponentHandle } from '../src/core/drivers/types';
import { ManagedProcess } from '../src/core/supervisor/process';
import { buildComponentEnv } from '../src/core/supervisor/env';
import { checkEngine, DockerCli } from '../src/core/drivers/dockerCli';
import { median, round } from './run-util';

const ROUNDS = Math.max(1, Number(process.env.ROUNDS ?? 5));
const root = path.resolve(__dirname, '..', '..');
const ticker = path.join(root, 'dist', 'examples', 'demo', 'components', 'ticker.js');

interface Sample {
  spawned: number;
  registered: number;
  stop: number;
}

async function once(cp: ControlPlaneServer, id: string, make: () => ComponentHandle): Promise<Sample> {
  const h = make();
  const registered = new Promise<number>((resolve, reject) => {
    const sub = cp.registry.events.on((e) => {
      if (e.type === 'registered' && e.record.info.id === id) {
        sub.dispose();
        resolve(performance.now());
      }
    });
    h.events.on((e) => {
      if (e.type === 'spawnError' || e.type === 'exited') reject(new Error(`${id} did not register: ${JSON.stringify(e)}\n${h.tail(20).join('\n')}`));
    });
  });
  const spawned = new Promise<number>((resolve) => h.events.on((e) => e.type === 'spawned' && resolve(performance.now())));
  const t0 = performance.now();
  h.start();
  const [s, r] = await Promise.all([spawned, registered]);
  const t1 = performance.now();
  await h.stop(10_000);
  return { spawned: s - t0, registered: r - t0, stop: performance.now() - t1 };
}

function stats(xs: number[]): string {
  return `${round(Math.min(...xs), 0)} / ${round(median(xs), 0)} / ${round(Math.max(...xs), 0)}`;
}

async function main(): Promise<void> {
  const engine = await checkEngine(new DockerCli());
  if (!engine.ok) throw new Error(`bench:docker needs a Docker engine: ${engine.detail}`);
  if (!fs.existsSync(ticker)) throw new Error(`${ticker} is missing: run npm run build`);
  const [, demo] = execFileSync('bash', [path.join(root, 'scripts', 'docker-test-images.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] })
    .trim()
    .split('\n');
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'flowctl-bench-docker-'));
  const cp = await ControlPlaneServer.start({ address: '127.0.0.1', port: 0 });
  const driver = new DockerDriver({ stateDir: home, pull: 'never' });
  const runId = crypto.randomUUID();
  const proc: Sample[] = [];
  const cont: Sample[] = [];
  try {
    for (let i = 0; i < ROUNDS; i++) {
      const pid = `ticker-p${i}`;
      const cid = `ticker-c${i}`;
      const penv = await buildComponentEnv({ id: pid }, { endpoint: cp.endpoint, parentEnv: process.env });
      const cenv = await buildContainerEnv({ id: cid }, { endpoint: cp.endpoint });
      const runProcess = () => once(cp, pid, () => new ManagedProcess({ id: pid, command: [process.execPath, ticker], cwd: home, env: penv }));
      const runContainer = () => once(cp, cid, () => driver.create({ id: cid, runId, pipeline: 'bench', image: demo, cwd: home, env: cenv }));
      // Alternate the order so that a slow moment of the machine does not always hit the same kind.
      if (i % 2 === 0) {
        proc.push(await runProcess());
        cont.push(await runContainer());
      } else {
        cont.push(await runContainer());
        proc.push(await runProcess());
      }
      process.stderr.write(`round ${i + 1}/${ROUNDS}: process ${round(proc[i].registered, 0)} ms, container ${round(cont[i].registered, 0)} ms to register\n`);
    }
  } finally {
    await driver.stopAll(0);
    await cp.stop({ graceMs: 100 });
    fs.rmSync(home, { recursive: true, force: true });
  }
  const row = (name: string, key: keyof Sample) =>
    `| ${name} | ${stats(proc.map((s) => s[key]))} | ${stats(cont.map((s) => s[key]))} | ${round(median(cont.map((s) => s[key])) / median(proc.map((s) => s[key])), 1)}× |`;
  console.log(`\nbench:docker — ${ROUNDS} rounds, engine ${engine.info.serverVersion} (API ${engine.info.apiVersion}), ms min / median / max\n`);
  console.log('| step | process | container | container ÷ process (median) |');
  console.log('|---|---|---|---|');
  console.log(row('start → spawned', 'spawned'));
  console.log(row('start → registered', 'registered'));
  console.log(row('stop (gone; container removed)', 'stop'));
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
