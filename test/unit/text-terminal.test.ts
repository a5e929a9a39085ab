// The terminal sanitizer: colours (SGR) survive in log lines, nothing else that acts on a terminal
// does; fields from the wire show every control character escaped and stay on one line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hasControlChars, jsonForTerminal, sanitizeField, sanitizeTerminalLine, sanitizeTerminalText } from '../../src/core/text/terminal';

const ESC = '\x1b';

test('plain text and SGR colours pass unchanged', () => {
  assert.equal(sanitizeTerminalLine('hello world\twith tab'), 'hello world\twith tab');
  const coloured = `${ESC}[31mred${ESC}[0m ${ESC}[1;38;5;196mbold${ESC}[39m ${ESC}[38:2::255:0:0mtruecolor${ESC}[m`;
  assert.equal(sanitizeTerminalLine(coloured), coloured);
  assert.equal(sanitizeTerminalLine(coloured, false), 'red bold truecolor');
  assert.equal(sanitizeTerminalLine('ünïcödé ✓ 日本'), 'ünïcödé ✓ 日本');
});

test('screen, cursor, title, clipboard, DCS and reset sequences are removed, the text around them kept', () => {
  const cases: Array<[string, string]> = [
    [`a${ESC}[2Jb`, 'ab'], // clear screen
    [`a${ESC}[Hb${ESC}[10;20Hc`, 'abc'], // cursor home / position
    [`a${ESC}[2Kb${ESC}[1Ac`, 'abc'], // erase line, cursor up
    [`a${ESC}[?1049hb${ESC}[?25l`, 'ab'], // alternate screen, hide cursor
    [`a${ESC}[>4;1mb`, 'ab'], // modifyOtherKeys looks like SGR but is private
    [`a${ESC}]0;evil title${ESC}\\b`, 'ab'], // OSC 0 title with ST
    [`a${ESC}]2;title\x07b`, 'ab'], // OSC 2 with BEL
    [`a${ESC}]52;c;SGVsbG8=\x07b`, 'ab'], // OSC 52 clipboard write
    [`a${ESC}]8;;http://x${ESC}\\link${ESC}]8;;${ESC}\\b`, 'alinkb'], // hyperlink
    [`a${ESC}P1$r0m${ESC}\\b`, 'ab'], // DCS
    [`a${ESC}_apc${ESC}\\b${ESC}^pm${ESC}\\c${ESC}Xsos${ESC}\\d`, 'abcd'], // APC, PM, SOS
    [`a${ESC}cb`, 'ab'], // RIS full reset
    [`a${ESC}7b${ESC}8c${ESC}Md`, 'abcd'], // save/restore cursor, reverse index
    [`a${ESC}(0b${ESC}(Bc${ESC}#8d`, 'abcd'], // charset selection, DEC test
    [`a\x9b2Jb\x9b31mc`, 'abc'], // 8-bit CSI (even SGR)
    [`a\x9d0;t\x07b\x90dcs\x9cc`, 'abc'], // 8-bit OSC and DCS
    ['a\rb\bc\x07d\x00e\x7ff\x85g', 'abcdefg'], // CR, BS, BEL, NUL, DEL, NEL
    [`a${ESC}]0;never terminated`, 'a'], // unterminated OSC: dropped to the end
    [`a${ESC}[12`, 'a'], // unterminated CSI
    [`a${ESC}`, 'a'], // lone ESC at the end
  ];
  for (const [input, expected] of cases) {
    assert.equal(sanitizeTerminalLine(input), expected, JSON.stringify(input));
    assert.equal(hasControlChars(sanitizeTerminalLine(input)), false);
  }
});

test('multi-line text: each line cleaned, continuation lines indented', () => {
  assert.equal(sanitizeTerminalText(`one${ESC}[2J\ntwo\r\nthree`, { indent: '  ' }), 'one\n  two\n  three');
  assert.equal(sanitizeTerminalText('no controls'), 'no controls');
});

test('fields: control characters escaped, one line, bidi overrides visible, long values cut', () => {
  assert.equal(sanitizeField('src-1'), 'src-1');
  assert.equal(sanitizeField('evil\nfake line'), 'evil\\nfake line');
  assert.equal(sanitizeField(`x${ESC}]52;c;SGVsbG8=\x07y`), 'x\\e]52;c;SGVsbG8=\\x07y');
  assert.equal(sanitizeField(`a${ESC}[2Jb\r\t`), 'a\\e[2Jb\\r\\t');
  assert.equal(sanitizeField('abc\u202eexe.txt'), 'abc\\u202eexe.txt');
  assert.equal(sanitizeField('\x9b31m'), '\\x9b31m');
  assert.equal(sanitizeField(42), '42');
  assert.equal(sanitizeField(undefined), '');
  const long = sanitizeField('x'.repeat(2000), 100);
  assert.equal(long, `${'x'.repeat(100)}…(+1900 chars)`);
  for (const s of [sanitizeField('a\nb\x1bc\x9bd'), long]) assert.equal(hasControlChars(s), false);
});

test('JSON for terminals escapes C1 and bidi but stays the same value', () => {
  const value = { id: `a${ESC}[2J\x9b2J\u202e\n` };
  const text = jsonForTerminal(value);
  assert.equal(hasControlChars(text.replace(/\n/g, '')), false);
  assert.doesNotMatch(text, /\u202e/);
  assert.deepEqual(JSON.parse(text), value);
});
