// Debug a component: which runtime a command starts, the debugger start built from it (the one-time
// override the runner gets), the debugger's address, the attach configuration, and what the program
// file says about itself (shebang, Go build information in an ELF file).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  attachConfiguration,
  checkNeeds,
  detectLaunch,
  listeningPorts,
  nonLoopbackListen,
  parseInspectorLine,
  planDebug,
  programFacts,
  shebangCommand,
  type PlanInput,
} from '../../src/core/debug/index';

const CWD = '/work/pipe';
const plan = (command: string[], more: Partial<PlanInput> = {}) => planDebug({ id: 'c', command, cwd: CWD, facts: {}, freePort: 45678, ...more });
const ok = (r: ReturnType<typeof planDebug>) => {
  if (!r.ok) assert.fail(`expected a plan, got: ${r.error.message}`);
  return r.plan;
};
const cmd = (r: ReturnType<typeof planDebug>) => ok(r).override.command ?? [];

test('node: the inspector on 127.0.0.1:0 right after the program; node options kept, old --inspect flags replaced', () => {
  const p = ok(plan(['node', '../dist/x.js'], { args: ['--rate', '5'] }));
  assert.equal(p.runtime, 'node');
  assert.deepEqual(p.override, { command: ['node', '--inspect=127.0.0.1:0', '../dist/x.js', '--rate', '5'], args: [] });
  assert.equal(p.ready, 'inspector-line');
  assert.equal(p.port, undefined, 'node reports its own port');
  assert.equal(p.program, '/work/dist/x.js');
  assert.equal(p.commandLine, 'node --inspect=127.0.0.1:0 ../dist/x.js --rate 5');

  assert.deepEqual(cmd(plan(['/usr/local/bin/node20', '--enable-source-maps', '-r', 'dotenv/config', '--inspect-brk=9999', 'app.js', '--inspect'])), [
    '/usr/local/bin/node20', '--inspect=127.0.0.1:0', '--enable-source-maps', '-r', 'dotenv/config', 'app.js', '--inspect',
  ], 'the script\'s own --inspect argument is left alone');
  // debug: { args, attach.port } go to node.
  assert.deepEqual(cmd(plan(['nodejs', 'a.js'], { debug: { args: ['--enable-source-maps'], attach: { port: 9230 } } })), ['nodejs', '--inspect=127.0.0.1:9230', '--enable-source-maps', 'a.js']);
  assert.equal(ok(plan(['node', 'a.js'], { debug: { attach: { port: 9230 } } })).port, 9230);
  // A .js file or a node shebang runs through node.
  assert.deepEqual(cmd(plan(['./tool.mjs', 'x'])), ['node', '--inspect=127.0.0.1:0', './tool.mjs', 'x']);
  assert.deepEqual(cmd(plan(['./tool', 'x'], { facts: { shebang: '/usr/bin/env node' } })), ['node', '--inspect=127.0.0.1:0', './tool', 'x']);
  assert.deepEqual(ok(plan(['./tool'], { facts: { shebang: '/usr/bin/env node' } })).needs.map((n) => n.kind === 'program' && n.name), ['node']);
});

test('node through NODE_OPTIONS when debug.runtime is node and the command is a wrapper', () => {
  const p = ok(plan(['./start.sh', 'prod'], { debug: { runtime: 'node', args: ['--enable-source-maps'] }, nodeOptions: '--max-old-space-size=512 --inspect=0.0.0.0:1' }));
  assert.deepEqual(p.override, { env: { NODE_OPTIONS: '--max-old-space-size=512 --inspect=127.0.0.1:0 --enable-source-maps' } });
  assert.equal(p.commandLine, "NODE_OPTIONS='--max-old-space-size=512 --inspect=127.0.0.1:0 --enable-source-maps' ./start.sh prod");
});

