// Small pieces of run control: token comparison, loopback peers, choosing the run a command means,
// the run lock (one run per pipeline file).
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { newRunToken, tokensEqual } from '../../src/core/runctl/token';
import { isLoopbackPeer, peerHost } from '../../src/core/runctl/peer';
import { chooseEntry, entryAt, RunSelectionError } from '../../src/core/runctl/findRun';
import { acquireRunLock, PipelineAlreadyRunningError, runLockPath } from '../../src/core/runctl/runLock';
import type { EndpointEntry } from '../../src/core/endpointFile';
import { makeTempDir, removeTempDir } from '../helpers/paths';
import { generateCerts } from '../helpers/certs';
import { clientChannel, clientTlsForServer } from '../../src/core/runctl/clientTls';

test('owner tokens: 64 hex characters, compared exactly', () => {
  const a = newRunToken();
  assert.match(a, /^[0-9a-f]{64}$/);
  assert.notEqual(a, newRunToken());
  assert.equal(tokensEqual(a, a), true);
  assert.equal(tokensEqual(a, a.slice(0, 63)), false);
  assert.equal(tokensEqual(a, a.toUpperCase()), false);
  assert.equal(tokensEqual(a, undefined), false);
  assert.equal(tokensEqual(a, ''), false);
  assert.equal(tokensEqual(a, 'x'.repeat(100_000)), false);
  assert.equal(tokensEqual('', ''), false, 'no token configured never matches');
});

test('loopback peers', () => {
  assert.equal(peerHost('ipv4:127.0.0.1:5341'), '127.0.0.1');
  assert.equal(peerHost('ipv6:[::1]:5341'), '::1');
  assert.equal(peerHost('127.0.0.5:80'), '127.0.0.5');
  assert.equal(isLoopbackPeer('ipv4:127.0.0.1:5341'), true);
  assert.equal(isLoopbackPeer('127.9.9.9:1'), true);
  assert.equal(isLoopbackPeer('ipv6:[::1]:5341'), true);
  assert.equal(isLoopbackPeer('[::ffff:127.0.0.1]:1'), true);
  assert.equal(isLoopbackPeer('unix:/tmp/x.sock'), true);
  assert.equal(isLoopbackPeer('ipv4:10.0.0.2:5341'), false);
  assert.equal(isLoopbackPeer('ipv6:[fe80::1]:5341'), false);
  assert.equal(isLoopbackPeer(''), false);
});

const run = (port: number, file: string, extra: Partial<EndpointEntry> = {}): EndpointEntry => ({
  kind: 'run',
  address: '127.0.0.1',
  port,
  pid: 100 + port,
  pipeline: path.basename(file, '.yml'),
  file,
  startedAt: '',
  tls: null,
  ...extra,
});

test('choosing the run: -f, then the flow.yml here, then the only one, else a list', (t) => {
  const dir = makeTempDir('flowctl-choose-');
  t.after(() => removeTempDir(dir));
  const a = path.join(dir, 'a.yml');
  const here = path.join(dir, 'here');
  fs.mkdirSync(here);
  const flow = path.join(here, 'flow.yml');
  fs.writeFileSync(a, '');
  fs.writeFileSync(flow, '');
  const ra = run(1, a);
  const rf = run(2, flow);
  const server: EndpointEntry = { kind: 'server', address: '127.0.0.1', port: 3, pid: 3, startedAt: '', tls: null };

  assert.equal(chooseEntry([], {}), undefined);
  assert.equal(chooseEntry([ra], { cwd: dir }), ra, 'the only one');
  assert.equal(chooseEntry([ra, rf], { file: a, cwd: here }), ra, '-f wins over the flow.yml here');
  assert.equal(chooseEntry([ra, rf], { cwd: here }), rf, 'the flow.yml here');
  assert.equal(chooseEntry([ra, rf], { file: path.relative(process.cwd(), a) }), ra, 'relative -f');
  assert.throws(
    () => chooseEntry([ra, rf], { cwd: dir }),
    (err: unknown) =>
      err instanceof RunSelectionError && err.reason === 'ambiguous' && /2 flowctl runs are live; say which with -f\/--file/.test(err.message) && err.message.includes(a) && err.message.includes('101') && err.message.includes('127.0.0.1:1'),
  );
  assert.throws(() => chooseEntry([ra], { file: path.join(dir, 'other.yml'), strictFile: true }), /no flowctl run of .*other\.yml is running; the live runs are:\n.*a\.yml/s);
  assert.equal(chooseEntry([ra], { file: path.join(dir, 'other.yml'), cwd: dir }), ra, 'not strict: falls back to the only one');
  assert.equal(chooseEntry([server, ra], { kinds: ['run'], cwd: dir }), ra, 'servers are not runs');
  // A server and a run that uses it (external control plane) are one control plane.
  const ext = run(3, a, { runner: { address: '127.0.0.1', port: 9 } });
  assert.equal(chooseEntry([server, ext], { cwd: dir }), ext);
  assert.equal(entryAt([ra, ext], '127.0.0.1:9'), ext, 'found by its runner port');
  assert.equal(entryAt([ra, ext], 'localhost:1'), ra);
  assert.equal(entryAt([ra], '127.0.0.1:77'), undefined);
});

