// Bench sink: accepts every event and only counts it (metric "received").
import { runConsumer } from '../../src/sdk';

void runConsumer({
  name: 'bench-sink',
  inputEventTypes: [],
  consume(_event, ctx) {
    ctx.metrics.increment('received');
  },
});
