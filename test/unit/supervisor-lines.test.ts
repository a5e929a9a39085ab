import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LineSplitter, MAX_LINE, stripAnsi } from '../../src/core/supervisor/lines';

function split(chunks: Array<string | Buffer>, maxLine?: number): string[] {
  const lines: string[] = [];
  const s = new LineSplitter((l) => lines.push(l), maxLine);
  for (const c of chunks) s.push(c);
  s.end();
  return lines;
}

test('splits on \\n and \\r\\n, keeps empty lines in the middle', () => {
  assert.deepEqual(split(['a\nb\r\n\nc\n']), ['a', 'b', '', 'c']);
});

test('joins a line split across chunks, including a \\r\\n split between chunks', () => {
  assert.deepEqual(split(['hel', 'lo wor', 'ld\r', '\nnext', '\n']), ['hello world', 'next']);
});

test('flushes a trailing partial line at end, once', () => {
  const lines: string[] = [];
  const s = new LineSplitter((l) => lines.push(l));
  s.push('one\ntwo');
  assert.deepEqual(lines, ['one']);
  s.end();
  s.end();
  s.push('ignored\n');
  assert.deepEqual(lines, ['one', 'two']);
});

test('a multi-byte character split between Buffer chunks is decoded whole', () => {
  const bytes = Buffer.from('héllo ✓\n', 'utf8');
  const chunks = [bytes.subarray(0, 2), bytes.subarray(2, 8), bytes.subarray(8)];
  assert.deepEqual(split(chunks), ['héllo ✓']);
});

test('caps a single line at 64 KiB (in pieces), without losing data', () => {
  const long = 'y'.repeat(MAX_LINE * 2 + 10);
  const lines = split([long.slice(0, 1000), long.slice(1000), '\nafter\n']);
  assert.equal(lines.length, 4);
  assert.equal(lines[0].length, MAX_LINE);
  assert.equal(lines[1].length, MAX_LINE);
  assert.equal(lines[2].length, 10);
  assert.equal(lines.slice(0, 3).join(''), long);
  assert.equal(lines[3], 'after');
});

test('an unterminated line never buffers more than the cap', () => {
  const lines: string[] = [];
  const s = new LineSplitter((l) => lines.push(l), 10);
  for (let i = 0; i < 5; i++) s.push('abcdefgh');
  // 40 characters in, at most 10 held back
  assert.deepEqual(lines, ['abcdefghab', 'cdefghabcd', 'efghabcdef']);
  s.end();
  assert.deepEqual(lines.slice(3), ['ghabcdefgh']);
});

test('stripAnsi removes colours, cursor moves, OSC titles and links, keeps the text', () => {
  assert.equal(stripAnsi('\u001b[32mgreen\u001b[0m plain'), 'green plain');
  assert.equal(stripAnsi('\u001b[1;38;5;208mbold orange\u001b[m'), 'bold orange');
  assert.equal(stripAnsi('\u001b[2K\u001b[1Gprogress 50%'), 'progress 50%');
  assert.equal(stripAnsi('\u001b]0;window title\u0007after'), 'after');
  assert.equal(stripAnsi('\u001b]8;;https://example.com\u001b\\link\u001b]8;;\u001b\\'), 'link');
  assert.equal(stripAnsi('\u001b(Bcharset \u001b7saved\u001b8'), 'charset saved');
  assert.equal(stripAnsi('\u009b31mC1 CSI\u009b0m'), 'C1 CSI');
  assert.equal(stripAnsi('no escapes [31m here'), 'no escapes [31m here');
  assert.equal(stripAnsi(''), '');
});
