// Packages the extension into a .vsix with @vscode/vsce, from what is already built in dist/
// (`npm run package` builds a production bundle first). What goes in is decided by the
// allow-list in .vscodeignore; dependencies come from `npm list --production` filtered by it.
//   node scripts/package-vsix.mjs [--out <file.vsix>]     (default: <name>-<version>.vsix)
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const args = process.argv.slice(2);
const outIdx = args.indexOf('--out');
const out = path.resolve(outIdx >= 0 ? args[outIdx + 1] : path.join(root, `${pkg.name}-${pkg.version}.vsix`));

if (!fs.existsSync(path.join(root, pkg.main))) {
  console.error(`package-vsix: ${pkg.main} is not built; run \`npm run build\` first`);
  process.exit(1);
}

const vsce = createRequire(import.meta.url).resolve('@vscode/vsce/vsce');
const flags = [
  'package',
  '--out', out,
  // No repository URL to rewrite README links against: relative links (media/…) are kept and
  // resolve inside the installed extension.
  '--no-rewrite-relative-links',
  '--allow-missing-repository',
  // No interactive prompt when LICENSE is missing (CI has no stdin); it is packaged when present.
  '--skip-license',
];
const started = Date.now();
const r = spawnSync(process.execPath, [vsce, ...flags], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
const lines = (r.stdout ?? '').split('\n').filter((l) => /DONE|WARNING|ERROR/.test(l));
for (const l of lines) console.log(l.trim());
if (r.status !== 0) {
  console.error(r.stdout);
  console.error(`package-vsix: vsce exited with ${r.status}`);
  process.exit(r.status ?? 1);
}
const size = fs.statSync(out).size;
console.log(`package-vsix: ${path.relative(process.cwd(), out) || out} ${(size / 1024 / 1024).toFixed(2)} MB in ${((Date.now() - started) / 1000).toFixed(1)} s`);
