// Bench sink: accepts every event and counts it (metric "received"). With SEQ_FILE, it also appends the
// sequence number of every event (first 8 payload bytes, see source.ts) as one line, so `bench:run` can
// count duplicates and gaps after restarts.
import * as fs from 'node:fs';
import { runConsumer } from '../../src/sdk';

const seqFile = process.env.SEQ_FILE;
const fd = seqFile ? fs.openSync(seqFile, 'a') : undefined;
let pending: string[] = [];
function flush(): void {
  if (fd === undefined || pending.length === 0) return;
  fs.writeSync(fd, pending.join(''));
  pending = [];
}
if (fd !== undefined) {
  setInterval(flush, 50).unref();
  process.on('exit', flush);
}

void runConsumer({
  name: 'bench-sink',
  inputEventTypes: [],
  consume(event, ctx) {
    ctx.metrics.increment('received');
    if (fd !== undefined && event.payload.length >= 8) {
      pending.push(`${event.payload.readDoubleBE(0)}\n`);
      if (pending.length >= 500) flush();
    }
  },
});
