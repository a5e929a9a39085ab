// The mocha entry that a VS Code extension host loads as `extensionTestsPath`: in code-server
// (test/vscode/host.ts, used by test/integration/vscode-host.test.ts) or in a desktop VS Code
// through @vscode/test-electron (test/vscode/runElectron.ts). Loads every *.test.js next to it.
import * as fs from 'node:fs';
import * as path from 'node:path';

// mocha 12's package entry is an ES module; its CommonJS build is what an extension host loads
// most reliably.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const Mocha: typeof import('mocha') = require('mocha/lib/mocha.cjs');

export async function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'bdd', timeout: 60_000, color: false, reporter: 'spec' });
  // FLOWCTL_VSCODE_GREP selects tests by title; with FLOWCTL_VSCODE_GREP_INVERT=1 it leaves them out.
  const filter = process.env.FLOWCTL_VSCODE_GREP;
  if (filter) {
    mocha.grep(filter);
    if (process.env.FLOWCTL_VSCODE_GREP_INVERT === '1') mocha.invert();
  }
  const files = fs
    .readdirSync(__dirname)
    .filter((f) => f.endsWith('.test.js'))
    .sort();
  if (files.length === 0) throw new Error(`no *.test.js files next to ${__filename}`);
  for (const f of files) mocha.addFile(path.join(__dirname, f));
  await new Promise<void>((resolve, reject) => {
    try {
      mocha.run((failures) => (failures > 0 ? reject(new Error(`${failures} test(s) failed`)) : resolve()));
    } catch (err) {
      reject(err);
    }
  });
}
