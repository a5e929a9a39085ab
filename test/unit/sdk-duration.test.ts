// Go duration parsing and the SDK's reading of the environment contract.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formatGoSeconds, parseGoDuration } from '../../src/core/duration';
import { advertisedEndpoint, kebabCase, parseListenAddress, readSdkConfig, stripScheme } from '../../src/sdk/config';

describe('parseGoDuration', () => {
  it('parses what time.ParseDuration accepts', () => {
    assert.equal(parseGoDuration('10s'), 10_000);
    assert.equal(parseGoDuration('500ms'), 500);
    assert.equal(parseGoDuration('1m30s'), 90_000);
    assert.equal(parseGoDuration('1h'), 3_600_000);
    assert.equal(parseGoDuration('1.5s'), 1_500);
    assert.equal(parseGoDuration('.5s'), 500);
    assert.equal(parseGoDuration('2h45m'), 9_900_000);
    assert.equal(parseGoDuration('250us'), 0.25);
    assert.equal(parseGoDuration('250µs'), 0.25);
    assert.equal(parseGoDuration('1000000ns'), 1);
    assert.equal(parseGoDuration('0'), 0);
    assert.equal(parseGoDuration('-2s'), -2_000);
    assert.equal(parseGoDuration('+3ms'), 3);
    assert.equal(parseGoDuration(' 10s '), 10_000);
  });

  it('rejects what Go rejects, with a clear message', () => {
    assert.throws(() => parseGoDuration('10'), /missing unit/);
    assert.throws(() => parseGoDuration(''), /invalid duration/);
    assert.throws(() => parseGoDuration('s'), /invalid duration/);
    assert.throws(() => parseGoDuration('10 s'), /invalid duration/);
    assert.throws(() => parseGoDuration('10d'), /unit ns, us, ms, s, m or h/);
    assert.throws(() => parseGoDuration('1m30'), /missing unit/);
    assert.throws(() => parseGoDuration('-'), /invalid duration/);
  });

  it('formats seconds like Go prints a rounded duration', () => {
    assert.equal(formatGoSeconds(0), '0s');
    assert.equal(formatGoSeconds(4_600), '5s');
    assert.equal(formatGoSeconds(65_000), '1m5s');
    assert.equal(formatGoSeconds(7_200_000), '2h0m0s');
  });
});

