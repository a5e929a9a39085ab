// Where things are when a bundled test runs from out/test/…: the repository root is the first
// folder above __dirname that holds package.json.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

let root: string | undefined;

export function repoRoot(): string {
  if (root) return root;
  let dir = __dirname;
  for (;;) {
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(path.join(dir, 'proto'))) return (root = dir);
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`no repository root above ${__dirname}`);
    dir = parent;
  }
}

/** dist/cli.js (built by `npm run build`). */
export function cliPath(): string {
  const p = path.join(repoRoot(), 'dist', 'cli.js');
  if (!fs.existsSync(p)) throw new Error(`${p} is missing: run \`npm run build\` first`);
  return p;
}

/** A fresh temporary folder; remove it with removeTempDir (e.g. in t.after). */
export function makeTempDir(prefix = 'flowctl-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function removeTempDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}
