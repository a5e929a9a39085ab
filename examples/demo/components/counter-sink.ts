// Demo sink: counts events per symbol (the payload's "symbol", else the event type) and logs a
// summary line every 2 seconds.
import { runConsumer } from '../../../src/sdk';

const counts = new Map<string, number>();
let total = 0;
let lastTotal = 0;

void runConsumer({
  name: 'counter-sink',
  version: '1.0.0',
  description: 'Counts events per symbol',
  inputEventTypes: (process.env.INPUT_EVENT_TYPES ?? '').split(',').map((s) => s.trim()).filter(Boolean),
  consume(event, ctx) {
    let key = event.type;
    try {
      const body = event.json<{ symbol?: unknown }>();
      if (typeof body?.symbol === 'string') key = body.symbol;
    } catch {
      /* not JSON: count by type */
    }
    counts.set(key, (counts.get(key) ?? 0) + 1);
    total++;
    ctx.metrics.increment(`events_${key}`);
  },
}).then((h) => {
  setInterval(() => {
    if (total === lastTotal && total > 0) return;
    const per = [...counts.entries()].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${n}`).join(' | ');
    console.log(`counter-sink: ${total} events (+${total - lastTotal} in 2s)${per ? ` — ${per}` : ''}`);
    lastTotal = total;
  }, 2_000).unref();
  return h;
});
