// Driver selection: which components run as containers, from spec.driver / --orchestrator, with each
// problem at its place in the file; and the volumes/ports a container gets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePipeline } from '../../src/core/pipeline/index';
import { containerMounts, containerPorts, modeOf, orchestratorFlagProblem, selectDrivers } from '../../src/core/drivers/select';

const parse = (yaml: string) => {
  const r = parsePipeline(yaml, '/p/flow.yml', { checkCommands: false, orchestrator: 'container' });
  assert.ok(r.pipeline, JSON.stringify(r.diagnostics));
  return r.pipeline!;
};

const MIXED = `apiVersion: flowctl/v1
kind: Pipeline
metadata: {name: mixed}
spec:
  sources:
    - id: src
      command: [node, src.js]
  processors:
    - id: proc
      image: flowctl-test/demo:1
      inputs: [src]
    - id: both
      image: flowctl-test/demo:1
      command: [node, /app/enrich.js]
      inputs: [proc]
  sinks:
    - id: sink
      command: [node, sink.js]
      inputs: [both]
  pipelines:
    - id: black-box
      image: org/whole-pipeline:2
`;

test('process mode (default): image without command → container, command → process (mixed pipeline); pipelines entries are black-box containers', () => {
  const s = selectDrivers(parse(MIXED));
  assert.equal(s.mode, 'process');
  assert.equal(s.modeFrom, 'default');
  assert.deepEqual(Object.fromEntries(s.drivers), { src: 'process', proc: 'docker', both: 'process', sink: 'process', 'black-box': 'docker' });
  assert.deepEqual(s.containers, ['proc', 'black-box']);
  assert.deepEqual(s.diagnostics.filter((d) => d.severity === 'error'), []);
});

test('docker mode from spec.driver (docker or container) or --orchestrator: every component with an image is a container; --orchestrator wins over spec.driver', () => {
  for (const driver of ['docker', 'container']) {
    const s = selectDrivers(parse(MIXED.replace('spec:\n', `spec:\n  driver: ${driver}\n`)));
    assert.equal(s.mode, 'docker');
    assert.equal(s.modeFrom, 'spec.driver');
    assert.deepEqual(Object.fromEntries(s.drivers), { src: 'process', proc: 'docker', both: 'docker', sink: 'process', 'black-box': 'docker' });
  }
  const flagged = selectDrivers(parse(MIXED), { orchestrator: 'docker' });
  assert.equal(flagged.modeFrom, 'flag');
  assert.equal(flagged.drivers.get('both'), 'docker');
  const back = selectDrivers(parse(MIXED.replace('spec:\n', 'spec:\n  driver: docker\n')), { orchestrator: 'process' });
  assert.equal(back.mode, 'process');
  assert.equal(back.drivers.get('both'), 'process');
  assert.equal(back.drivers.get('proc'), 'docker', 'an image-only component runs as a container in any mode');
});