test('python: debugpy listens on the chosen loopback port and waits for the editor; interpreter options stay before -m debugpy', () => {
  const p = ok(plan(['python3', '-u', '-X', 'dev', 'app.py', '--in', 'x']));
  assert.equal(p.runtime, 'python');
  assert.deepEqual(p.override.command, ['python3', '-u', '-X', 'dev', '-m', 'debugpy', '--listen', '127.0.0.1:45678', '--wait-for-client', 'app.py', '--in', 'x']);
  assert.equal(p.port, 45678);
  assert.equal(p.ready, 'port');
  assert.deepEqual(p.needs, [{ kind: 'python-module', python: 'python3', module: 'debugpy', install: p.needs[0].kind === 'python-module' ? p.needs[0].install : '' }]);
  assert.deepEqual(cmd(plan(['python', '-m', 'mypkg.main', 'a'])), ['python', '-m', 'debugpy', '--listen', '127.0.0.1:45678', '--wait-for-client', '-m', 'mypkg.main', 'a']);
  assert.deepEqual(cmd(plan(['python3.12', '-mmypkg'])), ['python3.12', '-m', 'debugpy', '--listen', '127.0.0.1:45678', '--wait-for-client', '-m', 'mypkg']);
  assert.deepEqual(cmd(plan(['./job.py', 'a'])), ['python3', '-m', 'debugpy', '--listen', '127.0.0.1:45678', '--wait-for-client', './job.py', 'a']);
  assert.deepEqual(cmd(plan(['./job', 'a'], { facts: { shebang: '/usr/bin/python3.11 -u' } })), ['/usr/bin/python3.11', '-u', '-m', 'debugpy', '--listen', '127.0.0.1:45678', '--wait-for-client', './job', 'a']);
  assert.deepEqual(cmd(plan(['python3', 'app.py'], { debug: { args: ['--log-to', '/tmp/dbg'], attach: { port: 5678 } } })), ['python3', '-m', 'debugpy', '--listen', '127.0.0.1:5678', '--wait-for-client', '--log-to', '/tmp/dbg', 'app.py']);
});

test('go: Delve exec for a Go binary, dlv debug for go run; headless on loopback, several clients, running at once', () => {
  const p = ok(plan(['./bin/svc', '-v'], { facts: { goBinary: true }, resolvedProgram: '/work/pipe/bin/svc' }));
  assert.equal(p.runtime, 'go');
  assert.deepEqual(p.override.command, ['dlv', 'exec', '/work/pipe/bin/svc', '--headless', '--listen=127.0.0.1:45678', '--api-version=2', '--accept-multiclient', '--continue', '--', '-v']);
  assert.deepEqual(p.needs.map((n) => n.kind === 'program' && n.name), ['dlv']);
  const r = ok(plan(['go', 'run', '-tags', 'dev', './cmd/svc', '--port', '1']));
  assert.deepEqual(r.override.command, ['dlv', 'debug', './cmd/svc', '--headless', '--listen=127.0.0.1:45678', '--api-version=2', '--accept-multiclient', '--continue', '--build-flags=-tags dev', '--', '--port', '1']);
  assert.ok(r.listenTimeoutMs >= 300_000, 'dlv debug compiles first: a long wait');
  assert.deepEqual(cmd(plan(['go', 'run', 'main.go', 'util.go', 'x'])).slice(0, 4), ['dlv', 'debug', 'main.go', 'util.go']);
  // debug.runtime go trusts the user for a binary that does not look like Go.
  assert.deepEqual(cmd(plan(['./svc'], { debug: { runtime: 'go' } })).slice(0, 3), ['dlv', 'exec', './svc']);
});

test('debug.command replaces the start; ${port} is the picked port; debug.env is added', () => {
  const p = ok(plan(['./run.sh'], { debug: { runtime: 'python', command: ['./run-debug.sh', '--port=${port}'], env: { DEBUG_PORT: '${port}' } } }));
  assert.deepEqual(p.override, { command: ['./run-debug.sh', '--port=45678'], args: [], env: { DEBUG_PORT: '45678' } });
  assert.equal(p.port, 45678);
  const q = ok(plan(['./run.sh'], { debug: { runtime: 'go', command: ['./dbg.sh'], attach: { port: 2345 } } }));
  assert.equal(q.port, 2345);
  const n = ok(plan(['./run.sh'], { debug: { runtime: 'node', command: ['node', '--inspect=127.0.0.1:0', 'x.js'] } }));
  assert.equal(n.port, undefined);
  assert.equal(n.ready, 'inspector-line');
  // debug.env on a recognised command goes with the override.
  assert.deepEqual(ok(plan(['node', 'a.js'], { debug: { env: { DEBUG: 'x' } } })).override.env, { DEBUG: 'x' });
});

