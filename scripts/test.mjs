// Runs the bundled tests with Node's test runner. Node 20 treats EVERY .js file below a folder named
// `test` as a test file when given a folder, which would run our fixtures (components, fake runners) as
// tests; so we list the *.test.js files ourselves: unit tests first, then integration tests.
// Usage: node scripts/test.mjs [folder-or-file ...]   (default: out/test)
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

function collect(p, out) {
  const st = fs.statSync(p);
  if (st.isFile()) {
    if (p.endsWith('.test.js')) out.push(p);
    return out;
  }
  for (const e of fs.readdirSync(p, { withFileTypes: true })) collect(path.join(p, e.name), out);
  return out;
}

const roots = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const flags = process.argv.slice(2).filter((a) => a.startsWith('--'));
const files = (roots.length ? roots : ['out/test']).flatMap((r) => collect(r, [])).sort((a, b) => {
  const rank = (f) => (f.includes(`${path.sep}unit${path.sep}`) ? 0 : 1);
  return rank(a) - rank(b) || a.localeCompare(b);
});
if (files.length === 0) {
  console.error('no *.test.js files found: run `npm run build:tests` first');
  process.exit(1);
}
const child = spawn(process.execPath, ['--test', '--test-concurrency=1', ...flags, ...files], { stdio: 'inherit' });
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
