// safeJoin: a file name from pipeline input never leaves its folder.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { fileNameFrom, fileNameProblem, safeJoin, UnsafePathError } from '../../src/core/safePath';
import { defaultRunDbPath } from '../../src/core/runner/openControlPlane';

const folder = path.resolve('/tmp/flowctl-logs');

test('plain names join inside the folder', () => {
  assert.equal(safeJoin(folder, 'ticker.log'), path.join(folder, 'ticker.log'));
  assert.equal(safeJoin(folder, 'a.b_c-d.log'), path.join(folder, 'a.b_c-d.log'));
  assert.equal(safeJoin('relative/logs', 'x.log'), path.resolve('relative/logs', 'x.log'));
});

test('names that would leave the folder, nest, or smuggle bytes are refused', () => {
  const hostile: [string, RegExp][] = [
    ['../../escaped.log', /path separator/],
    ['/etc/passwd.log', /path separator/],
    ['..', /names a folder/],
    ['.', /names a folder/],
    ['', /empty/],
    ['a\\b.log', /path separator/],
    ['new\nline.log', /control character/],
    ['nul\u0000.log', /control character/],
    ['esc\u001b[2J.log', /control character/],
    ['x'.repeat(256), /longer than 255 bytes/],
  ];
  for (const [name, why] of hostile) {
    assert.throws(() => safeJoin(folder, name), (err: unknown) => err instanceof UnsafePathError && why.test(err.message), JSON.stringify(name));
    assert.ok(fileNameProblem(name), JSON.stringify(name));
  }
  assert.equal(fileNameProblem('x'.repeat(255)), undefined, '255 bytes is still one file name');
});

test('fileNameFrom turns labels into a safe name, with a fallback', () => {
  assert.equal(fileNameFrom('demo-trades', 'pipeline'), 'demo-trades');
  assert.equal(fileNameFrom('../../etc', 'pipeline'), 'etc');
  assert.equal(fileNameFrom('my pipeline/v2', 'pipeline'), 'my-pipeline-v2');
  assert.equal(fileNameFrom('..', 'pipeline'), 'pipeline');
  assert.equal(fileNameFrom('', 'pipeline'), 'pipeline');
  assert.equal(fileNameFrom('a'.repeat(100), 'pipeline').length, 40);
});

test('the per-pipeline registry folder stays under FLOWCTL_HOME/pipelines whatever the name', () => {
  const home = path.resolve('/tmp/flowctl-home-test');
  const saved = process.env.FLOWCTL_HOME;
  process.env.FLOWCTL_HOME = home;
  try {
    for (const name of ['demo', '../../../etc', '/abs/name', '..', 'a\nb', '']) {
      const db = defaultRunDbPath('/work/flow.yml', name);
      assert.equal(path.dirname(path.dirname(db)), path.join(home, 'pipelines'), `${JSON.stringify(name)} → ${db}`);
      assert.equal(path.basename(db), 'registry.lmdb');
    }
  } finally {
    if (saved === undefined) delete process.env.FLOWCTL_HOME;
    else process.env.FLOWCTL_HOME = saved;
  }
});
