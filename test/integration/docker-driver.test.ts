// The docker driver on a real engine, with images built locally (scripts/docker-test-images.sh): an SDK
// component in a container registers with a control plane on 127.0.0.1, env and volumes reach the
// container, output arrives as lines and in the log file, stop honours the grace period, restart
// policies use our backoff, labels are set, a missing image fails preflight with a clear error, leftovers
// of a killed runner are reaped (a live one's are not), and ownsProcess knows the container's processes.
// Skipped, with the reason, only when no Docker engine is reachable (FLOWCTL_REQUIRE_DOCKER=1 fails instead).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ControlPlaneServer } from '../../src/core/controlplane/server';
import { DockerDriver, buildContainerEnv, processInContainer } from '../../src/core/drivers/docker';
import { LABELS, scopeOf } from '../../src/core/drivers/dockerArgs';
import type { ComponentRunSpec } from '../../src/core/drivers/types';
import type { ProcessEvent } from '../../src/core/supervisor/process';
import type { ContainerHandle } from '../../src/core/drivers/dockerContainer';
import { readProcStat } from '../../src/core/supervisor/procfs';
import { makeTempDir, removeTempDir, repoRoot } from '../helpers/paths';
import { waitFor } from '../helpers/net';
import { inspectContainer, removeScopedContainers, requireDocker, scopedContainers, type TestImages } from '../helpers/docker';

const FIXTURES = path.join(repoRoot(), 'out', 'test', 'fixtures');

interface Ctx {
  images: TestImages;
  dir: string;
  stateDir: string;
  driver: DockerDriver;
  runId: string;
  spec(id: string, over: Partial<ComponentRunSpec>): ComponentRunSpec;
}

/** A driver with a private state folder (its own label scope); after the test nothing of it may be left. */
async function setup(t: { skip(m?: string): void; after(fn: () => unknown): void }, opts: Partial<ConstructorParameters<typeof DockerDriver>[0]> = {}): Promise<Ctx | undefined> {
  const images = await requireDocker(t);
  if (!images) return undefined;
  const dir = makeTempDir('flowctl-docker-');
  const stateDir = path.join(dir, 'home');
  const driver = new DockerDriver({ stateDir, pull: 'never', backoff: { initialMs: 200 }, ...opts });
  const runId = crypto.randomUUID();
  t.after(async () => {
    await driver.stopAll(0).catch(() => undefined);
    const left = removeScopedContainers(stateDir);
    removeTempDir(dir);
    assert.equal(left, 0, `${left} container(s) of this test were left behind`);
  });
  const spec = (id: string, over: Partial<ComponentRunSpec>): ComponentRunSpec => ({
    id,
    runId,
    pipeline: 'docker-test',
    image: images.base,
    cwd: dir,
    env: { ENABLE_FLOWCTL: 'false' },
    logFile: path.join(dir, 'logs', `${id}.log`),
    ...over,
  });
  return { images, dir, stateDir, driver, runId, spec };
}

/** Collects a handle's events; next() waits for the first (not yet taken) event matching the predicate. */
function recorder(h: ContainerHandle) {
  const events: ProcessEvent[] = [];
  h.events.on((e) => events.push(e));
  let taken = 0;
  return {
    events,
    lines: () => events.flatMap((e) => (e.type === 'line' ? [e.line] : [])),
    async next<T extends ProcessEvent['type']>(type: T, timeoutMs = 60_000): Promise<Extract<ProcessEvent, { type: T }>> {
      const found = await waitFor(
        () => {
          const i = events.findIndex((e, n) => n >= taken && e.type === type);
          return i >= 0 ? i + 1 : 0;
        },
        timeoutMs,
        `event ${type} (got ${events.map((e) => e.type).join(',')})`,
      );
      taken = found;
      return events[found - 1] as Extract<ProcessEvent, { type: T }>;
    },
  };
}

const node = (script: string, ...args: string[]) => ['node', `/fixtures/${script}.js`, ...args];
const fixturesMount = { hostPath: FIXTURES, containerPath: '/fixtures', readonly: true };
const gone = (id: string) => waitFor(() => !inspectContainer(id), 30_000, `container ${id.slice(0, 12)} removed`);

