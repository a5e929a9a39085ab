// How the hub reaches a component that registered from another container, and the SDK's cluster
// variables (advertised host, instance name, TLS to the control plane).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { peerHost, reachableEndpoint } from '../../src/core/dataplane/endpoint';
import { readSdkConfig } from '../../src/sdk/config';

test('peerHost: grpc-js peer strings', () => {
  assert.equal(peerHost('ipv4:10.0.1.5:43210'), '10.0.1.5');
  assert.equal(peerHost('ipv6:[fd00::1]:4321'), 'fd00::1');
  assert.equal(peerHost('10.0.1.5:43210'), '10.0.1.5');
  assert.equal(peerHost(undefined), undefined);
  assert.equal(peerHost('garbage'), undefined);
});

test('reachableEndpoint: host-less, wildcard and loopback endpoints from a remote peer use the peer address', () => {
  const peer = 'ipv4:10.0.1.5:43210';
  assert.equal(reachableEndpoint(':50051', peer).address, '10.0.1.5:50051', 'the Go SDK registers ":50051"');
  assert.equal(reachableEndpoint('127.0.0.1:7000', peer).address, '10.0.1.5:7000', 'our SDK without FLOWCTL_ADVERTISE_HOST');
  assert.equal(reachableEndpoint('0.0.0.0:7000', peer).address, '10.0.1.5:7000');
  assert.equal(reachableEndpoint('localhost:7000', peer).address, '10.0.1.5:7000');
  assert.equal(reachableEndpoint('[::]:7000', peer).address, '10.0.1.5:7000');
  assert.equal(reachableEndpoint('50051', peer).address, '10.0.1.5:50051');
  assert.equal(reachableEndpoint(':50051', 'ipv6:[fd00::7]:1').address, '[fd00::7]:50051');
  assert.equal(reachableEndpoint(':50051', 'ipv6:[::ffff:10.0.0.9]:1').address, '10.0.0.9:50051');
});

test('reachableEndpoint: an explicit host, a local peer and bad endpoints stay as they are', () => {
  assert.equal(reachableEndpoint('10.9.9.9:7000', 'ipv4:10.0.1.5:1').address, '10.9.9.9:7000', 'FLOWCTL_ADVERTISE_HOST wins');
  assert.equal(reachableEndpoint('enrich-2:7000', 'ipv4:10.0.1.5:1').address, 'enrich-2:7000');
  assert.equal(reachableEndpoint(':50051', 'ipv4:127.0.0.1:5').address, '127.0.0.1:50051', 'same machine: as flowctl run does');
  assert.equal(reachableEndpoint('127.0.0.1:7000', 'ipv6:[::1]:5').address, '127.0.0.1:7000');
  assert.equal(reachableEndpoint(':50051', undefined).address, '127.0.0.1:50051');
  assert.ok(reachableEndpoint('http://x:8088/health', 'ipv4:10.0.1.5:1').problem);
  assert.ok(reachableEndpoint('', 'ipv4:10.0.1.5:1').problem);
});

test('SDK config: FLOWCTL_ADVERTISE_HOST, FLOWCTL_INSTANCE, FLOWCTL_TLS_*', () => {
  const cfg = readSdkConfig('x', {
    FLOWCTL_ADVERTISE_HOST: '10.0.0.4',
    FLOWCTL_INSTANCE: '3',
    FLOWCTL_TLS_CA_FILE: '/t/ca.crt',
    FLOWCTL_TLS_CERT_FILE: '/t/c.crt',
    FLOWCTL_TLS_KEY_FILE: '/t/c.key',
    FLOWCTL_TLS_SERVER_NAME: 'flowctl-hub',
  });
  assert.equal(cfg.advertiseHost, '10.0.0.4');
  assert.equal(cfg.instance, '3');
  assert.deepEqual(cfg.tls, { caFile: '/t/ca.crt', certFile: '/t/c.crt', keyFile: '/t/c.key', serverName: 'flowctl-hub' });
  assert.deepEqual(cfg.warnings, []);
  assert.equal(readSdkConfig('x', { FLOWCTL_ADVERTISE_HOST: '[fd00::1]' }).advertiseHost, 'fd00::1');
  const bad = readSdkConfig('x', { FLOWCTL_ADVERTISE_HOST: 'a b', FLOWCTL_TLS_CERT_FILE: '/c' });
  assert.equal(bad.advertiseHost, undefined);
  assert.equal(bad.warnings.length, 2, bad.warnings.join('\n'));
  const none = readSdkConfig('x', {});
  assert.equal(none.tls, undefined);
  assert.equal(none.instance, undefined);
});
