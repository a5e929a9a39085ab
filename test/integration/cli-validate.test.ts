// `flowctl validate` as a user runs it: `node dist/cli.js validate …` in a real folder.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '../../..');
const CLI = path.join(ROOT, 'dist/cli.js');
const FIXTURES = path.join(ROOT, 'test/fixtures/pipelines');
let dir: string;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function flowctl(args: string[], cwd = dir): Promise<Run> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [CLI, ...args], { cwd, timeout: 30_000, env: { ...process.env, NO_COLOR: '1' } }, (err, stdout, stderr) => {
      if (err && typeof err.code !== 'number') return reject(err);
      resolve({ code: err ? (err.code as number) : 0, stdout, stderr });
    });
  });
}

const VALID = [
  'apiVersion: flowctl/v1',
  'kind: Pipeline',
  'metadata:',
  '  name: demo',
  'spec:',
  '  sources:',
  '    - id: gen',
  '      command: [sh, -c, "echo hi"]',
  '  processors:',
  '    - id: upper',
  '      command: [sh]',
  '      inputs: [gen]',
  '  sinks:',
  '    - id: out',
  '      command: [sh]',
  '      inputs: [upper]',
  '',
].join('\n');

before(() => {
  assert.ok(fs.existsSync(CLI), `build first: ${CLI} is missing (npm run build)`);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flowctl-validate-'));
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

test('valid file: flowctl format, component count, exit 0', async () => {
  fs.writeFileSync(path.join(dir, 'good.yml'), VALID);
  const r = await flowctl(['validate', 'good.yml']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.equal(r.stdout, '✓ Pipeline validation passed\n  3 components total\n');
  assert.equal(r.stderr, '');
});

test('default file is flow.yml in the current folder', async () => {
  const sub = fs.mkdtempSync(path.join(dir, 'default-'));
  fs.writeFileSync(path.join(sub, 'flow.yml'), VALID);
  const r = await flowctl(['validate'], sub);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /^✓ Pipeline validation passed\n {2}3 components total\n/);
});

test('invalid file: every error as a block with Field, Fix and place; warnings with Hint; exit 1', async () => {
  const text = VALID.replace('      inputs: [upper]', '      inputs: [uper]').replace('      inputs: [gen]', '      inputs: [gen]\n      restart: always');
  fs.writeFileSync(path.join(dir, 'bad.yml'), text);
  const r = await flowctl(['validate', 'bad.yml']);
  assert.equal(r.code, 1);
  assert.equal(r.stderr, '');
  const expected =
    '✗ Pipeline validation failed with 1 error(s)\n' +
    '\n' +
    'ERROR: sink out references unknown input uper\n' +
    '  Field: spec.sinks[0].inputs[0]\n' +
    '  Fix: did you mean upper? use the id of a source, processor or sink: gen, upper\n' +
    '  Quick fix: Change to upper\n' +
    '  at bad.yml:17:16\n' +
    '\n' +
    'WARNING: unknown key `restart` in processor "upper" (ignored); did you mean `restart_policy`?\n' +
    '  Field: spec.processors[0].restart\n' +
    '  Hint: rename it to `restart_policy`\n' +
    '  Quick fix: Rename to `restart_policy`\n' +
    '  at bad.yml:13:7\n';
  assert.equal(r.stdout, expected);
});

test('hints print as 💡 lines with their place', async () => {
  fs.writeFileSync(path.join(dir, 'noproc.yml'), ['apiVersion: flowctl/v1', 'kind: Pipeline', 'metadata: {name: n}', 'spec:', '  sources:', '    - id: s', '      command: [sh]', '  sinks:', '    - id: k', '      command: [sh]', '      inputs: [s]', ''].join('\n'));
  const r = await flowctl(['validate', 'noproc.yml']);
  assert.equal(r.code, 0);
  assert.equal(
    r.stdout,
    '✓ Pipeline validation passed\n  2 components total\n\n💡 No processors defined (sinks read straight from the components named in their inputs)\n   at noproc.yml:4:1\n',
  );
});

test('YAML syntax errors are reported with their place, exit 1', async () => {
  fs.writeFileSync(path.join(dir, 'syntax.yml'), 'apiVersion: v1\nkind: Pipeline\nmetadata:\n  name: x\n  name: y\nspec: {sources: [\n');
  const r = await flowctl(['validate', 'syntax.yml']);
  assert.equal(r.code, 1);
  assert.match(r.stdout, /^✗ Pipeline validation failed with \d+ error\(s\)\n/);
  assert.match(r.stdout, /\nERROR: YAML syntax error: Map keys must be unique\n {2}Fix: .*\n {2}at syntax\.yml:5:3\n/);
  // The brackets left open on line 6 are reported where the outer one opens, once, and closed together.
  assert.match(r.stdout, /\nERROR: YAML syntax error: unclosed '\{': this mapping is never closed with '\}'\n {2}Fix: add the closing '\]\}'\n {2}Quick fix: Add the closing '\]\}' at the end of line 6\n {2}at syntax\.yml:6:7\n/);
  assert.match(r.stdout, /failed with 2 error\(s\)/);
});

test('hostile ids and names are refused with their place by validate and by run, and nothing is written outside the folder', async () => {
  const sub = fs.mkdtempSync(path.join(dir, 'hostile-'));
  const work = path.join(sub, 'a', 'b');
  fs.mkdirSync(work, { recursive: true });
  const text = [
    'apiVersion: flowctl/v1',
    'kind: Pipeline',
    'metadata:',
    '  name: ../../pipelines-escape',
    'spec:',
    '  sources:',
    '    - id: ../../escaped',
    '      command: [sh, -c, "sleep 30"]',
    '    - id: /tmp/absolute',
    '      command: [sh, -c, "sleep 30"]',
    '    - id: "line\\nbreak\\e[2J"',
    '      command: [sh, -c, "sleep 30"]',
    '',
  ].join('\n');
  fs.writeFileSync(path.join(work, 'flow.yml'), text);
  const v = await flowctl(['validate', 'flow.yml'], work);
  assert.equal(v.code, 1);
  assert.match(v.stdout, /ERROR: metadata\.name "\.\.\/\.\.\/pipelines-escape" is not allowed: it contains a path separator\n.*\n.*\n {2}Quick fix: Change to pipelines-escape\n {2}at flow\.yml:4:9\n/);
  assert.match(v.stdout, /ERROR: source id "\.\.\/\.\.\/escaped" is not allowed: it contains a path separator\n[\s\S]*?at flow\.yml:7:11\n/);
  assert.match(v.stdout, /ERROR: source id "\/tmp\/absolute" is not allowed[\s\S]*?at flow\.yml:9:11\n/);
  assert.match(v.stdout, /ERROR: source id "line\\nbreak\\u001b\[2J" is not allowed: it contains a control character[\s\S]*?at flow\.yml:11:11\n/);
  assert.doesNotMatch(v.stdout, /\u001b/, 'no raw escape reaches the terminal');

  const home = fs.mkdtempSync(path.join(sub, 'home-'));
  const r = await new Promise<Run>((resolve, reject) => {
    execFile(process.execPath, [CLI, 'run', 'flow.yml', '--control-plane-port', '0', '--log-dir', 'logs'], { cwd: work, timeout: 30_000, env: { ...process.env, NO_COLOR: '1', FLOWCTL_HOME: home } }, (err, stdout, stderr) => {
      if (err && typeof err.code !== 'number') return reject(err);
      resolve({ code: err ? (err.code as number) : 0, stdout, stderr });
    });
  });
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stdout + r.stderr, /flow\.yml:7:11: error: source id "\.\.\/\.\.\/escaped" is not allowed/);
  // Nothing started, nothing written: not next to the pipeline, not two folders up, not in /tmp.
  assert.deepEqual(fs.readdirSync(sub).sort(), ['a', path.basename(home)].sort());
  assert.deepEqual(fs.readdirSync(path.join(sub, 'a')), ['b']);
  assert.deepEqual(fs.readdirSync(work), ['flow.yml']);
  assert.equal(fs.existsSync('/tmp/absolute.log'), false);
});

test('a file over 10 MB is refused at once: `Error: pipeline file is too large`, exit 1', async () => {
  const big = path.join(dir, 'big.yml');
  fs.writeFileSync(big, VALID);
  fs.truncateSync(big, 50 * 1024 * 1024);
  const started = Date.now();
  const r = await flowctl(['validate', 'big.yml']);
  assert.equal(r.code, 1);
  assert.equal(r.stdout, '');
  assert.equal(r.stderr, 'Error: pipeline file is too large: 50.0 MB (the limit is 10.0 MB): big.yml\n');
  assert.ok(Date.now() - started < 20_000, 'refused without parsing');
});

test('--json carries the structured fixes', async () => {
  fs.writeFileSync(path.join(dir, 'fixes.yml'), VALID.replace('      inputs: [upper]', '      inputs: ["uppr"]'));
  const r = await flowctl(['validate', 'fixes.yml', '--json']);
  const d = JSON.parse(r.stdout).diagnostics[0];
  assert.equal(d.code, 'unknown-input');
  assert.deepEqual(d.fixes, [{ title: 'Change to "upper"', edits: [{ range: { line: 16, column: 16, endLine: 16, endColumn: 22 }, newText: '"upper"' }], preferred: true }]);
});

test('missing file: `Error: pipeline file not found: <path>` on stderr, exit 1', async () => {
  const r = await flowctl(['validate', 'nope/missing.yml']);
  assert.equal(r.code, 1);
  assert.equal(r.stdout, '');
  assert.equal(r.stderr, 'Error: pipeline file not found: nope/missing.yml\n');
  const d = await flowctl(['validate'], fs.mkdtempSync(path.join(dir, 'empty-')));
  assert.equal(d.stderr, 'Error: pipeline file not found: flow.yml\n');
  assert.equal(d.code, 1);
});

test('no file given and no flow.yml here: the error names the folder\'s pipeline files and the command to type', async () => {
  const here = fs.mkdtempSync(path.join(dir, 'others-'));
  fs.writeFileSync(path.join(here, 'pipeline.yaml'), VALID); // a flowctl user's usual name
  fs.writeFileSync(path.join(here, "we'ird.yml"), VALID.replace('kind: Pipeline', 'kind: "Pipeline"  # quoted'));
  fs.writeFileSync(path.join(here, 'notes.yml'), 'kind: Notes\nsays: kind: Pipeline\n'); // not a pipeline
  fs.mkdirSync(path.join(here, 'folder.yml')); // a folder with a YAML name
  execFileSync('mkfifo', [path.join(here, 'fifo.yml')]); // must not block the look around
  for (const [cmd, typed] of [[['validate'], 'validate'], [['run'], 'run'], [['translate', '-o', 'compose'], 'translate -o compose']] as const) {
    const r = await flowctl([...cmd], here);
    assert.equal(r.code, 1, `${typed}: ${r.stderr}`);
    assert.equal(
      r.stderr,
      `Error: pipeline file not found: flow.yml (the default when no file is given)\nthis folder has pipeline files: pipeline.yaml, 'we'\\''ird.yml'\nrun: flowctl ${typed} pipeline.yaml\n`,
    );
  }
  // --json keeps its shape; a file that was given is reported as it always was.
  const json = await flowctl(['validate', '--json'], here);
  assert.equal(JSON.parse(json.stdout).diagnostics[0].message, 'pipeline file not found: flow.yml');
  assert.equal((await flowctl(['validate', 'flow.yml'], here)).stderr, 'Error: pipeline file not found: flow.yml\n');
  // With flow.yml here, it is used, whatever else the folder has.
  fs.writeFileSync(path.join(here, 'flow.yml'), VALID);
  const ok = await flowctl(['validate'], here);
  assert.equal(ok.code, 0, ok.stderr);
});

test('--json prints {ok, file, diagnostics} with positions; exit code follows ok', async () => {
  fs.writeFileSync(path.join(dir, 'j.yml'), VALID.replace('kind: Pipeline', 'kind: Pipe'));
  const r = await flowctl(['validate', 'j.yml', '--json']);
  assert.equal(r.code, 1);
  const out = JSON.parse(r.stdout);
  assert.equal(out.ok, false);
  assert.equal(out.file, 'j.yml');
  assert.equal(out.components, 3);
  assert.deepEqual(
    out.diagnostics.map((d: any) => [d.severity, d.code, d.message, d.line, d.column, d.endLine, d.endColumn]),
    [['error', 'kind', "kind must be 'Pipeline', got: Pipe", 2, 7, 2, 11]],
  );
  const ok = await flowctl(['validate', 'good.yml', '--json']);
  assert.equal(ok.code, 0);
  assert.deepEqual(JSON.parse(ok.stdout), { ok: true, file: 'good.yml', pipeline: 'demo', components: 3, diagnostics: [] });
  const missing = await flowctl(['validate', 'gone.yml', '--json']);
  assert.equal(missing.code, 1);
  assert.equal(JSON.parse(missing.stdout).diagnostics[0].message, 'pipeline file not found: gone.yml');
});

test('commands are checked relative to the pipeline folder; --no-check-commands skips it', async () => {
  const sub = fs.mkdtempSync(path.join(dir, 'cmd-'));
  fs.mkdirSync(path.join(sub, 'bin'));
  fs.writeFileSync(path.join(sub, 'bin', 'src'), '#!/bin/sh\n', { mode: 0o755 });
  fs.writeFileSync(
    path.join(sub, 'flow.yml'),
    ['apiVersion: flowctl/v1', 'kind: Pipeline', 'metadata: {name: c}', 'spec:', '  sources:', '    - id: a', '      command: [./bin/src]', '    - id: b', '      command: [./bin/nothing]', ''].join('\n'),
  );
  // Run from another folder: ./bin/src must resolve next to the pipeline file, not the cwd.
  const r = await flowctl(['validate', path.join(path.basename(sub), 'flow.yml')], dir);
  assert.equal(r.code, 0, r.stdout);
  const warnings = r.stdout.split('\n').filter((l) => l.startsWith('WARNING: Command'));
  assert.deepEqual(warnings, ['WARNING: Command file not found: ./bin/nothing']);
  const skipped = await flowctl(['validate', '--no-check-commands', path.join(path.basename(sub), 'flow.yml')], dir);
  assert.ok(!skipped.stdout.includes('Command file not found'), skipped.stdout);
});

test('reference pipelines: registry examples pass with warnings; image-only examples pass (they run as containers; the engine is checked when they run)', async () => {
  const a = await flowctl(['validate', path.join(FIXTURES, 'quickstart-testnet-duckdb.yml')]);
  assert.equal(a.code, 0, a.stdout);
  assert.match(a.stdout, /^✓ Pipeline validation passed\n {2}3 components total\n/);
  assert.match(a.stdout, /WARNING: source "stellar-source" uses registry component stellar-live-source@v1\.0\.0: registry components are not supported offline/);
  const b = await flowctl(['validate', path.join(FIXTURES, 'cue-test-pipeline.yml')]);
  assert.equal(b.code, 0, b.stdout);
  assert.match(b.stdout, /^✓ Pipeline validation passed\n {2}3 components total\n/);
  assert.doesNotMatch(b.stdout, /container engine/);
  assert.match(b.stdout, /WARNING: driver "kubernetes" is not run here: components with a command run as processes, those with only an image as containers\n/);
  // The flag of `flowctl run`: a bad one is a usage error.
  const bad = await flowctl(['validate', '--orchestrator', 'nomad', path.join(FIXTURES, 'cue-test-pipeline.yml')]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /^Error: unknown orchestrator type: nomad \(use process or docker; "container" is the same as docker\)/);
});

test('usage errors: unknown flag and extra arguments exit 1 with Error:', async () => {
  const r = await flowctl(['validate', '--bogus']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^Error: unknown flag: --bogus/);
  const two = await flowctl(['validate', 'a.yml', 'b.yml']);
  assert.equal(two.code, 1);
  assert.match(two.stderr, /^Error: accepts at most 1 arg\(s\), received 2/);
});
