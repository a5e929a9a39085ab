// Runs the mocha suite of test/vscode/suite/ inside a real VS Code extension host (code-server +
// headless Chromium, see test/vscode/host.ts) with this repo as the development extension.
// Builds nothing itself: `npm test` builds dist/ and out/ first.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
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

test('the mocha suite passes inside a real VS Code extension host (code-server 4.100.3)', { skip, timeout: 180_000 }, async (t) => {
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
    timeoutMs: 150_000,
    name: 'vscode-host',
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
});