test('an SDK component in a container (host network) registers with a control plane on 127.0.0.1; labels, no docker restart policy, init; stop removes it', async (t) => {
  const c = await setup(t);
  if (!c) return;
  const cp = await ControlPlaneServer.start({ address: '127.0.0.1', port: 0 });
  t.after(() => cp.stop({ graceMs: 100 }));
  const env = await buildContainerEnv({ id: 'ticker', env: { RATE: '5' } }, { endpoint: cp.endpoint, extraEnv: { FLOWCTL_RUN_MARKER: 'm'.repeat(32) } });
  assert.equal(env.PATH, undefined, 'the host PATH is not passed into the container');
  const h = c.driver.create(c.spec('ticker', { image: c.images.demo, env }));
  const rec = recorder(h);
  const registered = new Promise<number>((resolve) => cp.registry.events.on((e) => e.type === 'registered' && e.record.info.id === 'ticker' && resolve(Date.now())));
  const t0 = Date.now();
  h.start();
  const spawned = await rec.next('spawned');
  assert.ok(spawned.pid > 0, 'the init process pid as seen from this host');
  const at = await Promise.race([registered, new Promise<number>((_, rej) => setTimeout(() => rej(new Error(`not registered; output:\n${rec.lines().join('\n')}`)), 60_000))]);
  t.diagnostic(`start → registered: ${at - t0} ms`);
  const record = cp.registry.list().find((r) => r.info.id === 'ticker');
  assert.ok(record, 'registered in the registry');

  const info = inspectContainer(h.containerId!)!;
  assert.equal(info.Config.Labels[LABELS.managed], 'true');
  assert.equal(info.Config.Labels[LABELS.run], c.runId);
  assert.equal(info.Config.Labels[LABELS.pipeline], 'docker-test');
  assert.equal(info.Config.Labels[LABELS.component], 'ticker');
  assert.equal(info.Config.Labels[LABELS.runnerPid], String(process.pid));
  assert.equal(info.Config.Labels[LABELS.scope], scopeOf(c.stateDir));
  assert.equal(info.HostConfig.NetworkMode, 'host');
  assert.equal(info.HostConfig.RestartPolicy.Name, 'no');
  assert.equal(info.HostConfig.Init, true);
  assert.ok(info.Config.Env.includes(`FLOWCTL_ENDPOINT=${cp.endpoint}`));
  assert.ok(info.Config.Env.includes('FLOWCTL_COMPONENT_ID=ticker'));
  assert.equal(h.state, 'running');
  assert.equal(h.pid, spawned.pid);

  const id = h.containerId!;
  const s0 = Date.now();
  await h.stop(5_000);
  t.diagnostic(`stop: ${Date.now() - s0} ms`);
  assert.equal(h.state, 'stopped');
  assert.equal(inspectContainer(id), undefined, 'the container is removed once stopped');
  assert.deepEqual(c.driver.containers(), []);
  const exited = rec.events.find((e) => e.type === 'exited');
  assert.ok(exited && exited.type === 'exited' && exited.willRestart === false);
  assert.ok(rec.events.some((e) => e.type === 'stopped'));
});

test('env and volumes reach the container: values with spaces, "=", line breaks and CLI-reserved names; a read-write mount written from inside, a read-only one refused', async (t) => {
  const c = await setup(t);
  if (!c) return;
  const data = path.join(c.dir, 'data dir, with comma');
  fs.mkdirSync(data);
  fs.writeFileSync(path.join(data, 'input.txt'), 'from the host');
  const env = { SECRET: 'p@ss word=1', MULTI: 'line1\nline2', HOME: '/home/component', DOCKER_FOO: 'bar', FLOWCTL_RUN_MARKER: 'abc' };
  const h = c.driver.create(
    c.spec('probe', {
      command: node('docker/probe', '/data', '/fixtures'),
      env,
      volumes: [fixturesMount, { hostPath: data, containerPath: '/data' }],
    }),
  );
  const rec = recorder(h);
  h.start();
  const exited = await rec.next('exited');
  assert.equal(exited.code, 0, rec.lines().join('\n'));
  const report = JSON.parse(rec.lines().find((l) => l.startsWith('{'))!);
  for (const [k, v] of Object.entries(env)) assert.equal(report.env[k], v, k);
  assert.equal(report.env.PATH, '/usr/local/bin:/usr/bin:/bin', "the image's PATH, not the host's");
  assert.equal(report.input, 'from the host');
  assert.equal(report.writeRw, 'ok');
  assert.equal(report.writeRo, 'EROFS');
  assert.equal(fs.readFileSync(path.join(data, 'from-container.txt'), 'utf8'), 'written inside');
  await gone(h.containerId!);
});

