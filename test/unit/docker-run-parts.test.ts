// The runner's container parts that need no engine: the black-box env of spec.pipelines containers,
// the leftover records of drivers (which runner is dead), validation with the drivers' rules (one
// finding per problem, container commands not looked up on this machine, no engine asked).
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { blackBoxEnv, componentEnv } from '../../src/core/drivers/factory';
import { deadRecords, recordFile, removeRecord, writeRecord } from '../../src/core/drivers/dockerRecord';
import { processStartTime } from '../../src/core/supervisor/procfs';
import { parsePipeline } from '../../src/core/pipeline/load';
import { makeTempDir, removeTempDir } from '../helpers/paths';

test('a spec.pipelines container gets only its own env; FLOWCTL_ENDPOINT is added when it enables flowctl without naming one (flowctl\'s rule)', async () => {
  const on = blackBoxEnv({ id: 'p', env: { ENABLE_FLOWCTL: 'TRUE', A: 1 as unknown as string }, config: { batchSize: 5 } }, { endpoint: '127.0.0.1:9', extraEnv: { X: 'y' } });
  assert.deepEqual(on, { X: 'y', BATCH_SIZE: '5', ENABLE_FLOWCTL: 'TRUE', A: '1', FLOWCTL_ENDPOINT: '127.0.0.1:9' });
  const own = blackBoxEnv({ id: 'p', env: { ENABLE_FLOWCTL: 'true', FLOWCTL_ENDPOINT: 'cp:8080' } }, { endpoint: '127.0.0.1:9' });
  assert.equal(own.FLOWCTL_ENDPOINT, 'cp:8080', 'its own endpoint is kept');
  const off = blackBoxEnv({ id: 'p', env: { ENABLE_FLOWCTL: 'false' } }, { endpoint: '127.0.0.1:9' });
  assert.equal(off.FLOWCTL_ENDPOINT, undefined);
  assert.deepEqual(blackBoxEnv({ id: 'p' }, { endpoint: '127.0.0.1:9' }), {});
  // Through the seam: a pipeline-role container is a black box; other containers get the whole contract, without the host env.
  const viaSeam = await componentEnv('docker', { id: 'p', role: 'pipeline', env: { ENABLE_FLOWCTL: 'true' } }, { endpoint: '127.0.0.1:9' });
  assert.deepEqual(viaSeam, { ENABLE_FLOWCTL: 'true', FLOWCTL_ENDPOINT: '127.0.0.1:9' });
  const contract = await componentEnv('docker', { id: 's', role: 'source', healthPort: 8088 }, { endpoint: '127.0.0.1:9' });
  assert.equal(contract.FLOWCTL_COMPONENT_ID, 's');
  assert.equal(contract.HEALTH_PORT, '8088');
  assert.equal(contract.PATH, undefined, 'no host PATH in a container');
  const processEnv = await componentEnv('process', { id: 's', role: 'source', healthPort: 8088 }, { endpoint: '127.0.0.1:9' });
  assert.equal(processEnv.PATH, process.env.PATH, 'a process inherits the host env');
});

