// Bench processor: passes every event through unchanged (same id, type, payload and metadata).
import { runProcessor } from '../../src/sdk';

void runProcessor({
  name: 'bench-processor',
  inputEventTypes: ['bench.event.v1'],
  outputEventTypes: ['bench.event.v1'],
  process: (event) => ({ id: event.id, type: event.type, payload: event.payload, metadata: event.metadata }),
});