test('what cannot be debugged says why and how to fix it', () => {
  const r = plan(['./run.sh', 'x']);
  assert.equal(r.ok, false);
  if (!r.ok) {
    assert.equal(r.error.code, 'unsupported');
    assert.match(r.error.message, /^cannot tell how to debug c: `run\.sh` is not node, python/);
    assert.match(r.error.fix ?? '', /debug: \{ runtime: node \}/);
  }
  const sh = plan(['./run'], { facts: { shebang: '/bin/bash -e' } });
  assert.ok(!sh.ok && /`run` is a script run by `\/bin\/bash`/.test(sh.error.message));
  const conflict = plan(['python3', 'a.py'], { debug: { runtime: 'node' } });
  assert.ok(!conflict.ok && /debug\.runtime is node, but `python3` starts python/.test(conflict.error.message));
  const noScript = plan(['node']);
  assert.ok(!noScript.ok && /started without a script/.test(noScript.error.message));
  const noPort = plan(['x'], { debug: { runtime: 'python', command: ['./dbg.sh'] } });
  assert.ok(!noPort.ok && /does not say where the debugger listens/.test(noPort.error.message));
  const noRuntime = plan(['x'], { debug: { command: ['./dbg.sh'] } });
  assert.ok(!noRuntime.ok && /needs debug\.runtime/.test(noRuntime.error.message));
  assert.equal(plan(['x'], { debug: { runtime: 'ruby' } }).ok, false);
});

test('detectLaunch splits options from the program and its arguments', () => {
  const d = detectLaunch(['node', '--title', 'x', '-e', 'console.log(1)'], {});
  assert.ok(d.ok && d.launch.how === 'node' && d.launch.options.join(' ') === '--title x -e' && d.launch.rest.join(' ') === 'console.log(1)');
  assert.deepEqual(shebangCommand('/usr/bin/env -S python3 -u'), ['python3', '-u']);
  assert.deepEqual(shebangCommand(' /usr/bin/node '), ['/usr/bin/node']);
});

test('the inspector line, listening ports and loopback checks', () => {
  assert.deepEqual(parseInspectorLine('Debugger listening on ws://127.0.0.1:40321/3f2c8a1e-3b7d-4c5e-9d1a-000000000000'), {
    host: '127.0.0.1',
    port: 40321,
    websocketUrl: 'ws://127.0.0.1:40321/3f2c8a1e-3b7d-4c5e-9d1a-000000000000',
  });
  assert.equal(parseInspectorLine('\x1b[2mDebugger listening on ws://[::1]:9229/abc-1\x1b[0m')?.host, '::1');
  assert.equal(parseInspectorLine('For help, see: https://nodejs.org/en/docs/inspector'), undefined);
  const table = [
    '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
    '   0: 0100007F:B26E 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0000000000000000 100 0 0 10 0',
    '   1: 0100007F:1F90 0100007F:9C40 01 00000000:00000000 00:00000000 00000000     0        0 2 1 0000000000000000 20 4 30 10 -1',
  ].join('\n');
  assert.deepEqual([...listeningPorts(table)], [0xb26e], 'only LISTEN (0A) rows');
  assert.equal(nonLoopbackListen(['--inspect=127.0.0.1:0', '--listen', '127.0.0.1:${port}', '--listen=localhost:1', '--inspect=9229']), undefined);
  assert.deepEqual(nonLoopbackListen(['a', '--listen=:2345']), { index: 1, address: ':2345' });
  assert.deepEqual(nonLoopbackListen(['--listen', '0.0.0.0:5678']), { index: 1, address: '0.0.0.0:5678' });
  assert.deepEqual(nonLoopbackListen(['--inspect=example.org:9229']), { index: 0, address: 'example.org:9229' });
  assert.deepEqual(nonLoopbackListen(['--bind', '10.0.0.5']), { index: 1, address: '10.0.0.5' });
  assert.deepEqual(nonLoopbackListen(['--host=[::]']), { index: 0, address: '[::]' });
});

test('attach configurations: node with source maps for the component folders, debugpy, Delve remote', () => {
  const node = attachConfiguration({ runtime: 'node', host: '127.0.0.1', port: 40321, websocketUrl: 'ws://127.0.0.1:40321/x', cwd: '/p', program: '/d/dist/c.js' }, { name: 'flowctl: c', extra: { __flowctl: 1 } });
  assert.equal(node.type, 'node');
  assert.equal(node.request, 'attach');
  assert.equal(node.port, 40321);
  assert.equal(node.address, '127.0.0.1');
  assert.equal(node.sourceMaps, true);
  assert.deepEqual(node.outFiles, ['/p/**/*.(m|c|)js', '/d/dist/**/*.(m|c|)js', '!**/node_modules/**']);
  assert.equal(node.__flowctl, 1);
  const py = attachConfiguration({ runtime: 'python', host: '127.0.0.1', port: 5678, cwd: '/p' }, { name: 'n', pythonType: 'python' });
  assert.deepEqual([py.type, py.connect], ['python', { host: '127.0.0.1', port: 5678 }]);
  const go = attachConfiguration({ runtime: 'go', host: '127.0.0.1', port: 2345, cwd: '/p' }, { name: 'n' });
  assert.deepEqual([go.type, go.mode, go.host, go.port], ['go', 'remote', '127.0.0.1', 2345]);
});

