// A flowctl.v1 source that behaves like a component built on the real Go flowctl-sdk
// (withObsrvr/flowctl-sdk pkg/source), quirks included, to exercise a control plane and runner:
//   - component.id = COMPONENT_ID env or "go-like-ledger-source": NOT the YAML id, and it never
//     reads FLOWCTL_COMPONENT_ID; RegisterRequest.component_id is left empty;
//   - endpoint is the listen string ":<port>" with no host;
//   - it registers BEFORE its data port listens (it listens ~1 s later);
//   - the first heartbeat comes one full interval after registering, and every heartbeat (and
//     HealthCheck) reports HEALTH_STATUS_UNKNOWN (the SDK's enum-name bug);
//   - no UnregisterComponent on shutdown.
// It streams fake ledgers (stellar.ledger.v1, JSON payload) at RATE per second (default 10),
// starting at StreamRequest.params.start_ledger when given.
import * as grpc from '@grpc/grpc-js';
import * as net from 'node:net';
import { protos } from '../../src/core/proto';
import { parseGoDuration } from '../../src/core/duration';

const log = (msg: string) => console.log(`${new Date().toISOString()} go-like-source: ${msg}`);

const id = process.env.COMPONENT_ID || 'go-like-ledger-source';
const cpEndpoint = process.env.FLOWCTL_ENDPOINT || 'localhost:8080';
const enabled = process.env.ENABLE_FLOWCTL === 'true';
const rate = Number(process.env.RATE ?? '10') || 10;
let intervalMs = 10_000;
try {
  const v = parseGoDuration(process.env.FLOWCTL_HEARTBEAT_INTERVAL || '10s');
  if (v > 0) intervalMs = v;
} catch {
  intervalMs = 30_000; // Go: invalid → 0 → the SDK default of 30 s
}

const metrics = { processed_count: 0, error_count: 0, success_count: 0 };
const started = Date.now();

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

function info(listen: string) {
  const metadata = { source_id: id, source_name: 'go-like-source', source_version: '1.0.0', source_description: 'Go-SDK-like ledger source', endpoint: listen };
  return { id, name: 'go-like-source', description: metadata.source_description, version: '1.0.0', type: 1, input_event_types: [], output_event_types: ['stellar.ledger.v1'], endpoint: listen, metadata };
}

async function main(): Promise<void> {
  const port = process.env.PORT ? Number(process.env.PORT.replace(/^.*:/, '')) : await freePort();
  const listen = `:${port}`;
  let serviceId = id;
  let cp: (grpc.Client & Record<string, any>) | undefined;

  if (enabled) {
    cp = new (protos().v1.ControlPlaneService)(cpEndpoint, grpc.credentials.createInsecure()) as any;
    // Like grpc.DialContext(WithBlock): wait for the control plane however long it takes.
    const res = await new Promise<{ service_id: string }>((resolve, reject) =>
      cp!.RegisterComponent({ component: info(listen) }, new grpc.Metadata({ waitForReady: true }), (err: grpc.ServiceError | null, r: { service_id: string }) =>
        err ? reject(err) : resolve(r),
      ),
    ).catch((err: grpc.ServiceError) => {
      log(`failed to register: ${err.details || err.message}`);
      process.exit(1);
    });
    if (res.service_id) serviceId = res.service_id;
    log(`registered as ${serviceId} with endpoint "${listen}" (not listening yet)`);
    setInterval(() => {
      const m: Record<string, string> = {
        processed_count: String(metrics.processed_count),
        error_count: String(metrics.error_count),
        success_count: String(metrics.success_count),
        last_update_time: String(Math.floor(Date.now() / 1000)),
        uptime_seconds: String((Date.now() - started) / 1000),
      };
      cp!.Heartbeat({ service_id: serviceId, status: 0, metrics: m }, { deadline: new Date(Date.now() + 5_000) }, (err: grpc.ServiceError | null) => {
        if (err) log(`Error sending heartbeat for ID ${serviceId}: ${err.details || err.message}`);
      });
    }, intervalMs);
  }

  // LISTEN_DELAY_MS (default 1000): how long after registering the data port starts listening.
  await new Promise((r) => setTimeout(r, Math.max(0, Number(process.env.LISTEN_DELAY_MS ?? '1000') || 0)));
  const server = new grpc.Server();
  let streaming = false;
  server.addService(protos().v1.SourceService.service, {
    GetInfo: (_c: unknown, cb: grpc.sendUnaryData<unknown>) => cb(null, info(listen)),
    HealthCheck: (_c: unknown, cb: grpc.sendUnaryData<unknown>) => cb(null, { status: 0, metrics: {}, components: [], message: '' }),
    GetState: (_c: unknown, cb: grpc.sendUnaryData<unknown>) => cb({ code: grpc.status.UNIMPLEMENTED, details: 'GetState not implemented' }),
    SaveState: (_c: unknown, cb: grpc.sendUnaryData<unknown>) => cb({ code: grpc.status.UNIMPLEMENTED, details: 'SaveState not implemented' }),
    StreamEvents: async (call: grpc.ServerWritableStream<{ params: Record<string, string> }, unknown>) => {
      if (streaming) return call.emit('error', { code: grpc.status.UNKNOWN, details: 'already streaming events' });
      streaming = true;
      let seq = Number(call.request.params?.start_ledger || '1000');
      const end = Number(call.request.params?.end_ledger || '0');
      log(`StreamEvents from ledger ${seq}${end ? ` to ${end}` : ''}`);
      let stop = false;
      call.on('cancelled', () => (stop = true));
      while (!stop && (end === 0 || seq <= end)) {
        const closedAt = Math.floor(Date.now() / 1000);
        const ok = call.write({
          id: `stellar-ledger-${seq}`,
          type: 'stellar.ledger.v1',
          payload: Buffer.from(JSON.stringify({ sequence: seq, closed_at: closedAt, network: 'testnet' })),
          metadata: { ledger_sequence: String(seq) },
          timestamp: { seconds: closedAt, nanos: 0 },
          source_component_id: id,
          content_type: 'application/json',
          stellar_cursor: { ledger_sequence: seq, index_in_ledger: 0 },
        });
        metrics.processed_count++;
        metrics.success_count++;
        seq++;
        if (!ok) await new Promise((r) => call.once('drain', r));
        await new Promise((r) => setTimeout(r, 1000 / rate));
      }
      streaming = false;
      if (!stop) call.end();
    },
  });
  await new Promise<void>((resolve, reject) =>
    server.bindAsync(`0.0.0.0:${port}`, grpc.ServerCredentials.createInsecure(), (err) => (err ? reject(err) : resolve())),
  );
  log(`serving flowctl.v1.SourceService on "${listen}"`);

  const shutdown = (sig: string) => {
    log(`${sig}: stopping without unregistering (like the Go SDK)`);
    cp?.close();
    server.tryShutdown(() => process.exit(0));
    setTimeout(() => process.exit(0), 2_000).unref();
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((err) => {
  log(`fatal: ${(err as Error).message}`);
  process.exit(1);
});
