// Bench source: emits COUNT events (0 = endless) of type bench.event.v1, RATE per second (0 = as fast
// as backpressure allows). Payload: PAD_BYTES bytes (default 256), the sequence number in the first 8.
// A re-opened stream (resume) goes on after the resume token's sequence number.
import { runSource, sleep } from '../../src/sdk';

const count = Number(process.env.COUNT ?? '0');
const rate = Number(process.env.RATE ?? '0');
const size = Math.max(8, Number(process.env.PAD_BYTES ?? '256'));

void runSource({
  name: 'bench-source',
  outputEventTypes: ['bench.event.v1'],
  async *produce(ctx) {
    // Re-opened after a restart: go on after the last event delivered (default ids are "<id>-<seq>").
    const after = ctx.resume && ctx.resumeToken.startsWith(`${ctx.componentId}-`) ? Number(ctx.resumeToken.slice(ctx.componentId.length + 1)) : 0;
    for (let seq = after + 1; count === 0 || seq <= count; seq++) {
      if (ctx.signal.aborted) return;
      const payload = Buffer.alloc(size, 0x61);
      payload.writeDoubleBE(seq, 0);
      yield { payload };
      if (rate > 0) await sleep(1000 / rate, ctx.signal);
    }
  },
});
