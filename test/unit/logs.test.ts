// The merged log (src/core/logs): level detection, file:line links, the bounded store and its filter.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { detectLevel } from '../../src/core/logs/level';
import { findFileLinks } from '../../src/core/logs/links';
import { MergedLog, stripAnsi } from '../../src/core/logs/mergedLog';
import { compileFilter, EMPTY_FILTER, type LogEntry } from '../../src/core/logs/filter';

test('levels are read from the line the way components print them', () => {
  assert.equal(detectLevel('2026-12-01T10:45:40.274Z INFO  registered with the control plane'), 'info');
  assert.equal(detectLevel('2026-12-01T10:45:40.274Z WARN  heartbeat failed'), 'warning');
  assert.equal(detectLevel('ERROR: connection refused'), 'error');
  assert.equal(detectLevel('[error] boom'), 'error');
  assert.equal(detectLevel('{"level":"warn","msg":"slow"}'), 'warning');
  assert.equal(detectLevel('ts=1 level=debug msg=x'), 'debug');
  assert.equal(detectLevel('TypeError: not a function'), 'error');
  assert.equal(detectLevel('    at Object.<anonymous> (/x/y.js:1:2)'), 'error');
  assert.equal(detectLevel('Traceback (most recent call last):'), 'error');
  assert.equal(detectLevel('processed 12 events, no error so far'), 'info', 'a lower-case word in prose is not a level');
  assert.equal(detectLevel('error_count=0 ok'), 'info');
  assert.equal(detectLevel('\x1b[31mERROR\x1b[0m red'), 'error');
  assert.equal(detectLevel('plain line', 'warning'), 'warning', 'fallback');
});

test('file:line references are found; addresses, clocks and URLs are not', () => {
  const at = (s: string) => findFileLinks(s).map((l) => [s.slice(l.start, l.start + l.length), l.path, l.line, l.column]);
  assert.deepEqual(at('failed at src/app.ts:12:5 while'), [['src/app.ts:12:5', 'src/app.ts', 12, 5]]);
  assert.deepEqual(at('    at f (/abs/dir/x.js:3:7)'), [['/abs/dir/x.js:3:7', '/abs/dir/x.js', 3, 7]]);
  assert.deepEqual(at('see ./config.yaml:4'), [['./config.yaml:4', './config.yaml', 4, undefined]]);
  assert.deepEqual(at('  File "/srv/app/main.py", line 42, in run'), [['/srv/app/main.py", line 42', '/srv/app/main.py', 42, undefined]]);
  assert.deepEqual(at('loaded file:///tmp/a.mjs:1:2'), [['file:///tmp/a.mjs:1:2', '/tmp/a.mjs', 1, 2]]);
  assert.deepEqual(at('listening on 127.0.0.1:8080 at 12:03:04.123'), []);
  assert.deepEqual(at('GET http://example.com/app.js:12 failed'), []);
  assert.deepEqual(at('localhost:9000'), []);
});

function entry(over: Partial<LogEntry>): LogEntry {
  return { seq: 1, time: 0, component: 'a', pipeline: 'p', level: 'info', stream: 'stdout', text: '', ...over };
}

test('the merged log is bounded: the oldest lines go, counted, and readers resume by sequence', () => {
  const log = new MergedLog({ capacity: 100 });
  const seen: number[] = [];
  const sub = log.onAppend((seq) => seen.push(seq));
  for (let i = 0; i < 250; i++) log.push(i, i % 2 ? 'odd' : 'even', 'p', 'stdout', `\x1b[32mline ${i}\x1b[0m`);
  assert.equal(log.size, 100);
  assert.equal(log.dropped, 150);
  assert.equal(log.firstSeq, 151);
  assert.equal(log.since()[0].text, 'line 150', 'ANSI stripped, oldest kept is #150');
  assert.deepEqual(log.since(240).map((e) => e.seq), [241, 242, 243, 244, 245, 246, 247, 248, 249, 250]);
  assert.equal(log.since(10).length, 100, 'a reader behind the drops gets everything kept');
  assert.equal(seen.length, 250);
  assert.deepEqual(log.components(), ['even', 'odd']);
  sub.dispose();
  const seq = log.push(0, 'a', 'p', 'stdout', 'x'.repeat(20_000));
  const long = log.since(seq - 1)[0];
  assert.ok(long.text.length < 8300 && long.text.endsWith('more characters)'));
  // Entries read before keep their text when their slot is reused.
  const kept = log.since(log.lastSeq - 1)[0];
  for (let i = 0; i < 150; i++) log.push(1000 + i, 'x', 'p', 'stdout', `new ${i}`);
  assert.ok(kept.text.endsWith('more characters)'), 'an entry handed out is not changed by later pushes');
  assert.equal(log.since(log.lastSeq - 1)[0].text, 'new 149');
  log.clear();
  assert.equal(log.size, 0);
  assert.equal(stripAnsi('\x1b]0;title\x07ok'), 'ok');
});

test('the filter hides components, levels below the minimum, and lines without the text', () => {
  const lines = [
    entry({ component: 'ticker', text: 'tick 1' }),
    entry({ component: 'enrich', text: 'enrich: 10 in', level: 'info' }),
    entry({ component: 'enrich', text: 'WARN slow', level: 'warning' }),
    entry({ component: 'sink', text: 'ERROR disk full', level: 'error' }),
  ];
  const pick = (f: Partial<typeof EMPTY_FILTER>) => lines.filter(compileFilter({ ...EMPTY_FILTER, ...f }).test).map((e) => e.text);
  assert.equal(pick({}).length, 4);
  assert.deepEqual(pick({ hidden: ['ticker', 'sink'] }), ['enrich: 10 in', 'WARN slow']);
  assert.deepEqual(pick({ minLevel: 'warning' }), ['WARN slow', 'ERROR disk full']);
  assert.deepEqual(pick({ text: 'DISK' }), ['ERROR disk full'], 'plain text: case-insensitive');
  assert.deepEqual(pick({ text: '/^tick \\d$/' }), ['tick 1'], 'regex');
  assert.deepEqual(pick({ text: 'enrich', minLevel: 'warning' }), ['WARN slow'], 'the component name matches the text too');
  const bad = compileFilter({ ...EMPTY_FILTER, text: '/(/' });
  assert.match(bad.error ?? '', /invalid regular expression/);
  assert.equal(lines.filter(bad.test).length, 4, 'a bad regex filters nothing out');
  assert.deepEqual(pick({ text: 'a.b' }), [], 'plain text is not a pattern');
});
