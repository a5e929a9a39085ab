// The pure parts of the docker driver: image references, the env plan (values never in argv), mount and
// port arguments, names, labels and the whole `docker create` command line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  LABELS,
  bridgeEndpoint,
  containerEnvironment,
  containerName,
  envFileText,
  expandHostPath,
  imageReferenceProblem,
  mountArg,
  planEnv,
  publishArg,
  runArgs,
  scopeOf,
} from '../../src/core/drivers/dockerArgs';
import { cliErrorText } from '../../src/core/drivers/dockerCli';
import type { ComponentRunSpec } from '../../src/core/drivers/types';

test('image references: docker\'s grammar accepted, flags / spaces / capitals / garbage refused with a reason', () => {
  for (const ok of [
    'alpine',
    'alpine:3.20',
    'docker.io/withobsrvr/stellar-live-source-datalake:latest',
    'localhost:5000/a/b_c__d-e:1.0',
    'ghcr.io/org/x@sha256:' + 'a'.repeat(64),
    'flowctl-test/demo:4ba4d914de5c758f',
    'Registry.Example.com/org/x:TAG',
  ]) {
    assert.equal(imageReferenceProblem(ok), undefined, ok);
  }
  assert.equal(imageReferenceProblem(''), 'the image is empty');
  assert.match(imageReferenceProblem('--privileged')!, /starts with "-"/);
  assert.match(imageReferenceProblem('a b')!, /contains whitespace/);
  assert.match(imageReferenceProblem('Org/Name:1')!, /must be lowercase/);
  assert.match(imageReferenceProblem('x::1')!, /not a valid image reference/);
  assert.match(imageReferenceProblem('a'.repeat(600))!, /longer than 512/);
});

test('env plan: names the docker CLI reads itself go to an env file, the rest by name only; bad names and NULs are refused', () => {
  const plan = planEnv({ SECRET: 'p@ss word=1', MULTI: 'a\nb', HOME: '/data', DOCKER_HOST: 'tcp://x', 'BAD=NAME': '1', NUL: 'a\0b' });
  assert.deepEqual(plan.inherit, { SECRET: 'p@ss word=1', MULTI: 'a\nb' });
  assert.deepEqual(plan.file, { HOME: '/data', DOCKER_HOST: 'tcp://x' });
  assert.equal(plan.problems.length, 2);
  assert.match(plan.problems.join('\n'), /"BAD=NAME" is not valid/);
  assert.match(plan.problems.join('\n'), /NUL has a NUL byte/);
  assert.match(planEnv({ PATH: 'a\nb' }).problems[0], /PATH cannot hold a line break/);
  assert.equal(envFileText({ A: '1', B: ' x=y ' }), 'A=1\nB= x=y \n');
});

test('mount and publish arguments: CSV-quoted when a path holds a comma or quote; ports published on loopback only', () => {
  assert.equal(mountArg({ hostPath: '/h/data', containerPath: '/data' }), 'type=bind,source=/h/data,target=/data');
  assert.equal(mountArg({ hostPath: '/h/a,b', containerPath: '/x "y"', readonly: true }), 'type=bind,"source=/h/a,b","target=/x ""y""",readonly');
  assert.equal(publishArg({ containerPort: 8080 }), '127.0.0.1:8080:8080/tcp');
  assert.equal(publishArg({ containerPort: 53, hostPort: 5353, protocol: 'udp' }), '127.0.0.1:5353:53/udp');
});

