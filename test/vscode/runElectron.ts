// Runs the same mocha suite (suite/index.ts) in a desktop VS Code through @vscode/test-electron,
// for developers who have one (it downloads VS Code unless VSCODE_EXECUTABLE points at one).
// Not run in CI, where test/integration/vscode-host.test.ts runs the suite in code-server.
//   npm run build && node esbuild.mjs --tests && node out/vscode/runElectron.js [workspace]
import * as path from 'node:path';
import { runTests } from '@vscode/test-electron';
import { findRepoRoot } from './repoRoot';

const REPO_ROOT = findRepoRoot(__dirname);

async function main(): Promise<void> {
  const workspace = path.resolve(process.argv[2] ?? path.join(REPO_ROOT, 'examples', 'demo'));
  const code = await runTests({
    vscodeExecutablePath: process.env.VSCODE_EXECUTABLE || undefined,
    extensionDevelopmentPath: REPO_ROOT,
    extensionTestsPath: path.join(REPO_ROOT, 'out', 'vscode', 'suite', 'index.js'),
    launchArgs: [workspace, '--disable-extensions', '--disable-workspace-trust'],
  });
  process.exitCode = code;
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
