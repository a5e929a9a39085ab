// `flowctl server` as a real process (node dist/cli.js server …): address reporting, readable logs,
// graceful SIGTERM/SIGINT (exit 0, database closed), port in use, flag errors, `flowctl version`.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { call, componentInfo, expectCode, healthClient, legacyClient, v1Client } from '../helpers/grpc';
import { runCli, startCliServer, type CliServer } from '../helpers/cli';
import { occupyPort } from '../helpers/net';
import { makeTempDir, removeTempDir } from '../helpers/paths';
import { generateCerts } from '../helpers/certs';

describe('flowctl server (CLI)', () => {
  let home: string;
  let env: NodeJS.ProcessEnv;
  const running = new Set<CliServer>();

  const start = async (args: string[]) => {
    const s = await startCliServer(args, env);
    running.add(s);
    return s;
  };
  const stop = async (s: CliServer, signal: NodeJS.Signals = 'SIGTERM') => {
    s.child.kill(signal);
    const res = await s.exited;
    running.delete(s);
    return res;
  };

  before(() => {
    home = makeTempDir('flowctl-cli-home-');
    env = { FLOWCTL_HOME: home };
  });
  after(async () => {
    for (const s of running) s.child.kill('SIGKILL');
    removeTempDir(home);
  });

  test('serves both APIs on --port 0, logs readable lines, SIGTERM exits 0', async () => {
    const s = await start(['--port', '0', '--address', '127.0.0.1', '--no-persistence']);
    assert.match(s.endpoint, /^127\.0\.0\.1:\d+$/);
    assert.ok(s.port > 0);
    const v1 = v1Client(s.endpoint);
    const legacy = legacyClient(s.endpoint);
    const health = healthClient(s.endpoint);
    try {
      const res = await call(v1, 'RegisterComponent', { component: componentInfo('source-1', 1, { endpoint: ':50051' }) });
      assert.deepEqual(res.connection_info, { control_plane_endpoint: s.endpoint });
      await call(legacy, 'Register', { service_id: 'legacy-1', service_type: 3 });
      assert.equal((await call(health, 'check', { service: 'flowctl.ControlPlane' })).status, 'SERVING');
      await expectCode(call(v1, 'Heartbeat', { service_id: 'x' }), grpc.status.NOT_FOUND);
    } finally {
      v1.close();
      legacy.close();
      health.close();
    }
    // The endpoint file lets other CLI commands find this control plane.
    const file = JSON.parse(fs.readFileSync(path.join(home, 'endpoint.json'), 'utf8'));
    assert.equal(file.version, 2);
    const info = file.entries.find((e: any) => e.pid === s.child.pid);
    assert.equal(info?.kind, 'server');
    assert.equal(info.port, s.port);
    assert.equal(info.tls, null);

    const { code, signal } = await stop(s);
    assert.equal(signal, null);
    assert.equal(code, 0);
    const log = s.stderr();
    assert.match(log, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z INFO control plane listening on 127\.0\.0\.1:\d+ \(plaintext, storage memory/m);
    assert.match(log, /Z INFO registered source-1 \(COMPONENT_TYPE_SOURCE\) endpoint=:50051$/m);
    assert.match(log, /Z INFO registered legacy-1 \(COMPONENT_TYPE_CONSUMER\) endpoint=- \(legacy API\)$/m);
    assert.match(log, /INFO received SIGTERM, shutting down/);
    assert.match(log, /INFO control plane stopped$/m);
    assert.equal(fs.existsSync(path.join(home, 'endpoint.json')), false, 'endpoint file removed');
  });

  test('SIGINT with LMDB: exit 0, database closed, registrations there after a restart', async () => {
    const db = path.join(home, 'cli.lmdb');
    const s1 = await start(['--port', '0', '--address', '127.0.0.1', '--db-path', db]);
    assert.match(s1.stderr(), new RegExp(`storage lmdb ${db.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    const c1 = v1Client(s1.endpoint);
    await call(c1, 'RegisterComponent', { component: componentInfo('kept', 2) });
    c1.close();
    const r1 = await stop(s1, 'SIGINT');
    assert.equal(r1.code, 0);

    const s2 = await start(['--port', '0', '--address', '127.0.0.1', '--db-path', db]);
    const c2 = v1Client(s2.endpoint);
    try {
      const st = await call(c2, 'GetComponentStatus', { service_id: 'kept' });
      assert.equal(st.component.type, 2);
      assert.match(s2.stderr(), /restored 1 registration\(s\) from storage/);
    } finally {
      c2.close();
    }
    assert.equal((await stop(s2)).code, 0);
  });

  test('default database lives under FLOWCTL_HOME', async () => {
    const s = await start(['--port', '0', '--address', '127.0.0.1']);
    assert.match(s.stderr(), new RegExp(`storage lmdb ${path.join(home, 'registry.lmdb').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    assert.equal((await stop(s)).code, 0);
  });

  test('port in use: clear error naming address:port and --port 0, exit 1', async () => {
    const busy = await occupyPort('127.0.0.1');
    try {
      const res = await runCli(['server', '--address', '127.0.0.1', '--port', String(busy.port), '--no-persistence'], env);
      assert.equal(res.code, 1);
      assert.ok(
        res.stderr.includes(
          `Error: failed to create listener on 127.0.0.1:${busy.port}: address already in use\n` +
            'try a different port with --port or use --port 0 to auto-select a free port\n',
        ),
        res.stderr,
      );
    } finally {
      await busy.close();
    }
  });

  test('TLS flags: cert + key → tls; one without the other is an error', async () => {
    const dir = makeTempDir('flowctl-cli-tls-');
    try {
      const certs = generateCerts(dir);
      const s = await start(['--port', '0', '--address', '127.0.0.1', '--no-persistence', '--tls-cert', certs.serverCert, '--tls-key', certs.serverKey, '--tls-ca-cert', certs.caCert]);
      assert.match(s.stderr(), /listening on \S+ \(mtls,/);
      const c = legacyClient(s.endpoint, grpc.credentials.createSsl(fs.readFileSync(certs.caCert), fs.readFileSync(certs.clientKey), fs.readFileSync(certs.clientCert)), {
        'grpc.ssl_target_name_override': 'localhost',
      });
      try {
        await call(c, 'ListServices', {});
      } finally {
        c.close();
      }
      assert.equal((await stop(s)).code, 0);

      const half = await runCli(['server', '--port', '0', '--no-persistence', '--tls-cert', certs.serverCert], env);
      assert.equal(half.code, 1);
      assert.match(half.stderr, /^Error: --tls-cert and --tls-key must be given together$/m);
      const missing = await runCli(['server', '--port', '0', '--no-persistence', '--tls-cert', path.join(dir, 'no.crt'), '--tls-key', certs.serverKey], env);
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /^Error: cannot read TLS certificate file .*no\.crt: file does not exist$/m);
    } finally {
      removeTempDir(dir);
    }
  });

  test('flag errors: Error: <message>, exit 1', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['server', '--bogus'], /^Error: unknown flag: --bogus$/m],
      [['server', '--heartbeat-ttl', '30'], /^Error: invalid argument "30" for "--heartbeat-ttl" flag: .*missing unit/m],
      [['server', '--port', 'abc'], /^Error: invalid argument "abc" for "--port" flag: not a number$/m],
      [['server', '--port', '70000'], /^Error: invalid port 70000/m],
      [['server', '--log-level', 'loud'], /^Error: invalid log level "loud"/m],
      [['nonsense'], /^Error: unknown command "nonsense" for "flowctl"$/m],
      [['pipelines', 'activ'], /^Error: unknown command "activ" for "flowctl pipelines"\nDid you mean "active"\?\nRun 'flowctl pipelines --help' for usage\.$/m],
      [['pipelines', 'bogus'], /^Error: unknown command "bogus" for "flowctl pipelines"\nRun 'flowctl pipelines --help' for usage\.$/m],
    ];
    for (const [args, re] of cases) {
      const res = await runCli(args, env);
      assert.equal(res.code, 1, `${args.join(' ')}: ${res.stderr}`);
      assert.match(res.stderr, re);
    }
  });

  test('flowctl version and help', async () => {
    const v = await runCli(['version'], env);
    assert.equal(v.code, 0);
    assert.match(v.stdout, /^flowctl version \d+\.\d+\.\d+\n  commit: .+\n  built: .+\n  node: v\d+.*\n  os\/arch: \w+\/\w+\n$/);
    const h = await runCli(['--help'], env);
    assert.equal(h.code, 0);
    assert.match(h.stdout, /Usage:\n  flowctl <command> \[flags\]/);
    assert.doesNotMatch(h.stdout, /^\s+server\s/m, 'server is hidden');
    const sh = await runCli(['server', '--help'], env);
    assert.equal(sh.code, 0);
    assert.match(sh.stdout, /--heartbeat-ttl duration\s+.*\(default 30s\)/);
    assert.match(sh.stdout, /--no-persistence/);
    // A command group with no subcommand prints its help, as flowctl's cobra does (no control plane needed).
    const group = await runCli(['pipelines'], env);
    assert.equal(group.code, 0, group.stderr);
    assert.match(group.stdout, /^List, inspect and stop pipeline runs\n\nUsage:\n  flowctl pipelines list\|runs <pipeline-name>\|run-info <run-id>\|stop <run-id>\|active \[flags\]/);
    assert.equal(group.stderr, '');
  });
});
