// The run journal as a file: header first, one line per spawn, private mode, a torn last line
// ignored, compaction keeping only the live children, and the reaper's handling of journals whose
// runner died before it wrote anything.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { RunJournal, readJournal } from '../../src/core/supervisor/journal';
import { newRunMarker, isRunMarker } from '../../src/core/supervisor/marker';
import { reapLeftovers } from '../../src/core/supervisor/stateFile';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'flowctl-journal-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));

test('markers are 128-bit lower-case hex, fresh each time', () => {
  const a = newRunMarker();
  assert.ok(isRunMarker(a));
  assert.notEqual(a, newRunMarker());
  assert.equal(isRunMarker('ABCDEF0123456789abcdef0123456789'), false);
  assert.equal(isRunMarker('abc'), false);
});

test('header, spawn lines, 0600, a torn last line ignored, compaction keeps the live children', () => {
  const dir = fs.mkdtempSync(path.join(tmp, 'j-'));
  const marker = newRunMarker();
  const j = new RunJournal(dir, { runnerPid: 4242, runnerStartTimeTicks: 7, marker, file: '/p/flow.yml', startedAt: 1 });
  assert.match(path.basename(j.file), /^4242-[0-9a-f]{12}\.jsonl$/);
  j.open();
  j.open(); // idempotent
  assert.equal(fs.statSync(j.file).mode & 0o777, 0o600);
  for (let i = 0; i < 2500; i++) j.recordSpawn({ id: `c${i}`, pid: 10_000 + i, pgid: 10_000 + i, startTimeTicks: 100 + i });
  let content = readJournal(j.file)!;
  assert.deepEqual(content.header, { runnerPid: 4242, runnerStartTimeTicks: 7, marker, file: '/p/flow.yml', startedAt: 1 });
  assert.equal(content.children.length, 2500);
  assert.deepEqual(content.children[3], { id: 'c3', pid: 10_003, pgid: 10_003, startTimeTicks: 103 });

  fs.appendFileSync(j.file, '{"t":"spawn","id":"torn","pi');
  assert.equal(readJournal(j.file)!.children.length, 2500, 'a torn last line is ignored');
  fs.writeFileSync(j.file, fs.readFileSync(j.file, 'utf8').replace(/\{"t":"spawn","id":"torn","pi$/, ''));

  j.compactIfLarge(() => [
    { id: 'c1', pid: 10_001, pgid: 10_001, startTimeTicks: 101 },
    { id: 'c9', pid: 10_009, pgid: 10_009, startTimeTicks: 109 },
  ]);
  j.recordSpawn({ id: 'after', pid: 20_000, pgid: 20_000, startTimeTicks: 5 });
  content = readJournal(j.file)!;
  assert.equal(content.header.marker, marker);
  assert.deepEqual(content.children.map((c) => c.id), ['c1', 'c9', 'after']);
  assert.equal(fs.statSync(j.file).mode & 0o777, 0o600, 'still private after the rewrite');
  assert.deepEqual(fs.readdirSync(path.dirname(j.file)), [path.basename(j.file)], 'no temp file left');
  j.remove();
  assert.equal(fs.existsSync(j.file), false);
});

test('the reaper removes a header-less journal of a dead runner and leaves a live runner\'s journal alone', async () => {
  const dir = fs.mkdtempSync(path.join(tmp, 'r-'));
  const runs = path.join(dir, 'runs');
  fs.mkdirSync(runs, { mode: 0o700 });
  const deadPid = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
  const headerless = path.join(runs, `${deadPid}-000000000000.jsonl`);
  fs.writeFileSync(headerless, '');
  const live = new RunJournal(dir, { runnerPid: process.ppid, marker: newRunMarker(), file: '/live.yml', startedAt: 1 });
  live.open();
  live.close();
  const result = await reapLeftovers(dir, { graceMs: 100 });
  assert.deepEqual(result.removedFiles, [headerless]);
  assert.deepEqual(result.reaped, []);
  assert.ok(fs.existsSync(live.file), 'the journal of a live runner stays');
});
