// Packaging helpers for the UI test: build a .vsix with scripts/package-vsix.mjs, list and unpack
// it (python3's zipfile: no unzip needed), and compute which node_modules packages the extension
// needs at runtime (the dependency closure of the modules esbuild leaves external).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Modules that esbuild.mjs leaves external in dist/extension.js (besides `vscode`). */
export const EXTERNAL_MODULES = ['lmdb', '@grpc/reflection', 'grpc-health-check'];
/**
 * Dependencies that nothing reaches through `require` at runtime: type-only packages, and yargs,
 * which @grpc/proto-loader needs only for its code-generation command line.
 */
export const NOT_NEEDED_AT_RUNTIME = new Set(['@types/node', 'undici-types', 'yargs']);

export function packageVsix(root: string, out: string): { output: string; ms: number } {
  const started = Date.now();
  const r = spawnSync(process.execPath, [path.join(root, 'scripts', 'package-vsix.mjs'), '--out', out], { cwd: root, encoding: 'utf8' });
  const output = `${r.stdout}${r.stderr}`;
  if (r.status !== 0) throw new Error(`scripts/package-vsix.mjs exited ${r.status}:\n${output}`);
  return { output, ms: Date.now() - started };
}

function python(code: string, ...args: string[]): string {
  const r = spawnSync('python3', ['-c', code, ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`python3 failed: ${r.stderr}`);
  return r.stdout;
}

/** Entry names in the archive (e.g. `extension/dist/extension.js`). */
export function listVsix(vsix: string): string[] {
  return python('import sys, zipfile; print("\\n".join(zipfile.ZipFile(sys.argv[1]).namelist()))', vsix)
    .split('\n')
    .filter(Boolean);
}

export function unpackVsix(vsix: string, dir: string): void {
  python('import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])', vsix, dir);
}

/** Package folders (relative, e.g. `node_modules/@grpc/grpc-js`) present under a node_modules tree. */
export function packagesIn(entries: string[], prefix: string): Set<string> {
  const found = new Set<string>();
  for (const e of entries) {
    if (!e.startsWith(prefix)) continue;
    const rel = e.slice(prefix.length);
    // The deepest node_modules/<name> or node_modules/@scope/<name> holding the file.
    const m = rel.match(/^(.*node_modules\/(?:@[^/]+\/)?[^/@][^/]*)\//);
    if (m) {
      const parts = m[1].split('/');
      let pkgEnd = 0;
      for (let i = 0; i < parts.length; i++) {
        if (parts[i] === 'node_modules') pkgEnd = parts[i + 1]?.startsWith('@') ? i + 3 : i + 2;
      }
      found.add(parts.slice(0, pkgEnd).join('/'));
    }
  }
  return found;
}

/**
 * The package folders (relative to root) that `require` reaches from the external modules:
 * dependencies, optional dependencies that are installed, and peer dependencies (e.g.
 * @grpc/reflection requires @grpc/grpc-js), resolved the way Node does, minus NOT_NEEDED_AT_RUNTIME.
 */
export function runtimeClosure(root: string, entries = EXTERNAL_MODULES): Set<string> {
  const seen = new Set<string>();
  const resolveDir = (name: string, from: string): string | undefined => {
    for (let dir = from; ; dir = path.dirname(dir)) {
      const candidate = path.join(dir, 'node_modules', name);
      if (fs.existsSync(path.join(candidate, 'package.json'))) return candidate;
      if (dir === root || path.dirname(dir) === dir) return undefined;
    }
  };
  const visit = (name: string, from: string, optional: boolean) => {
    if (NOT_NEEDED_AT_RUNTIME.has(name)) return;
    const dir = resolveDir(name, from);
    if (!dir) {
      if (optional) return;
      throw new Error(`runtimeClosure: ${name} (needed from ${path.relative(root, from) || '.'}) is not installed`);
    }
    const rel = path.relative(root, dir).split(path.sep).join('/');
    if (seen.has(rel)) return;
    seen.add(rel);
    const pj = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
    for (const d of Object.keys(pj.dependencies ?? {})) visit(d, dir, false);
    for (const d of Object.keys(pj.optionalDependencies ?? {})) visit(d, dir, true);
    for (const d of Object.keys(pj.peerDependencies ?? {})) visit(d, dir, !!pj.peerDependenciesMeta?.[d]?.optional);
  };
  for (const e of entries) visit(e, root, false);
  return seen;
}