test('output arrives as stdout/stderr lines (partial writes joined, CRLF handled), the log file gets them timestamped without ANSI; exit code reported; the container is removed', async (t) => {
  const c = await setup(t);
  if (!c) return;
  const h = c.driver.create(c.spec('lines', { command: node('proc/ansi-lines', '3'), volumes: [fixturesMount] }));
  const rec = recorder(h);
  h.start();
  const exited = await rec.next('exited');
  assert.equal(exited.code, 0);
  assert.equal(exited.signal, null);
  assert.equal(exited.willRestart, false);
  assert.equal(h.state, 'exited');
  const lines = rec.events.flatMap((e) => (e.type === 'line' ? [[e.stream, e.line] as const] : []));
  assert.deepEqual(
    lines.filter(([s]) => s === 'stdout').map(([, l]) => l),
    ['\u001b[32mline 1\u001b[0m \u001b]0;title\u0007ok', '\u001b[32mline 2\u001b[0m \u001b]0;title\u0007ok', '\u001b[32mline 3\u001b[0m \u001b]0;title\u0007ok', 'split across writes', 'partial at end'],
  );
  assert.deepEqual(lines.filter(([s]) => s === 'stderr').map(([, l]) => l), ['\u001b[1;31merror line\u001b[0m']);
  assert.ok(rec.events.every((e) => e.type !== 'line' || e.time > 0));
  await gone(h.containerId!);
  const log = fs.readFileSync(path.join(c.dir, 'logs', 'lines.log'), 'utf8');
  assert.match(log, /^--- \S+ started container [0-9a-f]{12} \(image flowctl-test\/node:\d+, host network, attempt 1\) ---$/m);
  assert.match(log, /^\d{4}-\d\d-\d\dT\S+Z line 2 ok$/m);
  assert.match(log, /^\S+Z error line$/m);
  assert.match(log, /exited with code 0 ---$/m);
  assert.ok(!log.includes('\u001b'), 'no ANSI in the log file');
  assert.deepEqual(h.tail().filter((l) => !l.includes('line')), ['split across writes', 'partial at end'], 'tail() keeps the last lines');
});

test('stop honours the grace period: a component that needs 1.5 s after SIGTERM finishes (code 0); one that ignores SIGTERM is killed after the grace', async (t) => {
  const c = await setup(t);
  if (!c) return;
  const polite = c.driver.create(c.spec('polite', { command: node('docker/term-after', '1500'), volumes: [fixturesMount] }));
  const stubborn = c.driver.create(c.spec('stubborn', { command: node('proc/ignore-term'), volumes: [fixturesMount] }));
  const rp = recorder(polite);
  const rs = recorder(stubborn);
  polite.start();
  stubborn.start();
  await waitFor(() => rp.lines().includes('ready') && rs.lines().some((l) => l.startsWith('ready')), 60_000, 'both ready');
  const t0 = Date.now();
  await Promise.all([polite.stop(5_000), stubborn.stop(1_000)]);
  const took = Date.now() - t0;
  const pe = rp.events.find((e) => e.type === 'exited');
  const se = rs.events.find((e) => e.type === 'exited');
  assert.ok(pe?.type === 'exited' && pe.code === 0 && pe.signal === null, `polite exit: ${JSON.stringify(pe)}`);
  assert.ok(rp.lines().includes('bye'), 'it finished its shutdown');
  assert.ok(rs.lines().includes('got SIGTERM, ignoring'), 'SIGTERM reached the component through the init process');
  assert.ok(se?.type === 'exited' && se.signal === 'SIGKILL', `stubborn exit: ${JSON.stringify(se)}`);
  assert.ok(took >= 1_400, `stop returned after ${took} ms, before the polite component could finish`);
  assert.equal(polite.state, 'stopped');
  assert.equal(stubborn.state, 'stopped');
});

