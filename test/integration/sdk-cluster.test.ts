// The SDK in a cluster: mutual TLS to the control plane (FLOWCTL_TLS_*), the advertised host and the
// instance name it registers with. Real processes, a real control plane requiring client certificates.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ControlPlaneServer } from '../../src/core/controlplane/server';
import { fixture, startComponent, waitFor, type RunningComponent } from '../fixtures/components/harness';
import { generateCerts, type TestCerts } from '../helpers/certs';
import { makeTempDir, removeTempDir } from '../helpers/paths';

const running: RunningComponent[] = [];
const servers: ControlPlaneServer[] = [];
let dir: string;
let certs: TestCerts;

before(() => {
  dir = makeTempDir('flowctl-sdk-cluster-');
  certs = generateCerts(dir);
});
after(async () => {
  await Promise.all(running.map((c) => c.stop(3000)));
  await Promise.all(servers.map((s) => s.stop().catch(() => undefined)));
  removeTempDir(dir);
});

function start(env: Record<string, string>): RunningComponent {
  const c = startComponent(fixture('count-source'), env);
  running.push(c);
  return c;
}

describe('SDK in a cluster', () => {
  it('registers over mutual TLS with FLOWCTL_TLS_*; without a client certificate it cannot', async () => {
    const cp = await ControlPlaneServer.start({
      port: 0,
      log: () => undefined,
      tls: { certFile: certs.serverCert, keyFile: certs.serverKey, caFile: certs.caCert },
    });
    servers.push(cp);
    assert.equal(cp.security, 'mtls');
    const base = { ENABLE_FLOWCTL: 'true', FLOWCTL_ENDPOINT: cp.endpoint, FLOWCTL_HEARTBEAT_INTERVAL: '200ms', FLOWCTL_TLS_CA_FILE: certs.caCert, FLOWCTL_TLS_SERVER_NAME: 'localhost' };
    const good = start({ ...base, FLOWCTL_COMPONENT_ID: 'with-cert', FLOWCTL_TLS_CERT_FILE: certs.clientCert, FLOWCTL_TLS_KEY_FILE: certs.clientKey });
    const bad = start({ ...base, FLOWCTL_COMPONENT_ID: 'no-cert' });
    await waitFor(() => cp.registry.get('with-cert'), 15_000, 'the component with a client certificate to register');
    await waitFor(() => /cannot register with the control plane/.test(bad.output()), 15_000, 'the component without one to say it cannot register');
    assert.equal(cp.registry.get('no-cert'), undefined);
    const beats = cp.registry.get('with-cert')!.lastHeartbeat;
    await waitFor(() => cp.registry.get('with-cert')!.lastHeartbeat > beats, 10_000, 'heartbeats over TLS');
    assert.equal((await good.stop()).code, 0);
  });

  it('a missing TLS file stops the component at start, by name', async () => {
    const c = start({ ENABLE_FLOWCTL: 'true', FLOWCTL_ENDPOINT: '127.0.0.1:1', FLOWCTL_TLS_CA_FILE: '/nonexistent/ca.crt' });
    const r = await c.exited;
    assert.notEqual(r.code, 0);
    assert.match(c.output(), /cannot read FLOWCTL_TLS_CA_FILE \/nonexistent\/ca\.crt: file does not exist/);
  });

  it('advertises FLOWCTL_ADVERTISE_HOST and sends FLOWCTL_INSTANCE as metadata', async () => {
    const cp = await ControlPlaneServer.start({ port: 0, log: () => undefined });
    servers.push(cp);
    start({ ENABLE_FLOWCTL: 'true', FLOWCTL_ENDPOINT: cp.endpoint, FLOWCTL_COMPONENT_ID: 'adv', FLOWCTL_ADVERTISE_HOST: '127.0.0.9', FLOWCTL_INSTANCE: '2', PORT: '127.0.0.1:0' });
    await waitFor(() => cp.registry.get('adv'), 15_000, 'registration');
    const rec = cp.registry.get('adv')!;
    assert.match(rec.info.endpoint, /^127\.0\.0\.9:\d+$/);
    assert.equal(rec.info.metadata.FLOWCTL_INSTANCE, '2');
  });
});
