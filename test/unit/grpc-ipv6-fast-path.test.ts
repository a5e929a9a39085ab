// The bundled grpc-js asks Node's IPv6 regular expression about a host only when it holds a ':'
// (scripts/grpcIPv6FastPath.mjs): the first net.isIPv6 call of a process compiles it (~9 ms). The answers
// must stay the same, every call site grpc-js has must be routed, and the bundles must carry the change.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { CALL, FAST, withFastIPv6 } from '../../scripts/grpcIPv6FastPath.mjs';
import { repoRoot } from '../helpers/paths';

const HOSTS = ['127.0.0.1', '::1', '[::1]', '::ffff:127.0.0.1', 'fe80::1%lo', 'localhost', '', '1:2', 'dns:host', '::', '2001:db8::8a2e:370:7334', 'a'.repeat(300)];

test('withFastIPv6: the rewritten call answers as net.isIPv6 for every host', () => {
  const source = `const net_1 = require('net');\nmodule.exports = (h) => (0, net_1.isIPv6)(h);`;
  const rewritten = withFastIPv6(source);
  assert.ok(!rewritten.includes(CALL.slice(0, -1) + '(h)'), 'the call is routed through the helper');
  assert.ok(rewritten.includes(`${FAST}h)`));
  const mod = { exports: undefined as unknown as (h: string) => boolean };
  new Function('require', 'module', rewritten)(require, mod);
  for (const h of HOSTS) assert.equal(mod.exports(h), net.isIPv6(h), h);
  assert.equal(withFastIPv6('no calls here'), 'no calls here');
});

test('every net.isIPv6 call of the installed grpc-js is routed, and the bundles carry the helper', () => {
  const src = path.join(repoRoot(), 'node_modules', '@grpc', 'grpc-js', 'build', 'src');
  let calls = 0;
  for (const f of fs.readdirSync(src).filter((f) => f.endsWith('.js'))) {
    const text = fs.readFileSync(path.join(src, f), 'utf8');
    // Any other spelling of a call would escape the rewrite: a grpc-js upgrade that changes it shows here.
    const named = (text.match(/isIPv6(?!MappedIPv4)/g) ?? []).length;
    const routed = text.split(CALL).length - 1;
    assert.equal(named, routed, `${f}: isIPv6 named ${named} times, ${routed} of them in the form the plugin rewrites`);
    calls += routed;
  }
  assert.ok(calls >= 5, `grpc-js has ${calls} isIPv6 calls`);
  for (const bundle of ['cli-main.js', 'sdk.js', 'extension.js']) {
    const text = fs.readFileSync(path.join(repoRoot(), 'dist', bundle), 'utf8');
    assert.ok(text.includes(FAST), `${bundle} uses the helper`);
    assert.equal((text.match(/\(0, net_1\.isIPv6\)\((?!s\))/g) ?? []).length, 0, `${bundle}: no direct call left but the helper's own`);
  }
});
