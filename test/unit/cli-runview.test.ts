// The run view renders hostile component output and ids safely: colours kept, every other escape
// sequence gone, an id with a newline stays on its one line, notices stay one line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { RunView } from '../../src/cli/render/runView';
import { palette } from '../../src/cli/render/color';
import type { RunSnapshot } from '../../src/core/events';

function capture(): { out: NodeJS.WriteStream; text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk, _enc, cb) {
      text += chunk.toString();
      cb();
    },
  });
  return { out: stream as unknown as NodeJS.WriteStream, text: () => text };
}

const snapshot = () => ({}) as RunSnapshot;

test('log lines: SGR kept, clear screen / title / clipboard / cursor moves stripped, hostile id escaped on one line', () => {
  const c = capture();
  const view = new RunView({ out: c.out, palette: palette(false), showStatus: false, interactive: false });
  const ESC = '\x1b';
  view.handle(
    {
      type: 'log',
      componentId: `evil${ESC}[2J\nid`,
      stream: 'stdout',
      line: `${ESC}]52;c;SGVsbG8=\x07copy ${ESC}[2Jclear ${ESC}]0;title${ESC}\\title ${ESC}[5;5Hmove ${ESC}[32mgreen${ESC}[0m\rback`,
      time: Date.now(),
    },
    snapshot,
  );
  view.handle({ type: 'notice', level: 'warning', message: `a component registered as "x\ny${ESC}]2;t\x07" that is not part of this pipeline`, time: Date.now() }, snapshot);
  const lines = c.text().split('\n').filter(Boolean);
  assert.equal(lines.length, 2, `one line each: ${JSON.stringify(c.text())}`);
  assert.match(lines[0], /^\[\d\d:\d\d:\d\d\] evil\\e\[2J\\nid: +copy clear title move \x1b\[32mgreen\x1b\[0mback$/);
  assert.match(lines[1], /registered as "x\\ny\\e\]2;t\\x07" that is not part/);
  const raw = c.text().replace(/\x1b\[(32|0)m/g, '');
  assert.doesNotMatch(raw, /[\x00-\x09\x0b-\x1f\x7f-\x9f]/, 'no control character besides the kept colours and newlines');
});
