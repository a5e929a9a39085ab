// The bundles are pure ASCII (scripts/asciiOutput.mjs): one non-ASCII character makes Node decode the whole
// file as a two-byte string at every start (65 instead of 45 ms for the 2.4 MB CLI on the CI machine). The escaped
// code must mean what the original meant: regular expressions (micro sign, Greek mu, an emoji in a class)
// match the same text, and comments stay comments.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { asciiOnly } from '../../scripts/asciiOutput.mjs';
import { repoRoot } from '../helpers/paths';

const SOURCE = [
  '// units → milliseconds',
  'const re = /^(\\d+)(ns|us|µs|μs|ms)$/;',
  '/* a block comment: “quoted” … */',
  'const emoji = /^[😀x]+$/u;',
  'return [re.test("5µs"), re.test("5μs"), re.test("5us"), re.test("5s"), emoji.test("😀x😀"), emoji.test("é")];',
].join('\n');

test('asciiOnly: escaped code is ASCII and behaves as the original (regular expressions with µ, μ and an emoji; comments)', () => {
  const escaped = asciiOnly(SOURCE);
  assert.ok(!/[^\x00-\x7f]/.test(escaped), 'no non-ASCII character left');
  assert.match(escaped, /\\u00b5s\|\\u03bcs/);
  const run = (code: string) => new Function(code)() as boolean[];
  assert.deepEqual(run(escaped), run(SOURCE));
  assert.deepEqual(run(escaped), [true, true, true, false, true, false]);
});

test('the built bundles Node loads (CLI, extension, SDK, demo components) are pure ASCII', () => {
  const dist = path.join(repoRoot(), 'dist');
  const files = ['cli.js', 'cli-main.js', 'extension.js', 'sdk.js', ...fs.readdirSync(path.join(dist, 'examples', 'demo', 'components')).filter((f) => f.endsWith('.js')).map((f) => path.join('examples', 'demo', 'components', f))];
  assert.ok(files.length >= 7, `found ${files.length} bundles`);
  for (const f of files) {
    const text = fs.readFileSync(path.join(dist, f), 'latin1');
    const at = text.search(/[^\x00-\x7f]/);
    assert.equal(at, -1, `${f}: non-ASCII byte at offset ${at}: ${JSON.stringify(text.slice(Math.max(0, at - 40), at + 10))}`);
  }
});
