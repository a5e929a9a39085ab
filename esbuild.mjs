// Builds the bundles. `node esbuild.mjs` builds the product (extension, CLI, SDK, examples, benches);
// `node esbuild.mjs --tests` builds every test/**/*.test.ts (and test fixtures) into out/test/.
// `--watch` keeps rebuilding. Type-checking is separate: `npm run typecheck` (tsc --noEmit).
import * as esbuild from 'esbuild';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { protoSetsPlugin } from './scripts/protoSets.mjs';
import { asciiOutputPlugin } from './scripts/asciiOutput.mjs';
import { grpcIPv6FastPathPlugin } from './scripts/grpcIPv6FastPath.mjs';

const args = new Set(process.argv.slice(2));
const production = args.has('--production');
const watch = args.has('--watch');

// Native or self-locating packages stay in node_modules: lmdb ships a native binary, and
// @grpc/reflection / grpc-health-check read their own .proto files relative to their folder.
const external = ['lmdb', '@grpc/reflection', 'grpc-health-check'];

const common = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  sourcemap: production ? false : 'linked',
  sourcesContent: false,
  minify: production,
  logLevel: 'warning',
  external,
  // `flowctl-protos:<set>`: .proto files parsed here once instead of in every process (src/core/protoEmbed.ts).
  // The output is pure ASCII (scripts/asciiOutput.mjs): Node reads a file with one non-ASCII character slower (the 2.4 MB CLI: 65 vs 45 ms).
  // grpc-js compiles Node's IPv6 regular expression only for a host with a ':' (scripts/grpcIPv6FastPath.mjs: ~9 ms per process).
  plugins: [protoSetsPlugin(), grpcIPv6FastPathPlugin(), asciiOutputPlugin()],
};

/** What runs inside a VS Code webview (a browser page). */
const webview = {
  bundle: true,
  platform: 'browser',
  format: 'iife',
  target: 'es2022',
  sourcemap: production ? false : 'linked',
  sourcesContent: false,
  minify: production,
  logLevel: 'warning',
  plugins: [asciiOutputPlugin()],
};

/** Files the webviews load as they are: codicons (no remote font) and ELK's worker script (the graph layout). */
function copyWebviewAssets() {
  fs.mkdirSync('dist/webview', { recursive: true });
  for (const f of ['codicon.css', 'codicon.ttf']) fs.copyFileSync(path.join('node_modules', '@vscode', 'codicons', 'dist', f), path.join('dist', 'webview', f));
  fs.rmSync(path.join('dist', 'webview', 'layout.js.map'), { force: true }); // an earlier build's, not this file's
  const elk = fs.readFileSync(path.join('node_modules', 'elkjs', 'lib', 'elk-worker.min.js'), 'utf8');
  fs.writeFileSync(path.join('dist', 'webview', 'layout.js'), `/*! Pipeline graph layout: elkjs ${JSON.parse(fs.readFileSync('node_modules/elkjs/package.json', 'utf8')).version} (Eclipse Layout Kernel), Eclipse Public License 2.0 */\n${elk}`);
}

function walk(dir, pred, out = []) {
  if (!fs.existsSync(dir)) return out;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) walk(full, pred, out);
    else if (pred(full)) out.push(full);
  }
  return out;
}

/** `examples/…/<name><suffix>` (output name, without .js) → examples/…/<name>.ts, for every example component. */
function exampleEntries(suffix) {
  const files = walk('examples', (f) => f.endsWith('.ts') && !f.endsWith('.d.ts'));
  return Object.fromEntries(files.map((f) => [f.slice(0, -'.ts'.length).split(path.sep).join('/') + suffix, f]));
}

