// A component started by hand joins a run only when the run's owner allows it, at run time
// (PipelineRunner.allowExternal: what the extension's "Let This Component Join When Started by Hand"
// calls): a real run (createRunner, embedded control plane with the run's access rules), a real
// process outside the run (cp-caller) registering over a real socket.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { createRunner } from '../../src/core/runner';
import { ControlPlaneServer } from '../../src/core/controlplane/server';
import { Caller, type Answer } from '../helpers/cpHost';
import { componentInfo } from '../helpers/grpc';
import { node, runEnv, writePipeline } from './run-helpers';

function pipeline(name: string): string {
  return `apiVersion: flowctl/v1
kind: Pipeline
metadata:
  name: ${name}
spec:
  sources:
    - id: src
      command: ${node('components/count-source.js')}
      env: { RATE: "5" }
  sinks:
    - id: sink
      command: ${node('components/record-sink.js')}
      inputs: [src]
      env: { OUTPUT_FILE: "${name}.jsonl" }
`;
}

function code(a: Answer): string {
  return a.ok ? 'OK' : grpc.status[a.code]!;
}

test('an outside process may register a component id only while the owner allows it; bad ids and external control planes are clear errors', async (t) => {
  const env = runEnv(t, 'flowctl-allow-');
  const file = writePipeline(env.dir, pipeline('allow-test'));
  const runner = createRunner({ file, port: 0, noPersistence: true, stateDir: env.home, logDir: `${env.dir}/logs`, env: { FLOWCTL_TEST_MARKER: env.marker } });
  assert.throws(() => runner.allowExternal('sink'), /no control plane yet/);
  t.after(() => runner.stop());
  await runner.start();
  const outsider = await Caller.start(runner.snapshot().endpoint!);
  t.after(() => outsider.close());

  const register = () => outsider.call('v1', 'RegisterComponent', { component: componentInfo('debugged', 3) });
  const refused = await register();
  assert.equal(code(refused), 'PERMISSION_DENIED');
  assert.match(refused.ok ? '' : refused.details, /not part of this run.*--allow-external/);

  assert.deepEqual(runner.allowExternal('debugged'), ['debugged']);
  assert.equal(code(await register()), 'OK');
  assert.equal(code(await outsider.call('v1', 'Heartbeat', { service_id: 'debugged' })), 'OK');

  assert.deepEqual(runner.allowExternal('debugged', false), []);
  assert.equal(code(await outsider.call('v1', 'Heartbeat', { service_id: 'debugged' })), 'PERMISSION_DENIED');
  assert.equal(code(await outsider.call('v1', 'RegisterComponent', { component: componentInfo('src', 1) })), 'PERMISSION_DENIED', 'the run\'s ids stay its own');

  assert.throws(() => runner.allowExternal(''), /invalid component id/);
  assert.throws(() => runner.allowExternal('a b'), /invalid component id/);
  assert.throws(() => runner.allowExternal('x'.repeat(300)), /invalid component id/);
  assert.equal(runner.snapshot().state, 'running');

  // A run on a control plane that runs elsewhere: that one's rules apply, so there is nothing to allow here.
  const external = await ControlPlaneServer.start({ address: '127.0.0.1', port: 0 });
  t.after(() => external.stop({ graceMs: 100 }));
  const other = createRunner({
    file: writePipeline(env.dir, pipeline('allow-external-cp'), 'other.yml'),
    useExternalControlPlane: true,
    address: '127.0.0.1',
    port: external.port,
    stateDir: env.home,
    logDir: `${env.dir}/logs2`,
    env: { FLOWCTL_TEST_MARKER: env.marker },
  });
  t.after(() => other.stop());
  await other.start();
  assert.throws(() => other.allowExternal('debugged'), /--use-external-control-plane\): its own rules decide/);
});