/** A minimal 64-bit little-endian ELF file whose section names are `names` (nothing else in it). */
function elfWithSections(names: string[]): Buffer {
  const strtab = Buffer.from(['', ...names, '.shstrtab'].join('\0') + '\0', 'latin1');
  const nameOffsets: number[] = [];
  let o = 1;
  for (const n of [...names, '.shstrtab']) {
    nameOffsets.push(o);
    o += n.length + 1;
  }
  const shnum = names.length + 2; // null section + names + .shstrtab
  const shoff = 64 + strtab.length;
  const buf = Buffer.alloc(shoff + shnum * 64);
  buf.writeUInt32BE(0x7f454c46, 0);
  buf[4] = 2; // 64-bit
  buf[5] = 1; // little endian
  buf[6] = 1;
  buf.writeBigUInt64LE(BigInt(shoff), 0x28);
  buf.writeUInt16LE(64, 0x3a);
  buf.writeUInt16LE(shnum, 0x3c);
  buf.writeUInt16LE(shnum - 1, 0x3e);
  strtab.copy(buf, 64);
  for (let i = 1; i < shnum; i++) {
    const at = shoff + i * 64;
    buf.writeUInt32LE(nameOffsets[i - 1], at);
    if (i === shnum - 1) {
      buf.writeBigUInt64LE(64n, at + 0x18);
      buf.writeBigUInt64LE(BigInt(strtab.length), at + 0x20);
    }
  }
  return buf;
}

test('programFacts: shebang, Go binaries by their sections or build-info marker, other binaries', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dbg-facts-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, data: string | Buffer) => {
    const f = path.join(dir, name);
    fs.writeFileSync(f, data, { mode: 0o700 });
    return f;
  };
  assert.deepEqual(programFacts(write('s', '#!/usr/bin/env python3\nprint(1)\n')), { shebang: '/usr/bin/env python3' });
  assert.deepEqual(programFacts(write('go', elfWithSections(['.text', '.gopclntab', '.go.buildinfo']))), { goBinary: true });
  assert.deepEqual(programFacts(write('c', elfWithSections(['.text', '.data', '.bss']))), {});
  const macho = Buffer.concat([Buffer.from([0xcf, 0xfa, 0xed, 0xfe, 0, 0, 0, 0]), Buffer.alloc(5000), Buffer.from('\xff Go buildinf:', 'latin1'), Buffer.alloc(100)]);
  assert.deepEqual(programFacts(write('m', macho)), { goBinary: true }, 'a non-ELF binary is searched for the marker');
  assert.deepEqual(programFacts(path.join(dir, 'missing')), {});
  assert.deepEqual(programFacts(dir), {}, 'a folder says nothing');
  // Go's own toolchain binary is a Go program, node is not (when they are installed here).
  const node = process.execPath;
  assert.equal(programFacts(node).goBinary, undefined, `${node} is not a Go binary`);
});

test('checkNeeds names what is missing and how to install it', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dbg-needs-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const env = { PATH: dir };
  await assert.rejects(checkNeeds([{ kind: 'program', name: 'dlv', what: 'Delve (dlv)', install: 'install dlv' }], dir, env), (e: Error & { code?: string; fix?: string }) => {
    assert.equal(e.code, 'tool-missing');
    assert.equal(e.message, 'Delve (dlv) is not on PATH');
    assert.equal(e.fix, 'install dlv');
    return true;
  });
  // A "python" that cannot import the module (a script standing in for the interpreter).
  fs.writeFileSync(path.join(dir, 'python3'), '#!/bin/sh\necho "ModuleNotFoundError: No module named \'debugpy\'" >&2\nexit 1\n', { mode: 0o755 });
  await assert.rejects(checkNeeds([{ kind: 'python-module', python: 'python3', module: 'debugpy', install: 'pip install debugpy' }], dir, env), (e: Error & { fix?: string }) => {
    assert.match(e.message, /^debugpy is not installed for .*python3 \(ModuleNotFoundError: No module named 'debugpy'\)$/);
    assert.equal(e.fix, 'install it: pip install debugpy');
    return true;
  });
  fs.writeFileSync(path.join(dir, 'python3'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
  await checkNeeds([{ kind: 'python-module', python: 'python3', module: 'debugpy', install: '' }], dir, env);
});