test('leftover records: private, found only when their runner is dead or its pid was reused; never this process\'s', (t) => {
  const home = makeTempDir('flowctl-records-');
  t.after(() => removeTempDir(home));
  const mine = writeRecord(home, { version: 1, runnerPid: process.pid, runnerStartTicks: processStartTime(process.pid), instance: 'aaaa-1111', createdAt: '' });
  assert.equal(mine, recordFile(home, process.pid, 'aaaa-1111'));
  assert.equal(fs.statSync(mine).mode & 0o777, 0o600);
  assert.equal(fs.statSync(path.dirname(mine)).mode & 0o777, 0o700);
  // A dead runner (a child that has exited), a live one with its start time, the same live pid with another start time.
  const gone = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' });
  const deadPid = Number(gone.stdout.trim());
  const dead = writeRecord(home, { version: 1, runnerPid: deadPid, instance: 'bbbb-2222', createdAt: '' });
  const live = writeRecord(home, { version: 1, runnerPid: process.ppid, runnerStartTicks: processStartTime(process.ppid), instance: 'cccc-3333', createdAt: '' });
  const reused = writeRecord(home, { version: 1, runnerPid: process.ppid, runnerStartTicks: (processStartTime(process.ppid) ?? 0) + 1, instance: 'dddd-4444', createdAt: '' });
  // A torn record of a dead pid is still found (by the pid in its name); a stranger's file is ignored.
  const torn = recordFile(home, deadPid, 'eeee-5555');
  fs.writeFileSync(torn, '{"vers');
  fs.writeFileSync(path.join(path.dirname(mine), `${deadPid}-x.jsonl`), '');
  assert.deepEqual(deadRecords(home).sort(), [dead, reused, torn].sort());
  assert.ok(!deadRecords(home).includes(live) && !deadRecords(home).includes(mine));
  for (const f of [dead, reused, torn]) removeRecord(f);
  assert.deepEqual(deadRecords(home), []);
  assert.deepEqual(deadRecords(path.join(home, 'nowhere')), [], 'no runs folder: nothing');
});

function validate(yaml: string, orchestrator?: string) {
  // (The pipeline's shape — no processors, no sinks — is not what these cases are about.)
  return parsePipeline(yaml, '/p/flow.yml', { orchestrator })
    .diagnostics.filter((d) => d.code !== 'no-processors' && d.code !== 'no-sinks')
    .map((d) => [d.severity, d.code, d.line, d.column] as const);
}

const HEAD = 'apiVersion: flowctl/v1\nkind: Pipeline\nmetadata: { name: t }\nspec:\n';

test('validation with the drivers\' rules: no engine is asked, one finding per problem, a container\'s command is not looked up here', () => {
  // An image-only component: fine (a container); its command-less spec is not an error any more.
  assert.deepEqual(validate(`${HEAD}  sources:\n    - id: s\n      image: org/s:1\n`), []);
  // In docker mode a component's command runs inside its image: not looked up on this machine.
  const inImage = `${HEAD}  driver: docker\n  sources:\n    - id: s\n      image: org/s:1\n      command: [/app/not-here]\n`;
  assert.deepEqual(validate(inImage), []);
  assert.deepEqual(validate(inImage, 'process'), [['warning', 'command-not-found', 9, 17]], 'as a process, its command must exist here');
  // Volumes of a process component: one warning (validation's own), not two.
  const vols = `${HEAD}  sources:\n    - id: s\n      command: [node]\n      volumes:\n        - { host_path: ./d, container_path: /d }\n`;
  assert.deepEqual(validate(vols), [['warning', 'volumes-ignored', 8, 7]]);
  assert.deepEqual(validate(vols.replace('command: [node]', 'command: [node]\n      image: org/s:1'), 'docker'), [], 'as a container they are mounted');
  // Ports with host networking: a hint (flowctl files list them for other orchestrators), at the port.
  assert.deepEqual(validate(`${HEAD}  sources:\n    - id: s\n      image: org/s:1\n      ports:\n        - { containerPort: 80 }\n`), [['hint', 'ports-host-network', 9, 11]]);
  // A container problem is an error at its place; an unknown driver is one error (not also "not run here").
  assert.deepEqual(validate(`${HEAD}  sources:\n    - id: s\n      image: "a b"\n`), [['error', 'image-reference', 7, 14]]);
  assert.deepEqual(validate(`${HEAD}  driver: swarm\n  sources:\n    - id: s\n      command: [node]\n`), [['error', 'driver', 5, 11]]);
  assert.deepEqual(validate(`${HEAD}  driver: nomad\n  sources:\n    - id: s\n      command: [node]\n`), [['warning', 'driver-unsupported', 5, 11]]);
});