test('restart policy on-failure restarts with our backoff (a new container each time) up to maxRestarts; restart() replaces a running container; kill() ends one at once', async (t) => {
  const c = await setup(t, { maxRestarts: 2 });
  if (!c) return;
  const flaky = c.driver.create(c.spec('flaky', { command: node('proc/exit-after', '100', '3'), volumes: [fixturesMount], restartPolicy: 'on-failure' }));
  const rec = recorder(flaky);
  flaky.start();
  const ids = new Set<string>();
  for (let i = 0; i < 3; i++) {
    await rec.next('spawned');
    ids.add(flaky.containerId!);
    const e = await rec.next('exited');
    assert.equal(e.code, 3);
    assert.equal(e.willRestart, i < 2, `attempt ${i + 1}`);
    if (i < 2) assert.equal(e.restartInMs, 200 * 2 ** i, 'exponential backoff from initialMs');
  }
  assert.equal(ids.size, 3, 'each attempt is a new container');
  assert.equal(flaky.restarts, 2);
  assert.equal(flaky.state, 'exited');
  for (const id of ids) await gone(id);

  const sleeper = c.driver.create(c.spec('sleeper', { command: node('proc/sleeper'), volumes: [fixturesMount] }));
  const rs = recorder(sleeper);
  sleeper.start();
  await rs.next('spawned');
  const first = sleeper.containerId!;
  // The component must be up before the restart: a SIGTERM during Node's boot ends it before it prints
  // "ready", and the second "ready" below would never come (seen once in CI under load).
  await waitFor(() => rs.lines().some((l) => l.startsWith('ready')), 90_000, 'first ready');
  await sleeper.restart(5_000);
  await rs.next('spawned');
  assert.notEqual(sleeper.containerId, first);
  assert.equal(sleeper.restarts, 1);
  const userExit = rs.events.find((e) => e.type === 'exited');
  assert.ok(userExit?.type === 'exited' && userExit.willRestart === true && userExit.restartInMs === 0);
  await gone(first);

  await waitFor(() => rs.lines().filter((l) => l.startsWith('ready')).length >= 2, 90_000, 'second ready');
  const t0 = Date.now();
  sleeper.kill();
  const killed = await rs.next('exited');
  assert.equal(killed.signal, 'SIGKILL');
  assert.ok(Date.now() - t0 < 15_000);
});

test('ownsProcess: the container init and the component inside are the run\'s own processes (by cgroup); this process and others are not', async (t) => {
  const c = await setup(t);
  if (!c) return;
  const h = c.driver.create(c.spec('owned', { command: node('proc/sleeper'), volumes: [fixturesMount] }));
  const rec = recorder(h);
  h.start();
  const { pid } = await rec.next('spawned');
  await waitFor(() => rec.lines().some((l) => l.startsWith('ready')), 90_000, 'ready');
  const inner = fs.readdirSync('/proc').filter((n) => /^\d+$/.test(n)).map(Number).find((p) => readProcStat(p)?.ppid === pid);
  assert.ok(inner, 'the component process under the init process');
  assert.equal(c.driver.ownsProcess(pid), true);
  assert.equal(c.driver.ownsProcess(inner), true);
  assert.equal(processInContainer(inner, h.containerId!), true);
  assert.equal(c.driver.ownsProcess(process.pid), false);
  assert.equal(c.driver.ownsProcess(1), false);
  assert.equal(c.driver.ownsProcess(-1), false);
  await h.stop(2_000);
  assert.equal(c.driver.ownsProcess(pid), false, 'nothing after the container is gone');
});

