// "Deploy to Swarm" in a real VS Code extension host (code-server, test/vscode/host.ts): reuses the images
// deploy-swarm.test.ts builds (same tags: scripts/docker-test-images.sh and flowctlTestImage, built once
// per content), makes a single-node swarm when the engine is in none (and leaves it afterwards — only
// then: the engine is shared), writes the demo pipeline and runs only the in-host suite
// test/vscode/suite/swarm.test.ts against it. Whatever the host did, nothing of its stack is left.
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT, codeServerBin, freePort, runInHost } from '../vscode/host';
import { requireDocker } from '../helpers/docker';
import { ensureSwarm, flowctlTestImage, removeStack, stackRemains } from '../helpers/swarm';

const skip = !codeServerBin() && !process.env.CI ? 'code-server is not installed (run `bash scripts/install-test-deps.sh`); required when CI is set' : false;

test('Deploy to Swarm in the extension: progress, the hub in the Services view with every component healthy, Remove from Swarm leaves nothing', { skip, timeout: 900_000 }, async (t) => {
  const images = await requireDocker(t);
  if (!images) return;
  const entry = path.join(REPO_ROOT, 'out', 'vscode', 'suite', 'index.js');
  assert.ok(fs.existsSync(entry), `${entry} is built (node esbuild.mjs --tests)`);
  const hubImage = flowctlTestImage(images.base);
  const leave = ensureSwarm();
  const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'fvh-swarm-'));
  const stack = `fvs-${crypto.randomBytes(3).toString('hex')}`;
  t.after(() => {
    removeStack(stack);
    leave();
    fs.rmSync(workspace, { recursive: true, force: true });
  });
  const file = path.join(workspace, 'flow.yml');
  fs.writeFileSync(
    file,
    [
      'apiVersion: flowctl/v1',
      'kind: Pipeline',
      'metadata:',
      '  name: swarm-demo',
      'spec:',
      '  sources:',
      '    - id: ticker',
      `      image: ${images.demo}`,
      '      command: [node, /app/ticker.js]',
      '      env: {RATE: "20"}',
      '  processors:',
      '    - id: enrich',
      `      image: ${images.demo}`,
      '      command: [node, /app/enrich.js]',
      '      inputs: [ticker]',
      '      env: {MIN_QTY: "0", FLOWCTL_HEARTBEAT_INTERVAL_MS: "1000"}',
      '  sinks:',
      '    - id: counter',
      `      image: ${images.demo}`,
      '      command: [node, /app/counter-sink.js]',
      '      inputs: [enrich]',
      '      env: {FLOWCTL_HEARTBEAT_INTERVAL_MS: "1000"}',
      '',
    ].join('\n'),
  );
  const hubPort = await freePort();
  const started = Date.now();
  const result = await runInHost({
    workspace,
    extensionDevelopmentPath: REPO_ROOT,
    testsEntry: entry,
    timeoutMs: 600_000,
    name: 'vscode-swarm',
    settings: {
      'flowctl.deploy.hubImage': hubImage,
      'flowctl.deploy.hubPort': hubPort,
      'flowctl.deploy.waitSeconds': 240,
      // The images exist only on this engine: no registry lookup.
      'flowctl.deploy.resolveImage': 'never',
    },
    env: { FLOWCTL_VSCODE_GREP: 'Deploy to Swarm', FLOWCTL_SWARM_PIPELINE: file, FLOWCTL_SWARM_STACK: stack },
  });
  const hostLines = result.logs.filter((l) => l.includes('[host '));
  t.diagnostic(`extension host run: exit ${result.exitCode} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  for (const l of hostLines.filter((l) => /deploy took/.test(l))) t.diagnostic(l.replace(/^.*\[host \w+\]\s*/, ''));
  assert.equal(result.exitCode, 0, `mocha inside the extension host failed; host log:\n${hostLines.join('\n')}${result.screenshot ? `\nscreenshot: ${result.screenshot}` : ''}`);
  assert.ok(hostLines.some((l) => /\b1 passing\b/.test(l)), `the swarm test ran in the host:\n${hostLines.join('\n')}`);
  assert.deepEqual(stackRemains(stack), [], 'nothing of the stack is left');
});
