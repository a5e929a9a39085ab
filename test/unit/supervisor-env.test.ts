import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as net from 'node:net';
import { buildComponentEnv, freePort, toUpperSnake } from '../../src/core/supervisor/env';

const endpoint = '127.0.0.1:8080';

test('parent env, then config as UPPER_SNAKE, then component env, then the forced flowctl variables', async () => {
  const env = await buildComponentEnv(
    {
      id: 'ttp-processor',
      config: { networkPassphrase: 'Test SDF', batch_size: 100, enable_batching: true, filters: { types: ['a'] }, 'log-level': 'debug', OVERRIDE_ME: 'config' },
      env: { OVERRIDE_ME: 'env', FLOWCTL_ENDPOINT: 'user-value', PORT: ':50051' },
    },
    { endpoint, parentEnv: { PATH: '/usr/bin', HOME: '/home/x', ENABLE_FLOWCTL: 'false', BATCH_SIZE: '1' }, extraEnv: { EXTRA: 'yes', HOME: '/extra' } },
  );
  assert.equal(env.PATH, '/usr/bin');
  assert.equal(env.HOME, '/extra', 'extraEnv beats the parent');
  assert.equal(env.EXTRA, 'yes');
  assert.equal(env.NETWORK_PASSPHRASE, 'Test SDF');
  assert.equal(env.BATCH_SIZE, '100', 'config beats the parent');
  assert.equal(env.ENABLE_BATCHING, 'true');
  assert.equal(env.FILTERS, '{"types":["a"]}');
  assert.equal(env.LOG_LEVEL, 'debug');
  assert.equal(env.OVERRIDE_ME, 'env', 'component env beats config');
  assert.equal(env.PORT, ':50051');
  // forced last
  assert.equal(env.ENABLE_FLOWCTL, 'true');
  assert.equal(env.FLOWCTL_ENDPOINT, endpoint);
  assert.equal(env.FLOWCTL_HEARTBEAT_INTERVAL, '10s');
  assert.equal(env.FLOWCTL_SERVICE_ID, 'ttp-processor');
  assert.equal(env.FLOWCTL_COMPONENT_ID, 'ttp-processor');
  // the forced ones are the last keys (order of insertion)
  assert.deepEqual(Object.keys(env).slice(-5), [
    'ENABLE_FLOWCTL',
    'FLOWCTL_ENDPOINT',
    'FLOWCTL_HEARTBEAT_INTERVAL',
    'FLOWCTL_SERVICE_ID',
    'FLOWCTL_COMPONENT_ID',
  ]);
});

test('HEALTH_PORT: env wins, then health_port, else a port that is really free (parent value ignored)', async () => {
  const fromEnv = await buildComponentEnv({ id: 'a', env: { HEALTH_PORT: '9999' }, healthPort: 1234 }, { endpoint, parentEnv: {} });
  assert.equal(fromEnv.HEALTH_PORT, '9999');
  const fromField = await buildComponentEnv({ id: 'a', healthPort: 1234, config: { health_port: 4321 } }, { endpoint, parentEnv: {} });
  assert.equal(fromField.HEALTH_PORT, '1234');
  const fromConfig = await buildComponentEnv({ id: 'a', config: { health_port: 4321 } }, { endpoint, parentEnv: {} });
  assert.equal(fromConfig.HEALTH_PORT, '4321');

  const picked = await buildComponentEnv({ id: 'a' }, { endpoint, parentEnv: { HEALTH_PORT: '8088' } });
  const port = Number(picked.HEALTH_PORT);
  assert.ok(Number.isInteger(port) && port > 0 && port < 65536, `HEALTH_PORT ${picked.HEALTH_PORT}`);
  assert.notEqual(port, 8088);
  // It is free: we can bind it ourselves.
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', resolve));
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

test('PORT: an inherited one is dropped (each SDK component picks its own on loopback); the component\'s own config/env keep it', async () => {
  const inherited = await buildComponentEnv({ id: 'a' }, { endpoint, parentEnv: { PORT: '8080' }, extraEnv: { PORT: '9090' } });
  assert.equal('PORT' in inherited, false);
  const own = await buildComponentEnv({ id: 'a', env: { PORT: '127.0.0.1:50051' } }, { endpoint, parentEnv: { PORT: '8080' } });
  assert.equal(own.PORT, '127.0.0.1:50051');
  const fromConfig = await buildComponentEnv({ id: 'a', config: { port: 50052 } }, { endpoint, parentEnv: { PORT: '8080' } });
  assert.equal(fromConfig.PORT, '50052');
});

test('freePort returns distinct bindable ports', async () => {
  const ports = await Promise.all([freePort(), freePort(), freePort()]);
  for (const p of ports) assert.ok(p > 0 && p < 65536);
  assert.equal(new Set(ports).size, ports.length);
});

test('parentEnv defaults to process.env; undefined/null values are skipped', async () => {
  const env = await buildComponentEnv({ id: 'x', env: { A: undefined, B: null, C: 0 }, config: { d: false } }, { endpoint });
  assert.equal(env.PATH, process.env.PATH);
  assert.equal('A' in env, false);
  assert.equal('B' in env, false);
  assert.equal(env.C, '0');
  assert.equal(env.D, 'false');
});

test('bad input gives clear errors', async () => {
  await assert.rejects(buildComponentEnv({ id: '' }, { endpoint }), /id is required/);
  await assert.rejects(buildComponentEnv({ id: 'a' }, { endpoint: '' }), /endpoint is required/);
  await assert.rejects(buildComponentEnv({ id: 'a', healthPort: 70000 }, { endpoint }), /health_port must be an integer/);
});

test('toUpperSnake', () => {
  assert.equal(toUpperSnake('batchSize'), 'BATCH_SIZE');
  assert.equal(toUpperSnake('network-passphrase'), 'NETWORK_PASSPHRASE');
  assert.equal(toUpperSnake('HTTPServer'), 'HTTP_SERVER');
  assert.equal(toUpperSnake('already_SNAKE'), 'ALREADY_SNAKE');
  assert.equal(toUpperSnake('start.ledger'), 'START_LEDGER');
});
