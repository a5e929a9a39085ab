// The data plane's own gRPC calls over node:http2 (h2call.ts) against a real grpc-js server: the
// messages arrive byte for byte, and the final status is the server's (code and details), a
// cancellation, or an unreachable server.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as net from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { protos } from '../../src/core/proto';
import { FrameSplitter, frameMessage } from '../../src/core/dataplane/frames';
import { H2Channel, type CallStatus } from '../../src/core/dataplane/h2call';

const method = () => protos().v1.SourceService.service.StreamEvents;
const event = (i: number) => ({ id: `e-${i}`, type: 'test.v1', payload: Buffer.alloc(100 + i, i), metadata: { i: String(i) }, source_component_id: 'srv', content_type: '' });

/** Runs StreamEvents with `params` and collects the decoded events and the final status. */
function streamEvents(channel: H2Channel, params: Record<string, string>, onCall?: (cancel: () => void) => void): Promise<{ events: any[]; status: CallStatus }> {
  return new Promise((resolve) => {
    const events: any[] = [];
    const splitter = new FrameSplitter(-1);
    const sink = { frame: (buf: Buffer, start: number, end: number) => events.push(method().responseDeserialize(buf.subarray(start + 5, end))) };
    const call = channel.call(method().path, {
      data: (chunk) => assert.equal(splitter.feed(chunk, sink), undefined),
      done: (status) => resolve({ events, status }),
    });
    call.write(frameMessage(method().requestSerialize({ params, resume: false, resume_token: '' })));
    call.end();
    onCall?.(() => call.cancel());
  });
}

describe('data-plane gRPC calls over node:http2', () => {
  let server: grpc.Server;
  let address = '';
  before(async () => {
    server = new grpc.Server();
    server.addService(protos().v1.SourceService.service, {
      StreamEvents: (call: grpc.ServerWritableStream<any, any>) => {
        const mode = call.request.params.mode;
        if (mode === 'fail') {
          call.write(event(1));
          call.emit('error', { code: grpc.status.FAILED_PRECONDITION, details: 'bad ledger: 100% wrong ✓' });
        } else if (mode === 'hang') {
          call.write(event(1)); // and never ends
        } else {
          for (let i = 0; i < Number(call.request.params.count); i++) call.write(event(i));
          call.end();
        }
      },
    });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
    );
    address = `127.0.0.1:${port}`;
  });
  after(() => server.forceShutdown());

  it('delivers every message in order and ends with OK', async () => {
    const channel = new H2Channel(address);
    const { events, status } = await streamEvents(channel, { count: '500' });
    channel.close();
    assert.equal(status.code, grpc.status.OK);
    assert.equal(events.length, 500);
    events.forEach((e, i) => {
      assert.equal(e.id, `e-${i}`);
      assert.deepEqual(e.payload, Buffer.alloc(100 + i, i));
      assert.deepEqual(e.metadata, { i: String(i) });
    });
  });

  it("reports the server's status code and details (percent-decoded)", async () => {
    const channel = new H2Channel(address);
    const { events, status } = await streamEvents(channel, { mode: 'fail' });
    channel.close();
    assert.equal(events.length, 1);
    assert.deepEqual(status, { code: grpc.status.FAILED_PRECONDITION, details: 'bad ledger: 100% wrong ✓' });
  });

  it('a cancelled call ends with CANCELLED; several calls share one channel', async () => {
    const channel = new H2Channel(address);
    const [hung, ok] = await Promise.all([
      streamEvents(channel, { mode: 'hang' }, (cancel) => setTimeout(cancel, 200)),
      streamEvents(channel, { count: '3' }),
    ]);
    channel.close();
    assert.equal(hung.status.code, grpc.status.CANCELLED);
    assert.equal(hung.events.length, 1);
    assert.equal(ok.status.code, grpc.status.OK);
    assert.equal(ok.events.length, 3);
  });

  it('a server that is not there ends the call with UNAVAILABLE', async () => {
    const free = net.createServer();
    await new Promise<void>((r) => free.listen(0, '127.0.0.1', r));
    const port = (free.address() as net.AddressInfo).port;
    await new Promise<void>((r) => free.close(() => r()));
    const channel = new H2Channel(`127.0.0.1:${port}`);
    const { status } = await streamEvents(channel, { count: '1' });
    channel.close();
    assert.equal(status.code, grpc.status.UNAVAILABLE);
    assert.match(status.details, /ECONNREFUSED/);
  });
});
