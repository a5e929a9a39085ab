// Demo processor: upper-cases the symbol, adds notional = price * qty, and drops small trades
// (qty < MIN_QTY, default 10). Emits demo.trade.enriched.v1.
import { runProcessor } from '../../../src/sdk';

interface Trade {
  symbol: string;
  price: number;
  qty: number;
  seq: number;
}

const minQty = Number(process.env.MIN_QTY ?? '10');
let seen = 0;
let kept = 0;

void runProcessor({
  name: 'enrich',
  version: '1.0.0',
  description: 'Adds notional, upper-cases symbols, drops trades below MIN_QTY',
  inputEventTypes: ['demo.trade.v1'],
  outputEventTypes: ['demo.trade.enriched.v1'],
  process(event, ctx) {
    seen++;
    const t = event.json<Trade>();
    if (typeof t.qty !== 'number' || typeof t.price !== 'number') throw new Error(`not a trade: ${event.text()}`);
    if (t.qty < minQty) {
      ctx.metrics.increment('dropped');
      return null;
    }
    kept++;
    const symbol = String(t.symbol).toUpperCase();
    return {
      payload: { ...t, symbol, notional: Math.round(t.price * t.qty * 100) / 100 },
      metadata: { symbol, enriched_by: ctx.componentId },
    };
  },
}).then((h) => {
  setInterval(() => {
    if (seen > 0) console.log(`enrich: ${seen} in, ${kept} out, ${seen - kept} dropped (qty < ${minQty})`);
  }, 5_000).unref();
  return h;
});
