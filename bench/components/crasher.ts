// Bench crasher: a source that registers, then CRASH_AFTER_MS later appends "<id> <epoch ms, µs
// precision>" to CRASH_FILE and SIGKILLs itself. It does so on its first CRASHES starts (counted by
// its own lines in CRASH_FILE); after that it stays up, so a restart policy can bring it back.
import * as fs from 'node:fs';
import { runSource, sleep } from '../../src/sdk';

const file = process.env.CRASH_FILE;
if (!file) throw new Error('crasher: CRASH_FILE is required');
const after = Number(process.env.CRASH_AFTER_MS ?? '300');
const crashes = Number(process.env.CRASHES ?? '3');

void runSource({
  name: 'bench-crasher',
  outputEventTypes: ['bench.event.v1'],
  async *produce(ctx) {
    await sleep(2 ** 31 - 1, ctx.signal);
  },
}).then(async (handle) => {
  if (!(await handle.registered)) return;
  const mine = fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.startsWith(`${handle.id} `)).length : 0;
  if (mine >= crashes) return;
  setTimeout(() => {
    fs.appendFileSync(file, `${handle.id} ${(performance.timeOrigin + performance.now()).toFixed(3)}\n`);
    process.kill(process.pid, 'SIGKILL');
  }, after);
});
