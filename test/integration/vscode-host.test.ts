// Runs the mocha suite of test/vscode/suite/ inside a real VS Code extension host (code-server +
// headless Chromium, see test/vscode/host.ts) with this repo as the development extension.
// Builds nothing itself: `npm test` builds dist/ and out/ first.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { REPO_ROOT, codeServerBin, runInHost } from '../vscode/host';

const skip =
  !codeServerBin() && !process.env.CI
    ? 'code-server is not installed (run `bash scripts/install-test-deps.sh`); required when CI is set'
    : false;

/** A throwaway workspace holding the demo pipeline file (or a minimal one before the demo exists). */
function makeWorkspace(): string {
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'fvh-ws-'));
  const demo = path.join(REPO_ROOT, 'examples', 'demo', 'flow.yml');
  if (fs.existsSync(demo)) fs.copyFileSync(demo, path.join(ws, 'flow.yml'));
  else fs.writeFileSync(path.join(ws, 'flow.yml'), 'apiVersion: flowctl/v1\nkind: Pipeline\nmetadata:\n  name: smoke\n');
  return ws;
}

async function runSuite(t: import('node:test').TestContext, env: NodeJS.ProcessEnv, name: string): Promise<void> {
  const entry = path.join(REPO_ROOT, 'out', 'vscode', 'suite', 'index.js');
  assert.ok(fs.existsSync(entry), `${entry} is built (node esbuild.mjs --tests)`);
  assert.ok(fs.existsSync(path.join(REPO_ROOT, 'dist', 'extension.js')), 'dist/extension.js is built (npm run build)');
  const workspace = makeWorkspace();
  t.after(() => fs.rmSync(workspace, { recursive: true, force: true }));

  const started = Date.now();
  const result = await runInHost({
    workspace,
    extensionDevelopmentPath: REPO_ROOT,
    testsEntry: entry,
    // The suites take ~4-5 min on a quiet machine (YAML help ~30 s, graph and runs ~1 min, the edit-run
    // loop ~2 min); a busy shared one needs up to 12.
    timeoutMs: 840_000,
    name,
    env,
  });
  const hostLines = result.logs.filter((l) => l.includes('[host '));
  t.diagnostic(`extension host run: exit ${result.exitCode} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  assert.equal(
    result.exitCode,
    0,
    `mocha inside the extension host failed; host log:\n${hostLines.join('\n')}${result.screenshot ? `\nscreenshot: ${result.screenshot}` : ''}`,
  );
  // The suite really ran in there: mocha's spec reporter printed its summary through the host console.
  const summary = hostLines.filter((l) => /\d+ (passing|pending)/.test(l));
  assert.ok(summary.length > 0, `mocha summary in the host log:\n${hostLines.join('\n')}`);
  for (const l of summary) t.diagnostic(l.replace(/^.*\[host \w+\]\s*/, 'mocha in the extension host: '));
}

test('the mocha suite passes inside a real VS Code extension host (code-server 4.100.3)', { skip, timeout: 900_000 }, async (t) => {
  // FLOWCTL_VSCODE_GREP (and FLOWCTL_VSCODE_GREP_INVERT=1) pick tests by title; they pass through to the host.
  await runSuite(t, {}, 'vscode-host');
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test('the harness reports a failing tests entry (exit 1, host log) and leaves no process or profile behind', { skip, timeout: 300_000 }, async (t) => {
  // A throwaway extension that starts a process in its own process group (as pipeline components
  // are), and a tests entry that fails on purpose after talking to the real `vscode` API.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fvh-self-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const ext = path.join(dir, 'ext');
  const ws = path.join(dir, 'ws');
  fs.mkdirSync(ext);
  fs.mkdirSync(ws);
  const pidFile = path.join(dir, 'child.pid');
  fs.writeFileSync(
    path.join(ext, 'package.json'),
    JSON.stringify({ name: 'harness-probe', publisher: 'flowctl-test', version: '0.0.1', engines: { vscode: '^1.100.0' }, main: './ext.js', activationEvents: ['*'] }),
  );
  fs.writeFileSync(
    path.join(ext, 'ext.js'),
    `const cp = require('child_process'); const fs = require('fs');
exports.activate = () => {
  const c = cp.spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { detached: true, stdio: 'ignore' });
  c.unref();
  fs.writeFileSync(${JSON.stringify(pidFile)}, String(c.pid));
};`,
  );
  const entry = path.join(dir, 'run.js');
  fs.writeFileSync(
    entry,
    `exports.run = async () => {
  const vscode = require('vscode');
  const ext = vscode.extensions.getExtension('flowctl-test.harness-probe');
  await ext.activate();
  console.log('probe: vscode ' + vscode.version + ', workspace ' + vscode.workspace.workspaceFolders[0].uri.fsPath);
  throw new Error('deliberate failure from the probe');
};`,
  );

  const result = await runInHost({ workspace: ws, extensionDevelopmentPath: ext, testsEntry: entry, timeoutMs: 240_000, name: 'harness-self-test' });
  const text = result.logs.join('\n');
  assert.equal(result.exitCode, 1, `a failing run() gives exit code 1; log:\n${text}`);
  assert.match(text, new RegExp(`probe: vscode 1\\.100\\.\\d+, workspace ${ws.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`), 'the host ran the entry against the opened folder');
  assert.match(text, /deliberate failure from the probe/, 'the error reaches the host log');

  const childPid = Number(fs.readFileSync(pidFile, 'utf8'));
  for (let i = 0; i < 20 && alive(childPid); i++) await sleep(100);
  assert.equal(alive(childPid), false, `the extension's detached child ${childPid} was killed`);
  assert.equal(fs.existsSync(result.root), false, `the profile ${result.root} was removed`);
});
