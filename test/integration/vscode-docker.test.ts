// Container components in a real VS Code extension host (code-server, test/vscode/host.ts): builds the
// test images (scripts/docker-test-images.sh, never a pull), writes a pipeline with one container and one
// process, and runs only the in-host suite test/vscode/suite/containers.test.ts against it. Whatever the
// host did, nothing of this pipeline (its unique name label) is left on the shared engine.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT, codeServerBin, runInHost } from '../vscode/host';
import { requireDocker } from '../helpers/docker';
import { LABELS } from '../../src/core/drivers/dockerArgs';

const skip = !codeServerBin() && !process.env.CI ? 'code-server is not installed (run `bash scripts/install-test-deps.sh`); required when CI is set' : false;

function containersOf(pipeline: string): string[] {
  const r = spawnSync('docker', ['ps', '--all', '--quiet', '--filter', `label=${LABELS.managed}=true`, '--filter', `label=${LABELS.pipeline}=${pipeline}`], {
    encoding: 'utf8',
  });
  return r.stdout.split('\n').filter(Boolean);
}

test('container components in the extension: the tree shows image and container, restart replaces it, stop removes it', { skip, timeout: 600_000 }, async (t) => {
  const images = await requireDocker(t);
  if (!images) return;
  const entry = path.join(REPO_ROOT, 'out', 'vscode', 'suite', 'index.js');
  assert.ok(fs.existsSync(entry), `${entry} is built (node esbuild.mjs --tests)`);
  const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'fvh-docker-'));
  const name = `vscode-containers-${crypto.randomBytes(4).toString('hex')}`;
  t.after(() => {
    const left = containersOf(name);
    if (left.length) spawnSync('docker', ['rm', '--force', '--volumes', ...left], { stdio: 'ignore' });
    fs.rmSync(workspace, { recursive: true, force: true });
  });
  const file = path.join(workspace, 'flow.yml');
  fs.writeFileSync(
    file,
    [
      'apiVersion: flowctl/v1',
      'kind: Pipeline',
      `metadata: { name: ${name} }`,
      'spec:',
      '  sources:',
      '    - id: ticker',
      `      image: ${images.demo}`,
      '      env: { RATE: "20" }',
      '  sinks:',
      '    - id: counter-sink',
      `      command: ["node", ${JSON.stringify(path.join(REPO_ROOT, 'dist', 'examples', 'demo', 'components', 'counter-sink.js'))}]`,
      '      inputs: [ticker]',
      '',
    ].join('\n'),
  );
  const result = await runInHost({
    workspace,
    extensionDevelopmentPath: REPO_ROOT,
    testsEntry: entry,
    timeoutMs: 540_000,
    name: 'vscode-docker',
    // A container's engine start comes before its registration: generous on a loaded shared machine.
    settings: { 'flowctl.registrationTimeout': 240 },
    env: { FLOWCTL_VSCODE_GREP: 'container components', FLOWCTL_DOCKER_PIPELINE: file },
  });
  const hostLines = result.logs.filter((l) => l.includes('[host '));
  assert.equal(result.exitCode, 0, `mocha inside the extension host failed; host log:\n${hostLines.join('\n')}`);
  assert.ok(hostLines.some((l) => /\b1 passing\b/.test(l)), `the container test ran in the host:\n${hostLines.join('\n')}`);
  assert.deepEqual(containersOf(name), [], 'no container of the pipeline is left');
});
