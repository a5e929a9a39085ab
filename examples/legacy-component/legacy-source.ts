// A component that speaks ONLY the legacy flowctl.ControlPlane API, like the hand-written Go
// components of ttp-processor-demo: Register (SERVICE_TYPE_SOURCE, component_id =
// FLOWCTL_COMPONENT_ID, health_endpoint = its HTTP health URL), then Heartbeat every
// FLOWCTL_HEARTBEAT_INTERVAL with map<string,double> metrics. It serves NO flowctl.v1 data plane
// (legacy components wire their own data); it only pretends to ingest ledgers and serves
// GET /health on HEALTH_PORT. It never unregisters (neither do the originals).
// One deliberate difference: a failed Register is retried every 2 s (the originals invent a
// "sim-…" id and heartbeat with it forever).
import * as grpc from '@grpc/grpc-js';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { protos } from '../../src/core/proto';
import { parseGoDuration } from '../../src/core/duration';

const log = (msg: string) => console.log(`${new Date().toISOString()} legacy-source: ${msg}`);

const enabled = (process.env.ENABLE_FLOWCTL ?? '').toLowerCase() === 'true';
const endpoint = (process.env.FLOWCTL_ENDPOINT || 'localhost:8080').replace(/^https?:\/\//, '');
const componentId = process.env.FLOWCTL_COMPONENT_ID ?? '';
let intervalMs = 10_000;
try {
  const v = parseGoDuration(process.env.FLOWCTL_HEARTBEAT_INTERVAL || '10s');
  if (v > 0) intervalMs = v;
} catch {
  log(`invalid FLOWCTL_HEARTBEAT_INTERVAL "${process.env.FLOWCTL_HEARTBEAT_INTERVAL}", using 10s`);
}

// Pretend to ingest a ledger every second.
const stats = { success_count: 0, error_count: 0, total_processed: 0, total_bytes_processed: 0, last_successful_sequence: 0 };
let sequence = 1_000_000;
const ingest = setInterval(() => {
  sequence++;
  stats.success_count++;
  stats.total_processed++;
  stats.total_bytes_processed += 4096;
  stats.last_successful_sequence = sequence;
}, 1_000);

const health = http.createServer((req, res) => {
  if (req.url === '/health') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ status: 'healthy', metrics: stats }));
  } else {
    res.writeHead(404).end();
  }
});
const healthPort = Number(process.env.HEALTH_PORT ?? '0');
health.listen(healthPort, '0.0.0.0', () => {
  const port = (health.address() as AddressInfo).port;
  log(`health on http://localhost:${port}/health`);
  if (enabled) void register(port);
  else log('ENABLE_FLOWCTL is not "true": not registering');
});

const client = new (protos().legacy.ControlPlane)(endpoint, grpc.credentials.createInsecure()) as grpc.Client & Record<string, any>;
let heartbeat: NodeJS.Timeout | undefined;

function call<T>(method: string, req: unknown, timeoutMs: number): Promise<T> {
  return new Promise((resolve, reject) =>
    client[method](req, { deadline: new Date(Date.now() + timeoutMs) }, (err: grpc.ServiceError | null, res: T) => (err ? reject(err) : resolve(res))),
  );
}

async function register(port: number): Promise<void> {
  const info = {
    service_type: 1, // SERVICE_TYPE_SOURCE
    component_id: componentId,
    output_event_types: ['raw_ledger_service.RawLedgerChunk'],
    health_endpoint: `http://localhost:${port}/health`,
    max_inflight: 100,
    metadata: { network: process.env.STELLAR_NETWORK ?? 'testnet', ledger_type: 'stellar', source_name: 'legacy-source', source_version: '0.1.0' },
  };
  for (;;) {
    try {
      const ack = await call<{ service_id: string }>('Register', info, 5_000);
      log(`registered through flowctl.ControlPlane/Register as ${ack.service_id} (heartbeat every ${intervalMs} ms)`);
      heartbeat = setInterval(() => void beat(ack.service_id), intervalMs);
      return;
    } catch (err) {
      log(`Register failed: ${(err as grpc.ServiceError).details || (err as Error).message}; retrying in 2 s`);
      await new Promise((r) => setTimeout(r, 2_000));
    }
  }
}

async function beat(serviceId: string): Promise<void> {
  const now = Date.now();
  try {
    await call('Heartbeat', { service_id: serviceId, timestamp: { seconds: Math.floor(now / 1000), nanos: (now % 1000) * 1e6 }, metrics: { ...stats } }, 2_000);
  } catch (err) {
    log(`Heartbeat failed: ${(err as grpc.ServiceError).details || (err as Error).message}`);
  }
}

const shutdown = (sig: string) => {
  log(`${sig}: stopping (ingested ${stats.total_processed} ledgers)`);
  clearInterval(ingest);
  if (heartbeat) clearInterval(heartbeat);
  client.close();
  health.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 1_000).unref();
};
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));