describe('readSdkConfig', () => {
  it('reads the flowctl contract: Go-duration heartbeat, endpoint without scheme, ids', () => {
    const cfg = readSdkConfig('My Source', {
      ENABLE_FLOWCTL: 'TRUE',
      FLOWCTL_ENDPOINT: 'http://127.0.0.1:9090',
      FLOWCTL_COMPONENT_ID: 'src-1',
      COMPONENT_ID: 'ignored',
      FLOWCTL_HEARTBEAT_INTERVAL: '10s',
    });
    assert.equal(cfg.enabled, true);
    assert.equal(cfg.endpoint, '127.0.0.1:9090');
    assert.equal(cfg.componentId, 'src-1');
    assert.equal(cfg.heartbeatMs, 10_000, '"10s" is ten seconds, not 10 ms');
    assert.deepEqual(cfg.warnings, []);
  });

  it('falls back: COMPONENT_ID, then the kebab-cased name; default endpoint and 10 s', () => {
    assert.equal(readSdkConfig('x', { COMPONENT_ID: 'from-env' }).componentId, 'from-env');
    const cfg = readSdkConfig('MyCool Processor', {});
    assert.equal(cfg.componentId, 'my-cool-processor');
    assert.equal(cfg.enabled, false);
    assert.equal(cfg.endpoint, '127.0.0.1:8080');
    assert.equal(cfg.heartbeatMs, 10_000);
    assert.equal(cfg.healthPort, undefined);
    assert.deepEqual(cfg.listen, { host: '127.0.0.1', port: 0 });
    assert.equal(readSdkConfig('x', { ENABLE_FLOWCTL: 'yes' }).enabled, false);
  });

  it('the health server binds loopback unless HEALTH_HOST says otherwise', () => {
    assert.equal(readSdkConfig('x', { HEALTH_PORT: '0' }).healthHost, '127.0.0.1');
    assert.equal(readSdkConfig('x', { HEALTH_PORT: '0', HEALTH_HOST: '0.0.0.0' }).healthHost, '0.0.0.0');
    assert.equal(readSdkConfig('x', { HEALTH_HOST: '[::1]' }).healthHost, '::1');
  });

  it('treats a bare number as invalid (Go would) unless FLOWCTL_HEARTBEAT_INTERVAL_MS is used', () => {
    const bare = readSdkConfig('x', { FLOWCTL_HEARTBEAT_INTERVAL: '10' });
    assert.equal(bare.heartbeatMs, 10_000);
    assert.match(bare.warnings[0], /missing unit/);
    assert.equal(readSdkConfig('x', { FLOWCTL_HEARTBEAT_INTERVAL_MS: '250' }).heartbeatMs, 250);
    assert.equal(readSdkConfig('x', { FLOWCTL_HEARTBEAT_INTERVAL: '1m', FLOWCTL_HEARTBEAT_INTERVAL_MS: '750' }).heartbeatMs, 750);
    assert.equal(readSdkConfig('x', { FLOWCTL_HEARTBEAT_INTERVAL: '1m30s' }).heartbeatMs, 90_000);
    const zero = readSdkConfig('x', { FLOWCTL_HEARTBEAT_INTERVAL: '0s' });
    assert.equal(zero.heartbeatMs, 10_000);
    assert.equal(zero.warnings.length, 1);
  });

  it('parses PORT and HEALTH_PORT forms', () => {
    assert.deepEqual(parseListenAddress(':50051'), { host: '127.0.0.1', port: 50051 }, 'no host: loopback (an inherited PORT opens nothing)');
    assert.deepEqual(parseListenAddress('50051'), { host: '127.0.0.1', port: 50051 });
    assert.deepEqual(parseListenAddress('0.0.0.0:50051'), { host: '0.0.0.0', port: 50051 }, 'every interface only when asked');
    assert.deepEqual(parseListenAddress('127.0.0.2:7000'), { host: '127.0.0.2', port: 7000 });
    assert.deepEqual(parseListenAddress('[::1]:7000'), { host: '::1', port: 7000 });
    assert.throws(() => parseListenAddress(':http'), /invalid PORT/);
    assert.throws(() => parseListenAddress('70000'), /invalid PORT/);
    assert.equal(readSdkConfig('x', { HEALTH_PORT: '8088' }).healthPort, 8088);
    assert.equal(readSdkConfig('x', { HEALTH_PORT: '0' }).healthPort, 0);
    const bad = readSdkConfig('x', { HEALTH_PORT: 'abc' });
    assert.equal(bad.healthPort, undefined);
    assert.equal(bad.warnings.length, 1);
  });

  it('advertises an address other local processes can dial', () => {
    assert.equal(advertisedEndpoint('0.0.0.0', 5000), '127.0.0.1:5000');
    assert.equal(advertisedEndpoint('::', 5000), '127.0.0.1:5000');
    assert.equal(advertisedEndpoint('127.0.0.1', 5000), '127.0.0.1:5000');
    assert.equal(advertisedEndpoint('::1', 5000), '[::1]:5000');
    assert.equal(stripScheme('https://cp.local:443/x'), 'cp.local:443');
    assert.equal(stripScheme('cp:1'), 'cp:1');
    assert.equal(stripScheme('unix:///run/flowctl/control.sock'), 'unix:///run/flowctl/control.sock', 'a unix socket target is dialled as is');
    assert.equal(kebabCase('counterSink'), 'counter-sink');
  });
});
