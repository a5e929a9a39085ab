// `npm run image [-- --base IMAGE] [--tag NAME:TAG]...`: builds the flowctl image from the repository's
// Dockerfile. It stages the build context in .cache/image/ (the bundled CLI from `npm run build`, the
// .proto files, the demo components, and the packages the bundle loads at run time with what they need,
// copied from node_modules: nothing is downloaded), then runs `docker build` with BASE_IMAGE = --base
// (default node:20-slim). Prints the first tag on stdout.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
/** What esbuild leaves out of dist/cli.js (esbuild.mjs `external`): they must be in the image's node_modules. */
const RUNTIME_PACKAGES = ['lmdb', '@grpc/reflection', 'grpc-health-check'];

function fail(message) {
  process.stderr.write(`image: ${message}\n`);
  process.exit(1);
}

function parse(argv) {
  const out = { base: process.env.FLOWCTL_IMAGE_BASE || 'node:20-slim', tags: [], context: path.join(ROOT, '.cache', 'image'), quiet: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => (i + 1 < argv.length ? argv[++i] : fail(`${a} needs a value`));
    if (a === '--base') out.base = value();
    else if (a === '--tag') out.tags.push(value());
    else if (a === '--context') out.context = path.resolve(value());
    else if (a === '--quiet' || a === '-q') out.quiet = true;
    else fail(`unknown argument ${a} (use --base IMAGE, --tag NAME:TAG, --context DIR, --quiet)`);
  }
  if (out.tags.length === 0) out.tags.push(`flowctl:${pkg.version}`, 'flowctl:latest');
  return out;
}

/** The folder of package `name` as Node would find it from `fromDir`. */
function findPackage(name, fromDir) {
  for (let dir = fromDir; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', name);
    if (fs.existsSync(path.join(candidate, 'package.json'))) return candidate;
    if (dir === ROOT || path.dirname(dir) === dir) return undefined;
  }
}

/** Every package folder `names` need at run time (dependencies, installed optional and peer dependencies). */
function closure(names) {
  const seen = new Set();
  const queue = names.map((n) => ({ name: n, from: ROOT, required: true }));
  while (queue.length) {
    const { name, from, required } = queue.shift();
    const dir = findPackage(name, from);
    if (!dir) {
      if (required) fail(`package ${name} is not installed (run npm ci)`);
      continue;
    }
    if (seen.has(dir)) continue;
    seen.add(dir);
    const p = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
    for (const d of Object.keys(p.dependencies ?? {})) queue.push({ name: d, from: dir, required: true });
    for (const d of Object.keys(p.optionalDependencies ?? {})) queue.push({ name: d, from: dir, required: false });
    for (const d of Object.keys(p.peerDependencies ?? {})) queue.push({ name: d, from: dir, required: false });
  }
  return [...seen];
}

function copy(src, dest) {
  fs.cpSync(src, dest, { recursive: true, dereference: true, filter: (s) => !s.endsWith('.map') });
}

const opts = parse(process.argv.slice(2));
const cli = path.join(ROOT, 'dist', 'cli.js');
const cliMain = path.join(ROOT, 'dist', 'cli-main.js'); // the bundle dist/cli.js loads (src/cli/launcher.ts)
if (!fs.existsSync(cli) || !fs.existsSync(cliMain)) fail('dist/cli.js or dist/cli-main.js not found: run `npm run build` first (npm run image does)');

// Stage the context.
fs.rmSync(opts.context, { recursive: true, force: true });
const app = path.join(opts.context, 'app');
fs.mkdirSync(path.join(app, 'dist'), { recursive: true });
copy(cli, path.join(app, 'dist', 'cli.js'));
copy(cliMain, path.join(app, 'dist', 'cli-main.js'));
copy(path.join(ROOT, 'proto'), path.join(app, 'proto'));
const demo = path.join(ROOT, 'dist', 'examples', 'demo', 'components');
if (fs.existsSync(demo)) copy(demo, path.join(app, 'dist', 'examples', 'demo', 'components'));
for (const dir of closure(RUNTIME_PACKAGES)) copy(dir, path.join(app, path.relative(ROOT, dir)));
fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'flowctl', version: pkg.version, private: true, bin: { flowctl: 'dist/cli.js' } }, null, 2) + '\n');
copy(path.join(ROOT, 'Dockerfile'), path.join(opts.context, 'Dockerfile'));

// Build (the classic builder: engines here are 20.10 and the CLI may have no buildx).
const args = ['build', '--build-arg', `BASE_IMAGE=${opts.base}`, '--label', `org.opencontainers.image.version=${pkg.version}`];
for (const t of opts.tags) args.push('-t', t);
if (opts.quiet) args.push('-q');
args.push(opts.context);
if (!opts.quiet) process.stderr.write(`image: docker ${args.join(' ')}\n`);
const r = spawnSync('docker', args, { stdio: ['ignore', opts.quiet ? 'ignore' : 'inherit', 'inherit'], env: { ...process.env, DOCKER_BUILDKIT: '0' } });
if (r.error) fail(`cannot run docker: ${r.error.message} (install docker.io: bash scripts/install-test-deps.sh)`);
if (r.status !== 0) fail(`docker build failed (exit ${r.status})`);
process.stdout.write(`${opts.tags[0]}\n`);
