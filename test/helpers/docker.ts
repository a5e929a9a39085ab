// Docker for tests: is an engine reachable, the locally built test images (scripts/docker-test-images.sh,
// built once and reused while their content is unchanged), and removal of what a test left behind
// (only containers carrying the test's own scope label — the engine is shared).
import { execFileSync, spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { repoRoot } from './paths';
import { DockerCli, checkEngine, engineProblemMessage } from '../../src/core/drivers/dockerCli';
import { LABELS, scopeOf } from '../../src/core/drivers/dockerArgs';

export interface TestImages {
  /** flowctl-test/node:<major>: node and its libraries, nothing else. */
  base: string;
  /** flowctl-test/demo:<hash>: the base plus examples/demo's bundled SDK components in /app. */
  demo: string;
}

let engine: Promise<string | undefined> | undefined;
let images: TestImages | undefined;

/** undefined when an engine answers, else why not (one sentence). */
export function dockerUnavailable(): Promise<string | undefined> {
  engine ??= checkEngine(new DockerCli()).then((c) => (c.ok ? undefined : engineProblemMessage(c, 'the Docker tests', true)));
  return engine;
}

/**
 * The test images, or undefined after t.skip() with the reason when no engine is reachable. With
 * FLOWCTL_REQUIRE_DOCKER=1 (CI) a missing engine fails the test instead of skipping it.
 */
export async function requireDocker(t: { skip(message?: string): void }): Promise<TestImages | undefined> {
  const why = await dockerUnavailable();
  if (why) {
    if (process.env.FLOWCTL_REQUIRE_DOCKER === '1') throw new Error(`FLOWCTL_REQUIRE_DOCKER=1 but ${why}`);
    t.skip(`SKIPPED: no Docker engine is reachable — ${why}`);
    return undefined;
  }
  images ??= buildImages();
  return images;
}

function buildImages(): TestImages {
  const out = execFileSync('bash', [path.join(repoRoot(), 'scripts', 'docker-test-images.sh')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: 300_000,
  });
  const [base, demo] = out.trim().split('\n');
  if (!base || !demo) throw new Error(`scripts/docker-test-images.sh printed no image names: ${out}`);
  return { base, demo };
}

/** Ids of containers (any state) carrying flowctl's labels for this state folder. */
export function scopedContainers(stateDir: string): string[] {
  const r = spawnSync(
    'docker',
    ['ps', '--all', '--quiet', '--no-trunc', '--filter', `label=${LABELS.managed}=true`, '--filter', `label=${LABELS.scope}=${scopeOf(stateDir)}`],
    { encoding: 'utf8' },
  );
  return r.stdout.split('\n').map((s) => s.trim()).filter(Boolean);
}

/** Force-removes every container of this state folder (test clean-up; returns how many there were). */
export function removeScopedContainers(stateDir: string): number {
  const ids = scopedContainers(stateDir);
  if (ids.length) spawnSync('docker', ['rm', '--force', '--volumes', ...ids], { stdio: 'ignore' });
  return ids.length;
}

/** The parts of `docker inspect` the tests look at. */
export interface ContainerInspect {
  Id: string;
  Name: string;
  State: { Running: boolean; Pid: number; ExitCode: number; Status: string };
  Config: { Image: string; Env: string[]; Labels: Record<string, string>; Entrypoint: string[] | null; Cmd: string[] | null };
  HostConfig: {
    NetworkMode: string;
    RestartPolicy: { Name: string };
    Init: boolean | null;
    ExtraHosts: string[] | null;
    PortBindings: Record<string, Array<{ HostIp: string; HostPort: string }>> | null;
  };
  Mounts: Array<{ Type: string; Source: string; Destination: string; RW: boolean }>;
}

/** `docker inspect` of one container (undefined when it does not exist). */
export function inspectContainer(id: string): ContainerInspect | undefined {
  const r = spawnSync('docker', ['inspect', id], { encoding: 'utf8' });
  if (r.status !== 0) return undefined;
  return JSON.parse(r.stdout)[0];
}
