// The baseline of `bench:run`: a plain grpc-js client (its own process, forked by bench/run.ts)
// that reads a source's StreamEvents and writes every event to a sink's Consume — no runner, no
// processor — with the same backpressure rule as the data plane (pause on write() = false, resume
// on 'drain'). IPC: parent → {type:'start', source, sink} | {type:'count'} | {type:'stop'};
// child → {type:'ready'} | {type:'count', n} | {type:'error', message} | {type:'stopped', n}.
import * as grpc from '@grpc/grpc-js';
import { protos } from '../src/core/proto';
import { rawClientConstructor } from '../src/core/dataplane/rawCodec';

type Msg = { type: 'start'; source: string; sink: string } | { type: 'count' } | { type: 'stop' };

const MAX = 50 * 1024 * 1024;
const channelOptions = { 'grpc.max_send_message_length': MAX, 'grpc.max_receive_message_length': MAX };
let written = 0;
let source: any;
let sink: any;
let input: grpc.ClientWritableStream<unknown> | undefined;
let output: (grpc.ClientReadableStream<unknown> & { cancel(): void }) | undefined;
let stopping = false;

function send(m: unknown): void {
  process.send?.(m);
}

function ready(client: grpc.Client): Promise<void> {
  return new Promise((resolve, reject) =>
    client.waitForReady(Date.now() + 30_000, (err) => (err ? reject(err) : resolve())),
  );
}

async function start(sourceAddr: string, sinkAddr: string): Promise<void> {
  // BENCH_DIRECT_RAW=1: forward the bytes like the data plane does, instead of decode + encode.
  const raw = process.env.BENCH_DIRECT_RAW === '1';
  const Source = raw ? rawClientConstructor('source') : protos().v1.SourceService;
  const Sink = raw ? rawClientConstructor('sink') : protos().v1.ConsumerService;
  source = new Source(sourceAddr, grpc.credentials.createInsecure(), channelOptions);
  sink = new Sink(sinkAddr, grpc.credentials.createInsecure(), channelOptions);
  await Promise.all([ready(source), ready(sink)]);
  const call = sink.Consume((err: grpc.ServiceError | null) => {
    if (err && !stopping) send({ type: 'error', message: `Consume: ${err.details || err.message}` });
  }) as grpc.ClientWritableStream<unknown>;
  call.on('error', () => undefined);
  input = call;
  const out = source.StreamEvents({ params: {}, resume: false, resume_token: '' }) as grpc.ClientReadableStream<unknown> & { cancel(): void };
  output = out;
  out.on('data', (ev: unknown) => {
    written++;
    if (!call.write(ev)) {
      out.pause();
      call.once('drain', () => out.resume());
    }
  });
  out.on('error', (err: grpc.ServiceError) => {
    if (!stopping) send({ type: 'error', message: `StreamEvents: ${err.details || err.message}` });
  });
  send({ type: 'ready' });
}

process.on('message', (m: Msg) => {
  if (m.type === 'start') {
    start(m.source, m.sink).catch((err: Error) => send({ type: 'error', message: err.message }));
  } else if (m.type === 'count') {
    send({ type: 'count', n: written });
  } else if (m.type === 'stop') {
    stopping = true;
    output?.cancel();
    input?.end();
    setTimeout(() => {
      source?.close();
      sink?.close();
      send({ type: 'stopped', n: written });
      process.exit(0);
    }, 200);
  }
});
process.on('disconnect', () => process.exit(0));