/** @type {import('esbuild').BuildOptions[]} */
let builds;
if (args.has('--tests')) {
  // Start clean: a bundle whose source was deleted must not keep running as a test.
  fs.rmSync('out/test', { recursive: true, force: true });
  fs.rmSync('out/vscode/suite', { recursive: true, force: true }); // suite/index.js loads every *.test.js there
  const entryPoints = [
    ...walk('test', (f) => f.endsWith('.test.ts') && !f.startsWith(path.join('test', 'vscode'))),
    ...walk('test/fixtures', (f) => f.endsWith('.ts')),
  ];
  const testExternal = [...external, 'vscode', 'playwright-core', 'mocha', '@vscode/test-electron'];
  builds = [
    { ...common, entryPoints, outdir: 'out/test', outbase: 'test', external: testExternal },
    // What runs inside a VS Code extension host (mocha suite, harness) goes to out/vscode/, outside
    // out/test/, because `node --test out/test/` runs every .js file below out/test/.
    { ...common, entryPoints: walk('test/vscode', (f) => f.endsWith('.ts')), outdir: 'out/vscode', outbase: 'test/vscode', external: testExternal },
  ].filter((b) => b.entryPoints.length > 0);
} else {
  builds = [
    // The extension: `vscode` is provided by the host.
    { ...common, entryPoints: { extension: 'src/extension/extension.ts' }, outdir: 'dist', external: [...external, 'vscode'] },
    // Webview scripts: browser code, one file each, no imports at run time.
    { ...common, platform: 'browser', format: 'iife', target: 'es2022', entryPoints: { 'webview/allLogs': 'src/extension/webview/allLogs.client.ts' }, outdir: 'dist', external: [] },
    // The CLI: nothing in its graph may import `vscode` (the build fails if something does). dist/cli.js is a
    // small launcher that loads the bundle, dist/cli-main.js, with a V8 code cache (src/cli/launcher.ts).
    { ...common, entryPoints: { 'cli-main': 'src/cli/main.ts' }, outdir: 'dist' },
    { ...common, entryPoints: { cli: 'src/cli/launcher.ts' }, outdir: 'dist', banner: { js: '#!/usr/bin/env node' } },
    // The component SDK, for components written in JavaScript/TypeScript.
    { ...common, entryPoints: { sdk: 'src/sdk/index.ts' }, outdir: 'dist' },
    // The webview bundle (pipeline graph, metrics chart): browser code, no Node, no externals. Its
    // layout worker is elkjs's own worker script, copied as dist/webview/layout.js (copyWebviewAssets).
    { ...webview, entryPoints: { main: 'src/extension/graph/webview/main.ts' }, outdir: 'dist/webview' },
    { ...webview, entryPoints: { main: 'src/extension/graph/webview/graph.css' }, outdir: 'dist/webview' },
    // Example components: `dist/examples/…/<name>.js` is a small launcher (src/sdk/launcher.ts) that runs the
    // component's bundle, `<name>.main.js`, with a V8 code cache; flow.yml files name the launcher.
    { ...common, entryPoints: exampleEntries('.main'), outdir: 'dist' },
    { ...common, entryPoints: Object.fromEntries(Object.keys(exampleEntries('')).map((out) => [out, 'src/sdk/launcher.ts'])), outdir: 'dist' },
    // Benchmarks (and their own components).
    {
      ...common,
      entryPoints: walk('bench', (f) => f.endsWith('.ts')),
      outdir: 'dist',
      outbase: '.',
      // bench/extension.ts drives code-server through playwright-core, which cannot be bundled, and
      // lays the graphs out in Node with elkjs for reference (loaded from node_modules).
      external: [...external, 'playwright-core', 'elkjs'],
    },
  ].filter((b) => {
    const eps = Array.isArray(b.entryPoints) ? b.entryPoints : Object.values(b.entryPoints);
    return eps.length > 0 && eps.every((e) => fs.existsSync(e));
  });
}

if (watch) {
  if (builds.some((b) => b.outdir === 'dist/webview')) copyWebviewAssets();
  for (const b of builds) await (await esbuild.context(b)).watch();
  console.log('[watch] build started');
} else {
  await Promise.all(builds.map((b) => esbuild.build(b)));
  if (builds.some((b) => b.outdir === 'dist/webview')) copyWebviewAssets();
  if (builds.some((b) => b.entryPoints?.cli)) fs.chmodSync('dist/cli.js', 0o755);
}
