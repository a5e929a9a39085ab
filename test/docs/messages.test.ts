// Every message quoted in docs/troubleshooting.md (a `**Message:**` followed by backtick-quoted text)
// still exists in src/: the literal parts between `<placeholders>` are found, in order, in one source
// file. A message reworded in the code without the page fails here. The messages the other pages quote
// with example values (flow-yml.md, cli.md, from-flowctl.md, extension.md, sdk.md) are matched against the
// string and template literals of src/ (see matchesCode below).
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

// ---------------------------------------------------------------------------------------------------
// The other pages quote messages with example values (`Sink "x" must have at least one input`), not
// placeholders. They are checked against the messages the code can build: every string and template
// literal of src/ (and `+` chains of them) becomes a pattern, each `${…}` a wildcard, and a quoted
// message must match one pattern whole, most of its text being the pattern's own words.

interface MessagePattern {
  re: RegExp;
  /** The same, matching anywhere in a quote. */
  loose: RegExp;
  literal: number;
  where: string;
}

const WILD = '\u0000';

/** A string or template literal of the source: its pattern and where it is. */
interface Literal {
  pattern: string;
  start: number;
  end: number;
}

const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '0': '\0', b: '\b', f: '\f', v: '\v' };

/**
 * The string and template literals of a TypeScript/JavaScript text (TypeScript 7 ships no JS API, so a
 * small scanner): comments and regular expressions skipped, escapes decoded, each `${…}` a wildcard
 * (templates nested in it are literals of their own).
 */
export function scanLiterals(src: string): Literal[] {
  const out: Literal[] = [];
  let i = 0;
  let prev = ''; // the last significant character outside literals (regex or division?)
  const escape = (): string => {
    const c = src[i + 1];
    i += 2;
    if (c === 'u' && src[i] === '{') {
      const close = src.indexOf('}', i);
      const cp = parseInt(src.slice(i + 1, close), 16);
      i = close + 1;
      return Number.isFinite(cp) ? String.fromCodePoint(cp) : '';
    }
    if (c === 'u') {
      const cp = parseInt(src.slice(i, i + 4), 16);
      i += 4;
      return Number.isFinite(cp) ? String.fromCharCode(cp) : '';
    }
    if (c === 'x') {
      const cp = parseInt(src.slice(i, i + 2), 16);
      i += 2;
      return Number.isFinite(cp) ? String.fromCharCode(cp) : '';
    }
    if (c === '\n') return '';
    return ESCAPES[c] ?? c;
  };
  const quoted = (q: string): void => {
    const start = i;
    let text = '';
    i++;
    while (i < src.length && src[i] !== q && src[i] !== '\n') {
      if (src[i] === '\\') text += escape();
      else text += src[i++];
    }
    i++;
    out.push({ pattern: text, start, end: i });
  };
  const template = (): void => {
    const start = i;
    let text = '';
    i++;
    while (i < src.length && src[i] !== '`') {
      if (src[i] === '\\') text += escape();
      else if (src[i] === '$' && src[i + 1] === '{') {
        i += 2;
        code('}');
        i++;
        text += WILD;
      } else text += src[i++];
    }
    i++;
    out.push({ pattern: text, start, end: i });
  };
  const code = (until: string | null): void => {
    let depth = 0;
    while (i < src.length) {
      const c = src[i];
      if (c === '/' && src[i + 1] === '/') {
        i = src.indexOf('\n', i);
        if (i < 0) i = src.length;
        continue;
      }
      if (c === '/' && src[i + 1] === '*') {
        const close = src.indexOf('*/', i + 2);
        i = close < 0 ? src.length : close + 2;
        continue;
      }
      if (c === '/' && (prev === '' || '(,=:[!&|?{};+-*%<>~^'.includes(prev) || /\b(return|typeof|case|of|in)$/.test(src.slice(Math.max(0, i - 8), i).trimEnd()))) {
        // A regular expression: to its closing slash (classes may hold one), then its flags.
        i++;
        let inClass = false;
        while (i < src.length && src[i] !== '\n') {
          if (src[i] === '\\') i += 2;
          else if (src[i] === '[') (inClass = true), i++;
          else if (src[i] === ']') (inClass = false), i++;
          else if (src[i] === '/' && !inClass) break;
          else i++;
        }
        i++;
        while (/[a-z]/.test(src[i] ?? '')) i++;
        prev = 'r';
        continue;
      }
      if (c === "'" || c === '"') {
        quoted(c);
        prev = 's';
        continue;
      }
      if (c === '`') {
        template();
        prev = 's';
        continue;
      }
      if (c === '{') depth++;
      if (c === '}') {
        if (depth === 0 && until === '}') return;
        depth--;
      }
      if (!/\s/.test(c)) prev = /[\w$]/.test(c) ? 'w' : c;
      i++;
    }
  };
  code(null);
  return out.sort((a, b) => a.start - b.start);
}

