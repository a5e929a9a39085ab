// The endpoint file v2: entries per live process, private modes, v1 accepted, dead entries (pid or reused
// pid) pruned, one entry removed without touching the others, stale locks taken over, and no entry lost
// when several processes write at once.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import {
  addEndpointEntry,
  readEndpointEntries,
  removeEndpointEntries,
  updateEndpointEntries,
  runnerDialAddress,
} from '../../src/core/endpointFile';
import { processStartTime } from '../../src/core/supervisor/procfs';
import { makeTempDir, removeTempDir, repoRoot } from '../helpers/paths';

function tempHome(t: { after(fn: () => void): void }): string {
  const dir = makeTempDir('flowctl-endpoint-');
  t.after(() => removeTempDir(dir));
  return path.join(dir, 'home');
}

/** A pid that existed a moment ago and is gone now. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

const entry = (port: number, extra: Record<string, unknown> = {}) => ({
  kind: 'run' as const,
  address: '127.0.0.1',
  port,
  pipeline: `p${port}`,
  file: `/tmp/p${port}.yml`,
  token: `token-${port}`,
  tls: null,
  ...extra,
});

test('entries are added, read, updated and removed one by one; the file is 0600 in a 0700 folder', (t) => {
  const home = tempHome(t);
  const file = path.join(home, 'endpoint.json');
  addEndpointEntry(entry(1001), file);
  addEndpointEntry({ ...entry(1002), tls: { caFile: '/x/ca.pem', serverName: 'localhost' }, runner: { address: '127.0.0.1', port: 2002 } }, file);
  addEndpointEntry({ kind: 'server', address: '0.0.0.0', port: 1003, tls: null }, file);
  assert.equal(fs.statSync(file).mode & 0o777, 0o600);
  assert.equal(fs.statSync(home).mode & 0o777, 0o700);
  const raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  assert.equal(raw.version, 2);
  assert.equal(raw.entries.length, 3);

  const live = readEndpointEntries(file);
  assert.deepEqual(live.map((e) => e.port), [1001, 1002, 1003]);
  assert.equal(live[0].pid, process.pid);
  assert.equal(live[0].pidStartTime, processStartTime(process.pid));
  assert.deepEqual(live[1].tls, { caFile: '/x/ca.pem', serverName: 'localhost' });
  assert.equal(runnerDialAddress(live[1]), '127.0.0.1:2002');
  assert.equal(runnerDialAddress(live[0]), '127.0.0.1:1001');

  updateEndpointEntries((e) => e.token === 'token-1001', { runId: 'run-1' }, file);
  assert.equal(readEndpointEntries(file)[0].runId, 'run-1');

  // Removing one run's entry leaves every other entry as it was.
  removeEndpointEntries((e) => e.token === 'token-1001', file);
  assert.deepEqual(readEndpointEntries(file).map((e) => e.port), [1002, 1003]);
  removeEndpointEntries((e) => e.kind === 'server', file);
  removeEndpointEntries((e) => e.token === 'token-1002', file);
  assert.equal(fs.existsSync(file), false, 'the last entry takes the file with it');
  assert.deepEqual(fs.readdirSync(home), [], 'no temp or lock file left');
});

test('readers accept the v1 single object', (t) => {
  const home = tempHome(t);
  const file = path.join(home, 'endpoint.json');
  fs.mkdirSync(home, { recursive: true });
  fs.writeFileSync(file, JSON.stringify({ address: '127.0.0.1', port: 4444, pid: process.pid, pipeline: 'old', file: '/tmp/old.yml', startedAt: 'then', tls: false }));
  const [e] = readEndpointEntries(file);
  assert.equal(e.kind, 'run');
  assert.equal(e.port, 4444);
  assert.equal(e.pipeline, 'old');
  assert.equal(e.tls, null);
  fs.writeFileSync(file, JSON.stringify({ address: '127.0.0.1', port: 4445, pid: process.pid, startedAt: 'then', tls: true }));
  const [s] = readEndpointEntries(file);
  assert.equal(s.kind, 'server', 'a v1 entry without a pipeline is a server');
  assert.deepEqual(s.tls, {}, 'v1 tls: true = TLS with no files known');
  // A v2 writer keeps it (it is alive) and adds its own.
  addEndpointEntry(entry(4446), file);
  assert.deepEqual(readEndpointEntries(file).map((x) => x.port), [4445, 4446]);
});

test('entries of dead processes and of reused pids are ignored by readers and dropped by the next writer', (t) => {
  const home = tempHome(t);
  const file = path.join(home, 'endpoint.json');
  const gone = deadPid();
  addEndpointEntry({ ...entry(5001), pid: gone, pidStartTime: 1 }, file);
  addEndpointEntry({ ...entry(5002), pidStartTime: (processStartTime(process.pid) ?? 0) + 1 }, file); // our pid, another start time
  addEndpointEntry(entry(5003), file);
  assert.deepEqual(readEndpointEntries(file).map((e) => e.port), [5003]);
  const raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  assert.deepEqual(raw.entries.map((e: any) => e.port), [5003], 'the writes dropped the dead entries');
});

test('garbage is not an entry; an unreadable file reads as empty', (t) => {
  const home = tempHome(t);
  const file = path.join(home, 'endpoint.json');
  fs.mkdirSync(home, { recursive: true });
  fs.writeFileSync(file, JSON.stringify({ version: 2, entries: [{ address: 1 }, { kind: 'run', address: '127.0.0.1', port: 70000, pid: process.pid }, null, entry(6001)] }));
  assert.deepEqual(readEndpointEntries(file), []);
  fs.writeFileSync(file, '{not json');
  assert.deepEqual(readEndpointEntries(file), []);
  addEndpointEntry(entry(6002), file); // a writer replaces garbage
  assert.deepEqual(readEndpointEntries(file).map((e) => e.port), [6002]);
});

test('a stale lock left by a dead writer is taken over at once; a live holder is waited for', async (t) => {
  const home = tempHome(t);
  const file = path.join(home, 'endpoint.json');
  fs.mkdirSync(home, { recursive: true });
  fs.writeFileSync(`${file}.lock`, JSON.stringify({ pid: deadPid(), startTime: 1 }));
  const started = Date.now();
  addEndpointEntry(entry(7001), file);
  assert.ok(Date.now() - started < 1000, 'no wait for a dead holder');
  assert.equal(fs.existsSync(`${file}.lock`), false);

  // A live process holds the lock for ~600 ms: the writer waits, then writes.
  const holder = spawn(
    process.execPath,
    ['-e', `const fs=require('fs');fs.writeFileSync(${JSON.stringify(file + '.lock')}, JSON.stringify({pid:process.pid}),{flag:'wx'});console.log('held');setTimeout(()=>{fs.unlinkSync(${JSON.stringify(file + '.lock')});},600)`],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  t.after(() => holder.kill('SIGKILL'));
  await new Promise<void>((resolve) => holder.stdout!.once('data', () => resolve()));
  const t0 = Date.now();
  addEndpointEntry(entry(7002), file);
  assert.ok(Date.now() - t0 >= 300, 'waited for the holder');
  assert.deepEqual(readEndpointEntries(file).map((e) => e.port), [7001, 7002]);
});

test('several processes adding entries at once lose none', async (t) => {
  const home = tempHome(t);
  const file = path.join(home, 'endpoint.json');
  const writer = path.join(repoRoot(), 'out', 'test', 'fixtures', 'runctl', 'endpoint-writer.js');
  const writers = 6;
  const each = 25;
  const runs = Array.from({ length: writers }, (_, w) => {
    const child = spawn(process.execPath, [writer], {
      env: { ...process.env, ENDPOINT_FILE: file, OWNER_PID: String(process.pid), COUNT: String(each), PORT_BASE: String(10000 + w * 100) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    child.stderr!.on('data', (d) => (err += d));
    return new Promise<void>((resolve, reject) => child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`writer ${w} exited ${code}: ${err}`)))));
  });
  await Promise.all(runs);
  const ports = readEndpointEntries(file).map((e) => e.port).sort((a, b) => a - b);
  const expected = Array.from({ length: writers }, (_, w) => Array.from({ length: each }, (_, i) => 10000 + w * 100 + i)).flat();
  assert.equal(ports.length, writers * each);
  assert.deepEqual(ports, expected);
  assert.deepEqual(fs.readdirSync(home).sort(), ['endpoint.json'], 'no temp or lock file left');
});