test('orchestrator values: process/local/docker/container, anything else is flowctl\'s "unknown orchestrator type"', () => {
  assert.equal(modeOf('local'), 'process');
  assert.equal(modeOf('Container'), 'docker');
  assert.equal(modeOf(undefined), 'process');
  assert.equal(modeOf('kubernetes'), undefined);
  assert.equal(orchestratorFlagProblem('docker'), undefined);
  assert.match(orchestratorFlagProblem('k8s')!, /^unknown orchestrator type: k8s \(use process or docker/);
});

test('spec.driver kubernetes is not run here: a warning at spec.driver, components chosen as in process mode', () => {
  const s = selectDrivers(parse(MIXED.replace('spec:\n', 'spec:\n  driver: kubernetes\n')));
  const w = s.diagnostics.find((d) => d.code === 'driver-unsupported');
  assert.ok(w);
  assert.equal(w.severity, 'warning');
  assert.deepEqual([w.line, w.column], [5, 11]);
  assert.equal(s.mode, 'process');
});

test('problems of container components come with file:line:column: bad image reference, volumes without host_path / with a relative container_path, ports on host networking, nothing to run', () => {
  const yaml = `apiVersion: flowctl/v1
kind: Pipeline
metadata: {name: bad}
spec:
  driver: docker
  sources:
    - id: a
      image: "Bad Image"
    - id: b
      image: org/b:1
      volumes:
        - name: cache
          container_path: /cache
        - host_path: ./data
          container_path: data
      ports:
        - containerPort: 8080
    - id: c
      type: stellar-live-source@v1.0.0
`;
  const s = selectDrivers(parse(yaml));
  const by = (code: string) => s.diagnostics.filter((d) => d.code === code).map((d) => [d.severity, d.line, d.column, d.message]);
  assert.deepEqual(by('image-reference'), [['error', 8, 14, 'a: image "Bad Image" contains whitespace']]);
  assert.deepEqual(by('volume-host-path'), [['error', 12, 11, 'b: volume "cache" has no host_path; only host folders and files can be mounted']]);
  assert.deepEqual(by('volume-container-path'), [['error', 15, 27, 'b: container_path "data" must be an absolute path']]);
  assert.deepEqual(by('ports-host-network').map((x) => [x[0], x[1], x[2]]), [['hint', 17, 11]]);
  assert.deepEqual(by('nothing-to-run'), [['error', 19, 13, 'source c has nothing to run (registry component stellar-live-source@v1.0.0, no command and no image)']]);
  assert.equal(s.drivers.has('c'), false);
  // In bridge mode the port is published instead, and only TCP/UDP ones.
  const bridged = selectDrivers(parse(yaml), { network: 'bridge' });
  assert.equal(bridged.diagnostics.some((d) => d.code === 'ports-host-network'), false);
});

test('volumes and ports of a process component are ignored, with a warning that says how to run it as a container', () => {
  const yaml = `apiVersion: flowctl/v1
kind: Pipeline
metadata: {name: p}
spec:
  sources:
    - id: a
      image: org/a:1
      command: [./a]
      volumes:
        - host_path: ./x
          container_path: /x
`;
  const w = selectDrivers(parse(yaml)).diagnostics.find((d) => d.code === 'volumes-process');
  assert.ok(w);
  assert.deepEqual([w.severity, w.line, w.column], ['warning', 10, 9]);
  assert.match(w.hint!, /--orchestrator docker/);
});

test('containerMounts expands $HOME, ${HOME}, ~, $PWD and relative host paths; secrets of type file/dir mount read-only; containerPorts lower-cases protocols', () => {
  const yaml = `apiVersion: flowctl/v1
kind: Pipeline
metadata: {name: m}
spec:
  driver: docker
  sources:
    - id: a
      image: org/a:1
      volumes:
        - {host_path: $HOME/cache, container_path: /cache}
        - {host_path: "\${HOME}/x", container_path: /x, readonly: true}
        - {host_path: ~/y, mountPath: /y/}
        - {host_path: $PWD/data, container_path: /data}
        - {host_path: ./rel, container_path: /rel}
        - {host_path: /abs, container_path: /abs}
        - {host_path: $HOMEDIR/z, container_path: /z}
      secrets:
        - {name: creds, host_path: ./creds.json, container_path: /run/creds.json, type: file}
        - {name: token, env: TOKEN, type: env}
      ports:
        - {containerPort: 8080, protocol: TCP}
        - {containerPort: 53, hostPort: 5353, protocol: UDP}
        - {containerPort: 9, protocol: SCTP}
`;
  const c = parse(yaml).spec.sources[0];
  assert.deepEqual(containerMounts(c, '/work/pipe', '/home/u'), [
    { hostPath: '/home/u/cache', containerPath: '/cache', readonly: false },
    { hostPath: '/home/u/x', containerPath: '/x', readonly: true },
    { hostPath: '/home/u/y', containerPath: '/y/', readonly: false },
    { hostPath: '/work/pipe/data', containerPath: '/data', readonly: false },
    { hostPath: '/work/pipe/rel', containerPath: '/rel', readonly: false },
    { hostPath: '/abs', containerPath: '/abs', readonly: false },
    { hostPath: '/work/pipe/$HOMEDIR/z', containerPath: '/z', readonly: false },
    { hostPath: '/work/pipe/creds.json', containerPath: '/run/creds.json', readonly: true },
  ]);
  assert.deepEqual(containerPorts(c), [
    { containerPort: 8080, protocol: 'tcp' },
    { containerPort: 53, hostPort: 5353, protocol: 'udp' },
  ]);
});