test('preflight: a missing image fails before anything starts, naming the image and why (pull never / a pull that fails); bad references and missing mount sources too', async (t) => {
  const c = await setup(t);
  if (!c) return;
  const missing = `flowctl-test/missing-${crypto.randomUUID().slice(0, 8)}:1`;
  const specs = [
    c.spec('ok', {}),
    c.spec('a', { image: missing }),
    c.spec('b', { image: missing }),
    c.spec('bad', { image: 'Not An Image' }),
    c.spec('vol', { volumes: [{ hostPath: path.join(c.dir, 'nope'), containerPath: '/nope' }] }),
  ];
  const never = (await c.driver.preflight(specs)).map((p) => p.message);
  assert.equal(never.length, 3, never.join('\n'));
  assert.ok(never.includes(`component bad: image "Not An Image" contains whitespace`));
  assert.ok(never.includes(`component vol: volume host_path ${path.join(c.dir, 'nope')} does not exist (to be mounted at /nope); create it first`));
  assert.ok(
    never.includes(
      `image ${missing} (needed by a, b) is not on this machine, and the pull policy "never" forbids pulling it: build or load it (docker build / docker load), or run with --pull missing`,
    ),
    never.join('\n'),
  );

  const progress: string[] = [];
  const pulling = new DockerDriver({ stateDir: c.stateDir, pull: 'missing', onProgress: (m) => progress.push(m) });
  const [pullProblem, ...rest] = (await pulling.preflight([c.spec('a', { image: missing }), c.spec('ok', {})])).map((p) => p.message);
  assert.deepEqual(rest, []);
  assert.match(pullProblem, new RegExp(`^could not pull image ${missing.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} \\(needed by a\\): .+`));
  assert.match(pullProblem, /build or load it locally/);
  assert.deepEqual(progress.slice(0, 1), [`pulling image ${missing} (needed by a)…`]);
  t.diagnostic(pullProblem);
  assert.deepEqual(scopedContainers(c.stateDir), [], 'nothing was started');
});

test('preflight without a reachable engine: one clear sentence naming the components, what to install and the alternative', async (t) => {
  const dir = makeTempDir('flowctl-docker-');
  t.after(() => removeTempDir(dir));
  const spec = (id: string): ComponentRunSpec => ({ id, runId: 'r', pipeline: 'p', image: 'org/x:1', cwd: dir, env: {} });
  const noEngine = new DockerDriver({ stateDir: dir, cli: { env: { ...process.env, DOCKER_HOST: `unix://${path.join(dir, 'no-such.sock')}` } } });
  const [msg] = (await noEngine.preflight([spec('proc')])).map((p) => p.message);
  assert.match(msg, /^component proc \(image org\/x:1\) needs a Docker engine, but none answers \(.+\): install docker\.io and start dockerd, or give it a command$/);
  const noCli = new DockerDriver({ stateDir: dir, cli: { command: path.join(dir, 'docker-not-installed') } });
  const [msg2] = (await noCli.preflight([spec('a'), spec('b')])).map((p) => p.message);
  assert.match(msg2, /^2 container components \(a, b\) need a Docker engine, but the .*docker-not-installed command was not found on PATH: install docker\.io and start dockerd, or give it a command$/);
  assert.deepEqual(await noEngine.reapLeftovers(), { reaped: [], skipped: [] });
});