/** Patterns of every message-like literal of one source file: literals, and `+` chains of them. */
function literalPatterns(file: string, text: string): MessagePattern[] {
  const out: MessagePattern[] = [];
  const add = (raw: string, at: number) => {
    const p = raw.trim(); // a message's own leading or trailing line breaks
    const literal = p.replaceAll(WILD, '').length;
    if (literal < 8) return;
    const regex = (text: string) =>
      text
        .split(WILD)
        .map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
        .join('.*?');
    // Loose: the message's own words, without what is composed around them.
    const core = p
      .replace(new RegExp(`^${WILD}+|${WILD}+$`, 'g'), '')
      .replace(/^[\s:,;]+|[\s:,;]+$/g, '');
    out.push({ re: new RegExp(`^${regex(p)}$`, 's'), loose: new RegExp(regex(core), 's'), literal, where: `${path.relative(repoRoot(), file)}:${text.slice(0, at).split('\n').length}` });
  };
  const lits = scanLiterals(text);
  for (let k = 0; k < lits.length; k++) {
    add(lits[k].pattern, lits[k].start);
    // 'a ' + 'b', `a ${x} ` + y + ' b': one message written in pieces.
    let joined = lits[k].pattern;
    for (let j = k + 1; j < lits.length; j++) {
      const between = text.slice(lits[j - 1].end, lits[j].start);
      if (/^\s*\+\s*$/.test(between)) joined += lits[j].pattern;
      else if (/^\s*\+[^;'"`]*\+\s*$/.test(between) && between.length < 120) joined += WILD + lits[j].pattern;
      else break;
      add(joined, lits[k].start);
    }
  }
  return out;
}

/** Backtick spans of prose (code blocks left out, spans wrapped over lines joined) that read like a message. */
export function quotedProse(text: string): Array<{ message: string; line: number }> {
  const out: Array<{ message: string; line: number }> = [];
  const prose = withoutCode(text);
  const lineAt = (offset: number) => prose.slice(0, offset).split('\n').length;
  for (const m of prose.matchAll(/(?<!`)`([^`]+)`(?!`)/g)) {
    const message = m[1].replace(/\s*\n\s*/g, ' ').trim();
    if (message.split(' ').length < 3) continue; // a key, a value, a file name
    if ((/^(flowctl|node|npm|bash|docker|mkdir) /.test(message) || message.startsWith('-')) || /[[{]/.test(message)) continue; // commands, flags, JSON shapes
    if (/^<[\w-]+>\//.test(message) || /^[\w.]+\(/.test(message)) continue; // paths, calls and signatures
    if (/^file:line:column/.test(message)) continue; // the format, not a message
    out.push({ message, line: lineAt(m.index!) });
  }
  return out;
}

/**
 * A quoted message the code can build: a pattern matches it whole with at least a third of it the
 * pattern's own text, or matches a part of it (the rest composed elsewhere: `✗ <file> is …`) with at
 * least half. A `…` or `<placeholder>` in the quote is text a wildcard of the code stands for.
 */
function matchesCode(message: string, patterns: MessagePattern[]): boolean {
  const size = message.length;
  return patterns.some((p) => (p.literal * 3 >= size && p.re.test(message)) || (p.literal * 2 >= size && p.loose.test(message)));
}

test('messages quoted in flow-yml.md, cli.md, from-flowctl.md, extension.md and sdk.md match messages the code builds', { timeout: 120_000 }, () => {
  const patterns = sourceFiles(path.join(repoRoot(), 'src'))
    .filter((f) => f.endsWith('.ts'))
    .flatMap((f) => literalPatterns(f, fs.readFileSync(f, 'utf8')));
  assert.ok(patterns.length > 1000, `${patterns.length} patterns`);
  const unmatched: string[] = [];
  let checked = 0;
  for (const page of ['flow-yml.md', 'cli.md', 'from-flowctl.md', 'extension.md', 'sdk.md']) {
    for (const q of quotedProse(readDoc(page))) {
      checked++;
      if (!matchesCode(q.message, patterns)) unmatched.push(`${page}:${q.line}: ${q.message}`);
    }
  }
  assert.ok(checked >= 30, `only ${checked} quoted messages found`);
  assert.deepEqual(unmatched, [], 'quoted messages that no string of src/ can produce');
});

test('the template check itself: `${}` matches example values, the literal words must be there', () => {
  const pats = literalPatterns('x.ts', 'const a = `${capital(role)} "${id}" must have at least one input`; const b = `restarted ${id} (pid ${p} → ${q}) in ${t}`;');
  assert.ok(matchesCode('Sink "x" must have at least one input', pats));
  assert.ok(matchesCode('restarted enrich (pid 123 → 456) in 0.4 s', pats));
  assert.ok(!matchesCode('Sink "x" must have one input at least', pats));
  assert.ok(!matchesCode('x', literalPatterns('y.ts', 'const c = `${a}: ${b}`;')));
  // Comments and regular expressions (with quotes in them) do not start literals; `+` chains join.
  const src = "// a `comment\nconst r = /[\"'`]/g.test(x) ? 1 / 2 : 3; /* `no */ const s = 'first part, ' +\n  `second ${x} part` + n + ' third';";
  assert.deepEqual(scanLiterals(src).map((l) => l.pattern), ['first part, ', `second ${WILD} part`, ' third']);
  assert.ok(matchesCode('first part, second 2 part 7 third', literalPatterns('z.ts', src)));
  assert.deepEqual(quotedProse('A `flowctl run x y` and `a b c`, and\n`d e\n  f`.\n```\n`g h i`\n```\n').map((q) => q.message), ['a b c', 'd e f']);
});
