// Demo source: a steady stream of fake trades {symbol, price, qty, seq} as JSON (demo.trade.v1).
// RATE events per second (default 20); SYMBOLS comma-separated (default aapl,msft,goog,amzn,tsla).
import { runSource, sleep } from '../../../src/sdk';

const rate = Number(process.env.RATE ?? '20');
if (!Number.isFinite(rate) || rate <= 0) {
  console.error(`ticker: RATE must be a positive number of events per second, got "${process.env.RATE}"`);
  process.exit(2);
}
const symbols = (process.env.SYMBOLS ?? 'aapl,msft,goog,amzn,tsla').split(',').map((s) => s.trim()).filter(Boolean);
const prices = new Map(symbols.map((s, i) => [s, 100 + i * 37.5]));

void runSource({
  name: 'ticker',
  version: '1.0.0',
  description: 'Synthetic trades for the offline demo',
  outputEventTypes: ['demo.trade.v1'],
  async *produce(ctx) {
    // After a restart flowctl re-opens the stream with the id of the last trade it delivered: go on from there.
    const resumed = ctx.resume ? /^trade-(\d+)$/.exec(ctx.resumeToken) : null;
    const first = resumed ? Number(resumed[1]) + 1 : 1;
    ctx.log.info(`ticker: streaming ${rate} trades/s over ${symbols.join(', ')}${resumed ? `, resuming at trade-${first}` : ''}`);
    let started = Date.now();
    let base = first - 1;
    let lastReport = started;
    let lastSeq = first - 1;
    for (let seq = first; !ctx.signal.aborted; seq++) {
      const symbol = symbols[Math.floor(Math.random() * symbols.length)];
      const price = Math.max(1, prices.get(symbol)! * (1 + (Math.random() - 0.5) * 0.01));
      prices.set(symbol, price);
      const qty = 1 + Math.floor(Math.random() * 100);
      yield { id: `trade-${seq}`, payload: { symbol, price: Math.round(price * 100) / 100, qty, seq }, metadata: { symbol } };
      ctx.metrics.gauge(`price_${symbol}`, price);
      if (Date.now() - lastReport >= 5_000) {
        const now = Date.now();
        ctx.log.info(`ticker: ${seq} trades so far (${(((seq - lastSeq) * 1000) / (now - lastReport)).toFixed(1)}/s)`);
        lastReport = now;
        lastSeq = seq;
      }
      // Keep the average rate even when a slow consumer held us back for a while.
      let due = started + ((seq - base) * 1000) / rate;
      if (Date.now() - due > 1_000) {
        // Held back by a slow consumer for a while: carry on at RATE instead of bursting.
        started = Date.now();
        base = seq;
        due = started;
      }
      await sleep(Math.max(0, due - Date.now()), ctx.signal);
    }
  },
});