test('the run lock: one run per pipeline file, a dead holder taken over', (t) => {
  const dir = makeTempDir('flowctl-runlock-');
  t.after(() => removeTempDir(dir));
  const home = path.join(dir, 'home');
  const file = path.join(dir, 'flow.yml');
  fs.writeFileSync(file, '');
  const lock = acquireRunLock(home, file, 'demo');
  assert.equal(fs.statSync(lock.path).mode & 0o777, 0o600);
  assert.throws(() => acquireRunLock(home, file), (err: unknown) => err instanceof PipelineAlreadyRunningError && err.pid === process.pid && /flowctl stop -f /.test(err.message));
  // The same file through a symlink is the same file.
  const link = path.join(dir, 'link.yml');
  fs.symlinkSync(file, link);
  assert.throws(() => acquireRunLock(home, link), PipelineAlreadyRunningError);
  // Another file is another lock.
  const other = path.join(dir, 'other.yml');
  fs.writeFileSync(other, '');
  acquireRunLock(home, other).release();
  lock.release();
  assert.equal(fs.existsSync(lock.path), false);

  // A lock of a dead runner is taken over.
  const dead = Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);
  fs.writeFileSync(runLockPath(home, file), JSON.stringify({ pid: dead, startTime: 1, file }));
  const again = acquireRunLock(home, file);
  assert.match(fs.readFileSync(again.path, 'utf8'), new RegExp(`"pid":${process.pid}`));
  again.release();
});

test('what a local client needs to reach a TLS server we serve: the CA that signed it, or the self-signed certificate, and a name when the host is not in it', (t) => {
  const dir = makeTempDir('flowctl-clienttls-');
  t.after(() => removeTempDir(dir));
  const certs = generateCerts(dir);
  // CA-signed, mutual: the CA verifies the server; 127.0.0.1 is in the certificate.
  assert.deepEqual(clientTlsForServer({ certFile: certs.serverCert, keyFile: certs.serverKey, caFile: certs.caCert }, '127.0.0.1'), { caFile: certs.caCert });
  // Dialled as ::1 (not in the certificate): verify the name it carries.
  assert.deepEqual(clientTlsForServer({ certFile: certs.serverCert, keyFile: certs.serverKey, caFile: certs.caCert }, '::1'), { caFile: certs.caCert, serverName: 'localhost' });
  // A CA that did not sign it is not recorded; a CA-signed certificate alone gives no CA (system roots).
  assert.deepEqual(clientTlsForServer({ certFile: certs.serverCert, keyFile: certs.serverKey, caFile: certs.otherCaCert }, '127.0.0.1'), {});
  assert.deepEqual(clientTlsForServer({ certFile: certs.serverCert, keyFile: certs.serverKey }, '127.0.0.1'), {});
  // A self-signed certificate is its own CA.
  assert.deepEqual(clientTlsForServer({ certFile: certs.caCert, keyFile: path.join(dir, 'ca.key') }, 'localhost'), { caFile: certs.caCert, serverName: 'flowctl test CA' });
  // Unreadable files: nothing recorded (the server itself would not have started).
  assert.deepEqual(clientTlsForServer({ certFile: path.join(dir, 'missing.crt'), keyFile: 'x' }, '127.0.0.1'), {});
  assert.throws(() => clientChannel({ caFile: path.join(dir, 'missing.crt') }), /cannot read the CA certificate .*missing\.crt: ENOENT/);
  assert.throws(() => clientChannel({ certFile: certs.clientCert }), /client certificate and its key go together/);
});