test('bridge mode: FLOWCTL_ENDPOINT on loopback becomes host.docker.internal (mapped to the host gateway); ports are published on 127.0.0.1 only', async (t) => {
  const c = await setup(t);
  if (!c) return;
  const h = c.driver.create(
    c.spec('bridged', {
      network: 'bridge',
      command: ['node', '-e', 'require("http").createServer((q, s) => s.end(process.env.FLOWCTL_ENDPOINT)).listen(8080, () => console.log("listening"))'],
      env: { FLOWCTL_ENDPOINT: '127.0.0.1:4321' },
      ports: [{ containerPort: 8080, hostPort: 0 }],
    }),
  );
  const rec = recorder(h);
  h.start();
  await waitFor(() => rec.lines().includes('listening'), 60_000, 'listening');
  const info = inspectContainer(h.containerId!)!;
  assert.equal(info.HostConfig.NetworkMode, 'bridge');
  assert.deepEqual(info.HostConfig.ExtraHosts, ['host.docker.internal:host-gateway']);
  assert.ok(info.Config.Env.includes('FLOWCTL_ENDPOINT=host.docker.internal:4321'));
  const port = await waitFor(() => {
    const r = spawnSyncText('docker', ['port', h.containerId!, '8080/tcp']);
    return r.split('\n').find((l) => l.trim())?.trim();
  }, 10_000, 'published port');
  assert.match(port, /^127\.0\.0\.1:\d+$/, 'published on loopback only');
  const body = await fetch(`http://${port}/`).then((r) => r.text());
  assert.equal(body, 'host.docker.internal:4321');
});

function spawnSyncText(cmd: string, args: string[]): string {
  return spawnSync(cmd, args, { encoding: 'utf8' }).stdout ?? '';
}

test('reapLeftovers: containers of a driver user killed with -9 are removed; those of a live one (and of another state folder) are left alone', async (t) => {
  const c = await setup(t);
  if (!c) return;
  const user = (stateDir: string) => {
    const child = spawn(process.execPath, [path.join(FIXTURES, 'docker', 'driver-user.js'), stateDir, c.images.base], { stdio: ['ignore', 'pipe', 'pipe'] });
    t.after(() => child.kill('SIGKILL'));
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const ready = waitFor(() => /ready ([0-9a-f]{64})/.exec(out)?.[1], 60_000, 'driver user ready').catch((err) => {
      throw new Error(`${(err as Error).message}; its output: ${out}`);
    });
    return { child, ready };
  };
  const otherHome = path.join(c.dir, 'other-home');
  t.after(() => removeScopedContainers(otherHome));
  const dead = user(c.stateDir);
  const live = user(c.stateDir);
  const stranger = user(otherHome);
  const [deadId, liveId, strangerId] = await Promise.all([dead.ready, live.ready, stranger.ready]);
  dead.child.kill('SIGKILL');
  stranger.child.kill('SIGKILL');
  await new Promise((r) => dead.child.once('exit', r));
  assert.equal(inspectContainer(deadId)?.State.Running, true, 'kill -9 of the runner leaves its container running');

  // In this same (live) process: a container of a driver instance that is still here stays; one whose
  // instance is gone (an earlier run of a long-lived process, e.g. the extension host) is a leftover.
  const sibling = new DockerDriver({ stateDir: c.stateDir, pull: 'never' });
  t.after(() => sibling.stopAll(0));
  const sib = sibling.create(c.spec('sibling', { command: node('proc/sleeper'), volumes: [fixturesMount] }));
  const sr = recorder(sib);
  sib.start();
  await sr.next('spawned');
  const orphanLabels = {
    [LABELS.managed]: 'true',
    [LABELS.scope]: c.driver.runner.scope,
    [LABELS.component]: 'orphan',
    [LABELS.runnerPid]: String(process.pid),
    [LABELS.runnerStart]: String(c.driver.runner.startTicks ?? ''),
    [LABELS.runnerNs]: c.driver.runner.ns,
    [LABELS.driver]: crypto.randomUUID(),
  };
  const orphan = spawnSyncText('docker', [
    'run', '--detach', '--init', '--pull', 'never',
    ...Object.entries(orphanLabels).flatMap(([k, v]) => ['--label', `${k}=${v}`]),
    c.images.base, 'node', '-e', 'setInterval(() => {}, 1000)',
  ]).trim();
  assert.match(orphan, /^[0-9a-f]{64}$/);

  const report = await c.driver.reapLeftovers(1_000);
  assert.deepEqual(
    report.reaped.map((r) => [r.id, r.containerId]).sort(),
    [['leftover', deadId], ['orphan', orphan]].sort(),
  );
  assert.equal(inspectContainer(orphan), undefined);
  assert.equal(inspectContainer(sib.containerId!)?.State.Running, true, "a live driver's container in this process is left alone");
  assert.deepEqual(report.skipped, []);
  assert.equal(inspectContainer(deadId), undefined, 'the leftover is removed');
  assert.equal(inspectContainer(liveId)?.State.Running, true, "a live runner's container is left alone");
  assert.equal(inspectContainer(strangerId)?.State.Running, true, "another state folder's container is left alone");
  live.child.kill('SIGKILL');
  await new Promise((r) => live.child.once('exit', r));
  const again = await c.driver.reapLeftovers(0);
  assert.deepEqual(again.reaped.map((r) => r.containerId), [liveId]);
  await sibling.stopAll(0);
  assert.equal(removeScopedContainers(otherHome), 1, "the other state folder's container (its runner was killed too)");
});

