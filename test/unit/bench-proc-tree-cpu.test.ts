// bench/run-util.ts procTreeCpuMs: the CPU a process tree has used, read from /proc (Linux only).
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { procCpuSeconds, procTreeCpuMs } from '../../bench/run-util';

const linux = fs.existsSync('/proc/self/stat');

test('procTreeCpuMs counts a busy child while it runs and after it has been waited for', { skip: !linux && 'no /proc here' }, async () => {
  // This process's own time first: read after the tree, it may have grown by a tick since.
  const own = procCpuSeconds(process.pid) * 1000;
  const before = procTreeCpuMs(process.pid);
  assert.ok(before >= own, `the tree (${before} ms) holds at least this process (${own} ms, read just before)`);
  // A grandchild burns 400 ms of CPU (its own clock, not the wall's: the machine may be busy), then both wait to be told to end: the tree must count it while it lives.
  const child = spawn(process.execPath, [
    '-e',
    `const c=require('child_process').spawn(process.execPath,['-e','const s=process.cpuUsage();for(let u=s;u.user+u.system<400e3;u=process.cpuUsage(s)){}process.stdout.write("burnt\\\\n");setInterval(()=>{},1000)'],{stdio:['ignore','pipe','ignore']});` +
      `c.stdout.on('data',()=>process.stdout.write('ready\\n'));process.stdin.on('data',()=>{c.kill();process.exit(0)})`,
  ]);
  await new Promise<void>((resolve) => child.stdout.on('data', (b: Buffer) => b.toString().includes('ready') && resolve()));
  const alive = procTreeCpuMs(process.pid) - before;
  assert.ok(alive >= 300, `a live grandchild's ~400 ms are counted (got ${alive} ms more)`);
  child.stdin.write('end\n');
  await new Promise((resolve) => child.once('exit', resolve));
  // Waited for: its time (and its own child's, which it waited for only if it reaped it) moved into cutime/cstime.
  const after = procTreeCpuMs(process.pid) - before;
  assert.ok(after >= 30, `the reaped child's own start-up is still counted (got ${after} ms more)`);
  assert.ok(Number.isNaN(procTreeCpuMs(2 ** 22 + 12345)), 'no such process: NaN');
});
