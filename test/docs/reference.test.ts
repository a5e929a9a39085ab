// The reference pages against what they describe: every key of schemas/flow.schema.json has its entry
// in docs/flow-yml.md and every entry is a key; every command and flag of the CLI (read from the
// CLI's own definitions, bundled here from src/cli/commands) has its row in docs/cli.md with its
// default, and every row is a flag; the YAML and JSON examples parse; links between the pages resolve.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { parsePipeline } from '../../src/core/pipeline/load';
import type { FlagSpec } from '../../src/cli/args';
import { repoRoot } from '../helpers/paths';
import { codeBlocks, docPath, headings, links, readDoc, slugify, withoutCode } from './markdown';

type Schema = Record<string, any>;

/** Where each definition's keys live in the reference: component keys bare, sub-objects under their list. */
const DEFINITION_PREFIX: Record<string, string> = {
  component: '',
  source: '',
  processor: '',
  sink: '',
  pipelineComponent: '',
  volume: 'volumes[].',
  port: 'ports[].',
  secret: 'secrets[].',
};

/** Every key path of the schema, e.g. `spec.driver`, `restart_policy`, `volumes[].host_path`, `resources.limits.cpu`. */
export function schemaKeys(schema: Schema): Set<string> {
  const keys = new Set<string>();
  const seen = new Set<string>();
  const walk = (node: Schema | undefined, prefix: string): void => {
    if (!node || typeof node !== 'object') return;
    if (typeof node.$ref === 'string') {
      const name = node.$ref.replace(/^#\/(definitions|\$defs)\//, '');
      assert.ok(name in DEFINITION_PREFIX, `schema definition "${name}" has no place in docs/flow-yml.md: add it to DEFINITION_PREFIX in this test and document its keys`);
      if (seen.has(name)) return;
      seen.add(name);
      walk((schema.definitions ?? schema.$defs)[name], DEFINITION_PREFIX[name]);
      return;
    }
    for (const [k, v] of Object.entries((node.properties ?? {}) as Record<string, Schema>)) {
      const p = `${prefix}${k}`;
      // A list of definitions (spec.sources) or of inline objects: its items have their own keys.
      const items = v.items as Schema | undefined;
      if (!(items?.$ref && prefix === '' && DEFINITION_PREFIX[String(items.$ref).split('/').pop()!]?.endsWith('[].'))) keys.add(p);
      walk(v, `${p}.`);
      if (items) walk(items, items.$ref ? '' : `${p}[].`);
    }
    for (const key of ['allOf', 'anyOf', 'oneOf'] as const) for (const sub of (node[key] ?? []) as Schema[]) walk(sub, prefix);
    if (node.additionalProperties && typeof node.additionalProperties === 'object') walk(node.additionalProperties, prefix);
  };
  walk(schema, '');
  // Lists of volumes/ports/secrets are component keys themselves.
  for (const list of ['volumes', 'ports', 'secrets']) keys.add(list);
  return keys;
}

/** `### `key`` headings of docs/flow-yml.md. */
function referenceKeys(): Map<string, number> {
  const out = new Map<string, number>();
  for (const h of headings(readDoc('flow-yml.md'))) {
    const m = /^`([^`]+)`$/.exec(h.text);
    if (h.level === 3 && m) {
      assert.ok(!out.has(m[1]), `flow-yml.md:${h.line}: \`${m[1]}\` is documented twice`);
      out.set(m[1], h.line);
    }
  }
  return out;
}