test('stopAll stops every container in parallel and leaves none of the run; killAll ends them at once', async (t) => {
  const c = await setup(t);
  if (!c) return;
  const hs = ['a', 'b', 'c'].map((id) => c.driver.create(c.spec(id, { command: node('proc/ignore-term'), volumes: [fixturesMount] })));
  const recs = hs.map(recorder);
  for (const h of hs) h.start();
  await Promise.all(recs.map((r) => r.next('spawned')));
  // Another driver with the same run id and component: its container name clashes and gets a suffix.
  const twin = new DockerDriver({ stateDir: c.stateDir, pull: 'never' });
  t.after(() => twin.stopAll(0));
  const tw = twin.create(c.spec('a', { command: node('proc/sleeper'), volumes: [fixturesMount] }));
  const tr = recorder(tw);
  tw.start();
  await tr.next('spawned');
  assert.match(inspectContainer(tw.containerId!)!.Name, new RegExp(`^/${inspectContainer(hs[0].containerId!)!.Name.slice(1)}-[0-9a-f]{6}$`));
  await twin.stopAll(5_000);
  assert.equal(scopedContainers(c.stateDir).length, 3);
  const t0 = Date.now();
  const stopping = c.driver.stopAll(30_000);
  await new Promise((r) => setTimeout(r, 500));
  c.driver.killAll();
  await stopping;
  assert.ok(Date.now() - t0 < 25_000, 'killAll cut the 30 s grace short');
  assert.deepEqual(scopedContainers(c.stateDir), []);
  for (const h of hs) assert.equal(h.state, 'stopped');
});

test('start failures: a mount source that does not exist fails the create (spawnError naming the image and docker\'s reason); a command missing from the image exits 127 with the init\'s message; stop() right after start() leaves no container', async (t) => {
  const c = await setup(t);
  if (!c) return;
  const badMount = c.driver.create(c.spec('bad-mount', { command: ['node', '-e', '0'], volumes: [{ hostPath: path.join(c.dir, 'missing'), containerPath: '/m' }] }));
  const rb = recorder(badMount);
  badMount.start();
  const err = await rb.next('spawnError');
  assert.match(err.message, new RegExp(`^docker could not create a container from image ${c.images.base.replace(/[/.]/g, '\\$&')}: .*bind source path does not exist`));
  assert.equal(badMount.state, 'exited');
  assert.ok(!rb.events.some((e) => e.type === 'spawned'));

  const noCmd = c.driver.create(c.spec('no-cmd', { command: ['no-such-program'] }));
  const rn = recorder(noCmd);
  noCmd.start();
  const exited = await rn.next('exited');
  assert.equal(exited.code, 127);
  assert.ok(rn.lines().some((l) => /exec no-such-program failed/.test(l)), rn.lines().join('\n'));

  const quick = c.driver.create(c.spec('quick', { command: node('proc/sleeper'), volumes: [fixturesMount] }));
  const rq = recorder(quick);
  quick.start();
  await quick.stop(1_000);
  assert.equal(quick.state, 'stopped');
  assert.ok(rq.events.some((e) => e.type === 'stopped'));
  await waitFor(() => scopedContainers(c.stateDir).length === 0, 30_000, 'no container left');
});
