// Demo sink: appends every event as one JSON line to OUTPUT_FILE (default output/events.jsonl,
// relative to the working directory, which flowctl sets to the flow.yml folder).
// INPUT_EVENT_TYPES (comma-separated) overrides the accepted types (default demo.trade.enriched.v1).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runConsumer } from '../../../src/sdk';

const file = path.resolve(process.env.OUTPUT_FILE || 'output/events.jsonl');
fs.mkdirSync(path.dirname(file), { recursive: true });
const fd = fs.openSync(file, 'a');
let written = 0;

void runConsumer({
  name: 'jsonl-sink',
  version: '1.0.0',
  description: 'Writes events as JSON lines',
  inputEventTypes: (process.env.INPUT_EVENT_TYPES ?? 'demo.trade.enriched.v1').split(',').map((s) => s.trim()).filter(Boolean),
  consume(event) {
    let payload: unknown;
    try {
      payload = event.json();
    } catch {
      payload = event.payload.toString('base64');
    }
    const line = { id: event.id, type: event.type, time: event.timestamp?.toISOString(), from: event.sourceComponentId, payload };
    fs.writeSync(fd, JSON.stringify(line) + '\n');
    written++;
  },
}).then((h) => {
  console.log(`jsonl-sink: appending to ${file}`);
  setInterval(() => {
    if (written > 0) console.log(`jsonl-sink: ${written} events written to ${path.basename(file)}`);
  }, 5_000).unref();
  return h;
});