test('docs/flow-yml.md has one entry per key of schemas/flow.schema.json, and no other', () => {
  const schema = JSON.parse(fs.readFileSync(path.join(repoRoot(), 'schemas', 'flow.schema.json'), 'utf8')) as Schema;
  const inSchema = schemaKeys(schema);
  const inDoc = referenceKeys();
  assert.ok(inSchema.has('spec.driver') && inSchema.has('restart_policy') && inSchema.has('volumes[].host_path') && inSchema.has('resources.limits.cpu'), [...inSchema].join(', '));
  const missing = [...inSchema].filter((k) => !inDoc.has(k));
  const extra = [...inDoc.keys()].filter((k) => !inSchema.has(k));
  assert.deepEqual(missing, [], `keys in the schema without an entry in docs/flow-yml.md (add a "### \`key\`" section): ${missing.join(', ')}`);
  assert.deepEqual(extra, [], `entries in docs/flow-yml.md that are not schema keys: ${extra.join(', ')}`);
});

test('docs/flow-yml.md: its YAML examples parse, and the complete pipelines in it are valid', () => {
  let complete = 0;
  for (const b of codeBlocks(readDoc('flow-yml.md'))) {
    assert.equal(b.lang, 'yaml', `flow-yml.md:${b.line}: only yaml examples here`);
    const docs = parseAllDocuments(b.code);
    for (const d of Array.isArray(docs) ? docs : [docs]) assert.deepEqual(d.errors, [], `flow-yml.md:${b.line}: ${d.errors.map((e) => e.message).join('; ')}`);
    if (/^apiVersion:/m.test(b.code) && /^kind: Pipeline/m.test(b.code) && /^spec:/m.test(b.code)) {
      complete++;
      const parsed = parsePipeline(b.code, path.join(repoRoot(), 'docs', 'example.yml'), { checkCommands: false });
      const errors = parsed.diagnostics.filter((d) => d.severity === 'error');
      assert.deepEqual(errors.map((d) => `${d.line}:${d.column} ${d.message}`), [], `flow-yml.md:${b.line}: the example pipeline is invalid`);
    }
  }
  assert.ok(complete >= 1, 'at least one complete pipeline example');
});

interface CliCommand {
  name: string;
  summary: string;
  usage: string;
  hidden?: boolean;
  flags: Record<string, FlagSpec>;
}