test('bridge endpoint: a loopback control plane is reached through host.docker.internal; other endpoints stay', () => {
  assert.equal(bridgeEndpoint('127.0.0.1:8080'), 'host.docker.internal:8080');
  assert.equal(bridgeEndpoint('localhost:9'), 'host.docker.internal:9');
  assert.equal(bridgeEndpoint('[::1]:7'), 'host.docker.internal:7');
  assert.equal(bridgeEndpoint('cp.example:8080'), 'cp.example:8080');
  assert.deepEqual(containerEnvironment({ env: { FLOWCTL_ENDPOINT: '127.0.0.1:5', A: '1' }, network: 'bridge' }), { FLOWCTL_ENDPOINT: 'host.docker.internal:5', A: '1' });
  assert.deepEqual(containerEnvironment({ env: { FLOWCTL_ENDPOINT: '127.0.0.1:5' } }), { FLOWCTL_ENDPOINT: '127.0.0.1:5' }, 'host networking keeps loopback');
  assert.deepEqual(containerEnvironment({ env: { PORT: ':7000' }, network: 'bridge' }), { PORT: '0.0.0.0:7000' }, 'bridge: a PORT without a host listens on the container\'s interface');
  assert.deepEqual(containerEnvironment({ env: { PORT: '127.0.0.2:7000' }, network: 'bridge' }), { PORT: '127.0.0.2:7000' }, 'a PORT that names its host is kept');
  assert.deepEqual(containerEnvironment({ env: { PORT: ':7000' } }), { PORT: ':7000' }, 'host networking: loopback is right');
  // With the control plane's socket mounted, a loopback endpoint becomes that socket; a remote one stays.
  const sock = { network: 'bridge' as const, controlSocket: '/tmp/flowctl-cp-x/control.sock' };
  assert.deepEqual(containerEnvironment({ env: { FLOWCTL_ENDPOINT: '127.0.0.1:5' }, ...sock }), { FLOWCTL_ENDPOINT: 'unix:///run/flowctl/control.sock' });
  assert.deepEqual(containerEnvironment({ env: { FLOWCTL_ENDPOINT: 'cp.example:5' }, ...sock }), { FLOWCTL_ENDPOINT: 'cp.example:5' });
  assert.deepEqual(containerEnvironment({ env: { FLOWCTL_ENDPOINT: '127.0.0.1:5' }, controlSocket: sock.controlSocket }), { FLOWCTL_ENDPOINT: '127.0.0.1:5' }, 'host networking needs no socket');
});

test('host paths: $HOME, ${HOME}, ~, $PWD expanded, relative resolved against the pipeline folder, $HOMEX left alone', () => {
  assert.equal(expandHostPath('$HOME/a', '/p', '/home/u'), '/home/u/a');
  assert.equal(expandHostPath('${PWD}/b', '/p', '/home/u'), '/p/b');
  assert.equal(expandHostPath('~', '/p', '/home/u'), '/home/u');
  assert.equal(expandHostPath('c/../d', '/p', '/home/u'), '/p/d');
  assert.equal(expandHostPath('$HOMEX', '/p', '/home/u'), '/p/$HOMEX');
});

test('container names are valid docker names, recognisable, bounded', () => {
  assert.equal(containerName({ pipeline: 'Demo Trades', id: 'jsonl-sink', runId: '0b5e2c1d-aaaa-bbbb' }, 2), 'flowctl-demo-trades-jsonl-sink-0b5e2c1d-2');
  const long = containerName({ pipeline: 'p'.repeat(300), id: '___x/y'.repeat(50), runId: 'r' }, 1);
  assert.ok(long.length < 128, long);
  assert.match(long, /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/);
  assert.equal(scopeOf('/a/b'), scopeOf('/a/b/'));
  assert.notEqual(scopeOf('/a/b'), scopeOf('/a/c'));
});

