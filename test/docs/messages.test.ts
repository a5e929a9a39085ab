// Every message quoted in docs/troubleshooting.md (a `**Message:**` followed by backtick-quoted text)
// still exists in src/: the literal parts between `<placeholders>` are found, in order, in one source
// file. A message reworded in the code without the page fails here.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { repoRoot } from '../helpers/paths';
import { readDoc, withoutCode } from './markdown';

/** The messages quoted after `**Message:**` markers, with their line. */
export function quotedMessages(text: string): Array<{ message: string; line: number }> {
  const out: Array<{ message: string; line: number }> = [];
  withoutCode(text)
    .split('\n')
    .forEach((l, i) => {
      for (const m of l.matchAll(/\*\*Message:\*\*\s*`([^`]+)`/g)) out.push({ message: m[1], line: i + 1 });
    });
  return out;
}

function sourceFiles(dir: string, out: string[] = []): string[] {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) sourceFiles(full, out);
    else if (/\.(ts|mjs|js)$/.test(e.name)) out.push(full);
  }
  return out;
}

/**
 * The source as a reader of its messages sees it: string pieces concatenated over lines
 * (`'a ' +\n  'b'`) joined, escaped quotes and `\n` written as the characters they stand for.
 */
function normalise(source: string): string {
  return source
    .replace(/(['"`])\s*\+\s*\n\s*(['"`])/g, '')
    .replace(/\\(['"`])/g, '$1')
    .replace(/\\n/g, '\n');
}

/** The literal parts of a quoted message: `<placeholders>` and `…` separate them. */
export function fragments(message: string): string[] {
  return message
    .split(/<[^<>]+>|…/)
    .map((f) => f.trim())
    .filter((f) => f.length > 0);
}

function foundInOrder(haystack: string, parts: string[]): boolean {
  let at = 0;
  for (const p of parts) {
    const i = haystack.indexOf(p, at);
    if (i < 0) return false;
    at = i + p.length;
  }
  return true;
}

test('docs/troubleshooting.md: every quoted message exists in src/', () => {
  const quoted = quotedMessages(readDoc('troubleshooting.md'));
  assert.ok(quoted.length >= 20, `only ${quoted.length} quoted messages`);
  const sources = sourceFiles(path.join(repoRoot(), 'src')).map((f) => ({ file: f, text: normalise(fs.readFileSync(f, 'utf8')) }));
  const missing: string[] = [];
  for (const q of quoted) {
    const parts = fragments(q.message);
    assert.ok(parts.join('').length >= 12, `troubleshooting.md:${q.line}: "${q.message}" is too short to identify a message`);
    if (!sources.some((s) => foundInOrder(s.text, parts))) missing.push(`troubleshooting.md:${q.line}: ${q.message}`);
  }
  assert.deepEqual(missing, [], 'messages quoted in the docs that the code no longer has');
});

test('the message check itself: placeholders separate the parts, order matters, a changed word fails', () => {
  assert.deepEqual(fragments('failed to create listener on <host:port>: address already in use'), ['failed to create listener on', ': address already in use']);
  const code = normalise("throw new Error(`failed to create listener on ${target}: address ` +\n    'already in use');");
  assert.ok(foundInOrder(code, fragments('failed to create listener on <host:port>: address already in use')));
  assert.ok(!foundInOrder(code, fragments('failed to open listener on <host:port>: address already in use')));
  assert.ok(!foundInOrder(code, fragments('address already in use <x> failed to create listener on')));
});
