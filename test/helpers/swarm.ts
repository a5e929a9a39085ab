// Docker Swarm for tests: the flowctl image (built locally by scripts/image.mjs FROM the test base image,
// once per content), a single-node swarm made for the test and left afterwards (only when the test made
// it: the engine is shared), and what a stack leaves behind.
import { execFileSync, spawnSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { repoRoot } from './paths';

function hashOf(files: string[]): string {
  const h = crypto.createHash('sha256');
  const walk = (p: string) => {
    const st = fs.statSync(p);
    if (st.isDirectory()) for (const e of fs.readdirSync(p).sort()) walk(path.join(p, e));
    else h.update(p).update(fs.readFileSync(p));
  };
  for (const f of files) walk(f);
  return h.digest('hex').slice(0, 16);
}

/** flowctl-deploy-test:<hash of what goes in>, built FROM `base` unless it exists. */
export function flowctlTestImage(base: string): string {
  const root = repoRoot();
  const baseId = spawnSync('docker', ['image', 'inspect', '--format', '{{.Id}}', base], { encoding: 'utf8' }).stdout.trim();
  const tag = `flowctl-deploy-test:${hashOf([path.join(root, 'dist/cli.js'), path.join(root, 'proto'), path.join(root, 'Dockerfile'), path.join(root, 'dist/examples/demo/components')]).slice(0, 10)}${crypto.createHash('sha256').update(baseId).digest('hex').slice(0, 6)}`;
  const present = spawnSync('docker', ['image', 'inspect', tag], { stdio: 'ignore' }).status === 0;
  if (!present) {
    execFileSync(process.execPath, [path.join(root, 'scripts/image.mjs'), '--base', base, '--tag', tag, '--context', path.join(root, '.cache', `image-${process.pid}`), '-q'], {
      stdio: ['ignore', 'ignore', 'inherit'],
      timeout: 300_000,
    });
    fs.rmSync(path.join(root, '.cache', `image-${process.pid}`), { recursive: true, force: true });
    // Older test tags of this repository are not needed any more (in-use ones are refused: fine).
    const old = spawnSync('docker', ['images', '--format', '{{.Repository}}:{{.Tag}}', 'flowctl-deploy-test'], { encoding: 'utf8' }).stdout.split('\n').filter((t) => t && t !== tag);
    if (old.length) spawnSync('docker', ['rmi', ...old], { stdio: 'ignore' });
  }
  return tag;
}

export function swarmState(): string {
  return spawnSync('docker', ['info', '--format', '{{.Swarm.LocalNodeState}}'], { encoding: 'utf8' }).stdout.trim();
}

/** Makes a single-node swarm when there is none; returns a function that leaves it (a no-op when it was there before). */
export function ensureSwarm(): () => void {
  if (swarmState() === 'active') return () => undefined;
  execFileSync('docker', ['swarm', 'init', '--advertise-addr', '127.0.0.1'], { stdio: 'ignore', timeout: 60_000 });
  return () => {
    spawnSync('docker', ['swarm', 'leave', '--force'], { stdio: 'ignore', timeout: 60_000 });
  };
}

/** Names of what the engine still holds for a stack (services, containers, networks, configs, secrets). */
export function stackRemains(stack: string): string[] {
  const filter = ['--filter', `label=com.docker.stack.namespace=${stack}`];
  const out: string[] = [];
  for (const [what, args] of [
    ['service', ['service', 'ls', '--format', '{{.Name}}']],
    ['container', ['ps', '--all', '--format', '{{.Names}}']],
    ['network', ['network', 'ls', '--format', '{{.Name}}']],
    ['config', ['config', 'ls', '--format', '{{.Name}}']],
    ['secret', ['secret', 'ls', '--format', '{{.Name}}']],
  ] as const) {
    const r = spawnSync('docker', [...args, ...filter], { encoding: 'utf8' });
    for (const l of r.stdout.split('\n').map((s) => s.trim()).filter(Boolean)) out.push(`${what} ${l}`);
  }
  return out;
}

/** Removes a stack and waits (test clean-up after a failure). */
export function removeStack(stack: string): void {
  spawnSync('docker', ['stack', 'rm', stack], { stdio: 'ignore', timeout: 60_000 });
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline && stackRemains(stack).length) spawnSync('sleep', ['0.5']);
}