test('docker create arguments: labels, restart policy off, init, no pull, host network, env by name only, command → entrypoint + cmd, "--" before the image', () => {
  const spec: ComponentRunSpec = {
    id: 'enrich',
    runId: 'run-1',
    pipeline: 'demo',
    image: 'flowctl-test/demo:1',
    command: ['node', '/app/enrich.js'],
    args: ['--fast'],
    cwd: '/p',
    env: { SECRET: 'hunter2', HOME: '/root' },
    volumes: [{ hostPath: '/h', containerPath: '/d', readonly: true }],
    ports: [{ containerPort: 1 }],
  };
  const plan = planEnv(spec.env);
  const args = runArgs({ spec, attempt: 3, runner: { pid: 42, startTicks: 99, ns: 'h/b/1', scope: 's', instance: 'i-1' }, cidFile: '/t/c', envFile: '/t/e', envPlan: plan });
  const joined = args.join(' ');
  assert.ok(!joined.includes('hunter2') && !joined.includes('/root'), 'no env value on the command line');
  const labels = Object.fromEntries(args.flatMap((a, i) => (args[i - 1] === '--label' ? [a.split(/=(.*)/s).slice(0, 2)] : [])));
  assert.deepEqual(labels, {
    [LABELS.managed]: 'true',
    [LABELS.run]: 'run-1',
    [LABELS.pipeline]: 'demo',
    [LABELS.component]: 'enrich',
    [LABELS.attempt]: '3',
    [LABELS.runnerPid]: '42',
    [LABELS.runnerStart]: '99',
    [LABELS.runnerNs]: 'h/b/1',
    [LABELS.scope]: 's',
    [LABELS.driver]: 'i-1',
  });
  const after = (flag: string) => args[args.indexOf(flag) + 1];
  assert.equal(after('--restart'), 'no');
  assert.equal(after('--pull'), 'never');
  assert.equal(after('--network'), 'host');
  assert.equal(after('--entrypoint'), 'node');
  assert.equal(after('--env-file'), '/t/e');
  assert.equal(after('--env'), 'SECRET');
  assert.equal(after('--mount'), 'type=bind,source=/h,target=/d,readonly');
  assert.equal(args[0], 'create');
  assert.ok(args.includes('--init'));
  assert.ok(!args.includes('--publish'), 'ports are not published with host networking');
  assert.ok(!args.includes('--add-host'));
  assert.deepEqual(args.slice(args.indexOf('--')), ['--', 'flowctl-test/demo:1', '/app/enrich.js', '--fast']);

  const bridged = runArgs({ spec: { ...spec, network: 'bridge', command: undefined }, attempt: 1, runner: { pid: 1, ns: '', scope: '' }, cidFile: '/c', envPlan: planEnv({}) });
  assert.equal(bridged[bridged.indexOf('--network') + 1], 'bridge');
  assert.equal(bridged[bridged.indexOf('--add-host') + 1], 'host.docker.internal:host-gateway');
  assert.equal(bridged[bridged.indexOf('--publish') + 1], '127.0.0.1:1:1/tcp');
  assert.ok(!bridged.includes('--entrypoint'));
  assert.ok(!bridged.includes('/run/flowctl/control.sock'), 'no socket mount when the runner gives none');
  const withSocket = runArgs({ spec: { ...spec, network: 'bridge', controlSocket: '/tmp/s, x/control.sock' }, attempt: 1, runner: { pid: 1, ns: '', scope: '' }, cidFile: '/c', envPlan: planEnv({}) });
  assert.ok(withSocket.includes('type=bind,"source=/tmp/s, x/control.sock",target=/run/flowctl/control.sock'), withSocket.join(' '));
  const hostWithSocket = runArgs({ spec: { ...spec, controlSocket: '/tmp/s/control.sock' }, attempt: 1, runner: { pid: 1, ns: '', scope: '' }, cidFile: '/c', envPlan: planEnv({}) });
  assert.ok(!hostWithSocket.join(' ').includes('control.sock'), 'host networking mounts no socket');
  assert.deepEqual(bridged.slice(bridged.indexOf('--')), ['--', 'flowctl-test/demo:1', '--fast'], 'args alone become the image command');
});

test('CLI errors: one line, without "docker: " / "Error response from daemon: " / the --help footer', () => {
  assert.equal(
    cliErrorText({ exitCode: 125, stderr: "docker: Error response from daemon: No such image: x:1.\nSee 'docker run --help'." }),
    'No such image: x:1.',
  );
  assert.equal(cliErrorText({ exitCode: 1, stderr: '' }), 'docker exited with code 1');
  assert.equal(cliErrorText({ exitCode: -1, stderr: '', notFound: true }), 'the docker command was not found');
});
