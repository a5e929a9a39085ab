// Test certificates made with the openssl CLI at test time: a CA, a server certificate for
// localhost/127.0.0.1 signed by it, a client certificate signed by it, and a second, unrelated CA.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface TestCerts {
  dir: string;
  caCert: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** A CA that signed nothing here (a client trusting only it must fail). */
  otherCaCert: string;
}

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

function keyAndCsr(dir: string, name: string, cn: string): void {
  openssl(dir, ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`]);
}

function selfSignedCa(dir: string, name: string, cn: string): void {
  openssl(dir, [
    'req', '-x509', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '2', '-subj', `/CN=${cn}`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
  ]);
}

function sign(dir: string, name: string, ext: string): void {
  fs.writeFileSync(path.join(dir, `${name}.ext`), ext);
  openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.crt`, '-days', '2', '-extfile', `${name}.ext`]);
}

export function generateCerts(dir: string): TestCerts {
  fs.mkdirSync(dir, { recursive: true });
  selfSignedCa(dir, 'ca', 'flowctl test CA');
  selfSignedCa(dir, 'other-ca', 'unrelated CA');
  keyAndCsr(dir, 'server', 'localhost');
  sign(dir, 'server', 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n');
  keyAndCsr(dir, 'client', 'flowctl test client');
  sign(dir, 'client', 'extendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE\n');
  const p = (f: string) => path.join(dir, f);
  return {
    dir,
    caCert: p('ca.crt'),
    serverCert: p('server.crt'),
    serverKey: p('server.key'),
    clientCert: p('client.crt'),
    clientKey: p('client.key'),
    otherCaCert: p('other-ca.crt'),
  };
}

export interface PeerCerts {
  /** The hub's certificate: server (localhost, 127.0.0.1) and client authentication — it dials components' data planes with it. */
  hubCert: string;
  hubKey: string;
  /** A component's certificate: client (registration) and server authentication (its data-plane server under mutual TLS). */
  componentCert: string;
  componentKey: string;
}

/** Certificates usable both ways, signed by the CA of `certs` (what a hub with mutual TLS on the data plane needs); the hub's names its `hubNames` and 127.0.0.1. */
export function generatePeerCerts(certs: TestCerts, hubNames: string[] = ['localhost']): PeerCerts {
  const dir = certs.dir;
  keyAndCsr(dir, 'hub', hubNames[0]);
  const san = [...hubNames.map((n) => `DNS:${n}`), 'IP:127.0.0.1'].join(',');
  sign(dir, 'hub', `subjectAltName=${san}\nextendedKeyUsage=serverAuth,clientAuth\nbasicConstraints=CA:FALSE\n`);
  keyAndCsr(dir, 'component', 'flowctl test component');
  sign(dir, 'component', 'extendedKeyUsage=serverAuth,clientAuth\nbasicConstraints=CA:FALSE\n');
  const p = (f: string) => path.join(dir, f);
  return { hubCert: p('hub.crt'), hubKey: p('hub.key'), componentCert: p('component.crt'), componentKey: p('component.key') };
}