/** The CLI's commands as main.ts registers them, each bundled from its own module and loaded here. */
function cliCommands(): CliCommand[] {
  const root = repoRoot();
  const main = fs.readFileSync(path.join(root, 'src', 'cli', 'main.ts'), 'utf8');
  const registered = [...main.matchAll(/^\s+'?([\w-]+)'?\s*:\s*\(\)\s*=>\s*import\(\s*'\.\/commands\/([\w/-]+)'\s*\)/gm)].map((m) => ({ name: m[1], module: m[2] }));
  assert.ok(registered.length >= 8, `found only ${registered.length} commands in src/cli/main.ts`);
  const out = fs.mkdtempSync(path.join(root, 'out', 'docs-cli-'));
  try {
    // Built with the product's esbuild options that matter here (the `flowctl-protos:` plugin embeds
    // the .proto sets the commands import), through esbuild's API in a small ES module.
    const options = {
      entryPoints: Object.fromEntries(registered.map((c) => [c.name, `src/cli/commands/${c.module}.ts`])),
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      outdir: out,
      logLevel: 'error',
      define: { __FLOWCTL_COMMIT__: '"test"', __FLOWCTL_BUILT__: '"test"' },
      external: ['lmdb', '@grpc/reflection', 'grpc-health-check', 'vscode'],
    };
    const script = [
      "import * as esbuild from 'esbuild';",
      "import { protoSetsPlugin } from './scripts/protoSets.mjs';",
      `await esbuild.build({ ...${JSON.stringify(options)}, plugins: [protoSetsPlugin()] });`,
    ].join('\n');
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8' });
    assert.equal(r.status, 0, `esbuild: ${r.stderr}`);
    const req = createRequire(__filename);
    return registered.map((c) => ({ name: c.name, ...(req(path.join(out, `${c.name}.js`)).command as Omit<CliCommand, 'name'>) }));
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
}

/** As `--help` shows a default: durations in Go form, nothing for an empty or absent default. */
function defaultText(spec: FlagSpec): string {
  const d = spec.default;
  if (d === undefined || d === '' || (Array.isArray(d) && d.length === 0)) return '—';
  if (spec.type === 'duration' && typeof d === 'number') return d % 60_000 === 0 ? `${d / 60_000}m` : d % 1000 === 0 ? `${d / 1000}s` : `${d}ms`;
  return String(d);
}

interface DocFlag {
  short?: string;
  defaultText: string;
  line: number;
}

/** `## `flowctl <name>`` sections of docs/cli.md with the flags of their tables. */
function documentedCommands(): Map<string, { line: number; flags: Map<string, DocFlag> }> {
  const text = withoutCode(readDoc('cli.md'));
  const out = new Map<string, { line: number; flags: Map<string, DocFlag> }>();
  let current: { line: number; flags: Map<string, DocFlag> } | undefined;
  text.split('\n').forEach((l, i) => {
    const h = /^## `flowctl ([\w-]+)`\s*$/.exec(l);
    if (h) {
      current = { line: i + 1, flags: new Map() };
      assert.ok(!out.has(h[1]), `cli.md:${i + 1}: flowctl ${h[1]} documented twice`);
      out.set(h[1], current);
      return;
    }
    if (/^#{1,2} /.test(l)) current = undefined;
    const row = /^\|\s*`(?:-(\w), )?--([\w-]+)`\s*\|\s*([^|]*?)\s*\|/.exec(l);
    if (row && current) {
      assert.ok(!current.flags.has(row[2]), `cli.md:${i + 1}: --${row[2]} twice in one table`);
      current.flags.set(row[2], { short: row[1], defaultText: row[3].replace(/`/g, ''), line: i + 1 });
    }
  });
  return out;
}

test('docs/cli.md documents every command and flag of the CLI with its default, and nothing else', { timeout: 120_000 }, () => {
  const commands = cliCommands();
  const documented = documentedCommands();
  const problems: string[] = [];
  for (const c of commands) {
    const doc = documented.get(c.name);
    if (!doc) {
      problems.push(`flowctl ${c.name} has no "## \`flowctl ${c.name}\`" section`);
      continue;
    }
    for (const [flag, spec] of Object.entries(c.flags)) {
      const row = doc.flags.get(flag);
      if (!row) {
        problems.push(`flowctl ${c.name} --${flag} is not in its table (cli.md:${doc.line})`);
        continue;
      }
      if ((row.short ?? '') !== (spec.short ?? '')) problems.push(`cli.md:${row.line}: --${flag} has short form ${spec.short ? `-${spec.short}` : 'none'}`);
      if (row.defaultText !== defaultText(spec)) problems.push(`cli.md:${row.line}: the default of flowctl ${c.name} --${flag} is ${defaultText(spec)}, not ${row.defaultText}`);
    }
    for (const [flag, row] of doc.flags) if (!(flag in c.flags)) problems.push(`cli.md:${row.line}: flowctl ${c.name} has no flag --${flag}`);
  }
  for (const [name, doc] of documented) if (!commands.some((c) => c.name === name)) problems.push(`cli.md:${doc.line}: there is no command flowctl ${name}`);
  assert.deepEqual(problems, []);
});

test('docs/cli.md: the --json example of flowctl validate has the keys the command prints', () => {
  const block = codeBlocks(readDoc('cli.md')).find((b) => b.lang === 'json' && b.code.includes('"diagnostics"'));
  assert.ok(block, 'the validate --json example');
  const example = JSON.parse(block.code) as { diagnostics: Array<Record<string, unknown>> };
  const file = path.join(fs.mkdtempSync(path.join(repoRoot(), 'out', 'docs-validate-')), 'flow.yml');
  try {
    fs.writeFileSync(file, 'apiVersion: flowctl/v1\nkind: Pipeline\nmetadata:\n  name: demo\nspec:\n  sources:\n    - id: a\n      command: ["true"]\n  sinks:\n    - id: b\n      command: ["true"]\n      inputs: [aa]\n');
    const r = spawnSync(process.execPath, [path.join(repoRoot(), 'dist', 'cli.js'), 'validate', file, '--json'], { encoding: 'utf8' });
    assert.equal(r.status, 1, r.stderr);
    const actual = JSON.parse(r.stdout) as { diagnostics: Array<Record<string, unknown>> };
    assert.deepEqual(Object.keys(example).sort(), Object.keys(actual).sort());
    const real = actual.diagnostics.find((d) => d.code === 'unknown-input')!;
    assert.deepEqual(Object.keys(example.diagnostics[0]).sort(), Object.keys(real).sort());
    assert.deepEqual(example.diagnostics[0].fixes, real.fixes);
    assert.equal(example.diagnostics[0].message, real.message);
  } finally {
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
  }
});

test('links between the docs pages (and to the README) point at files and headings that exist', () => {
  const pages = fs.readdirSync(path.join(repoRoot(), 'docs')).filter((f) => f.endsWith('.md'));
  assert.ok(pages.length >= 5, pages.join(', '));
  const anchors = new Map<string, Set<string>>();
  const anchorsOf = (file: string): Set<string> => {
    if (!anchors.has(file)) anchors.set(file, new Set(headings(fs.readFileSync(file, 'utf8')).map((h) => h.slug)));
    return anchors.get(file)!;
  };
  const problems: string[] = [];
  const check = (from: string, text: string) => {
    for (const l of links(text)) {
      if (/^[a-z]+:/i.test(l.target)) continue; // https:, command:, …
      const [file, anchor] = l.target.split('#');
      const target = file ? path.resolve(path.dirname(from), file) : from;
      if (!fs.existsSync(target)) {
        problems.push(`${path.relative(repoRoot(), from)}:${l.line}: ${l.target}: no such file`);
        continue;
      }
      if (anchor && target.endsWith('.md') && !anchorsOf(target).has(anchor)) problems.push(`${path.relative(repoRoot(), from)}:${l.line}: ${l.target}: no such heading`);
    }
  };
  for (const p of pages) check(docPath(p), readDoc(p));
  const readme = path.join(repoRoot(), 'README.md');
  check(readme, fs.readFileSync(readme, 'utf8'));
  assert.deepEqual(problems, []);
  assert.equal(slugify('Graceful shutdown and resume tokens'), 'graceful-shutdown-and-resume-tokens');
  assert.equal(slugify('`volumes[].host_path`'), 'volumeshost_path');
});

test('docs/extension.md lists every command and setting of package.json, with the settings\' defaults, and no other', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot(), 'package.json'), 'utf8')) as {
    contributes: { commands: Array<{ command: string }>; configuration: { properties: Record<string, { default?: unknown }> } };
  };
  const text = withoutCode(readDoc('extension.md'));
  const rows = new Map<string, string[]>();
  for (const l of text.split('\n')) {
    const m = /^\|\s*`(flowctl\.[\w.]+)`\s*\|(.*)\|\s*$/.exec(l);
    if (m) rows.set(m[1], m[2].split('|').map((c) => c.trim()));
  }
  const problems: string[] = [];
  for (const c of pkg.contributes.commands) if (!rows.has(c.command)) problems.push(`command ${c.command} has no row`);
  for (const [name, spec] of Object.entries(pkg.contributes.configuration.properties)) {
    const row = rows.get(name);
    if (!row) {
      problems.push(`setting ${name} has no row`);
      continue;
    }
    const want = spec.default === '' || spec.default === undefined ? 'empty' : String(spec.default);
    if (row[0].replace(/`/g, '') !== want) problems.push(`setting ${name}: default ${want}, documented ${row[0]}`);
  }
  const known = new Set([...pkg.contributes.commands.map((c) => c.command), ...Object.keys(pkg.contributes.configuration.properties)]);
  for (const id of rows.keys()) if (!known.has(id)) problems.push(`${id} is documented but is neither a command nor a setting`);
  assert.deepEqual(problems, []);
});
