// The flowctl.v1 Source/Processor/Consumer service handlers. Every stream respects backpressure:
// a write that returns false waits for 'drain', and inputs are read one event at a time, so a slow
// downstream slows its upstream through gRPC/HTTP2 flow control instead of growing a queue.
import * as grpc from '@grpc/grpc-js';
import { fromWireEvent, toWireEvent, type EventInit, type WireEvent } from './events';
import type { ComponentRuntime } from './runtime';
import type { ConsumerOptions, Context, ProcessorOptions, ProcessResult, SourceContext, SourceOptions } from './types';

type Writable = { write(chunk: unknown): boolean; once(ev: string, fn: () => void): unknown; off(ev: string, fn: () => void): unknown };

/** Waits until the stream drains, closes, or the signal aborts. */
function waitDrain(stream: Writable, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      stream.off('drain', done);
      stream.off('close', done);
      stream.off('error', done);
      signal.removeEventListener('abort', done);
      resolve();
    };
    stream.once('drain', done);
    stream.once('close', done);
    stream.once('error', done);
    signal.addEventListener('abort', done, { once: true });
  });
}

/**
 * Reads a gRPC server stream one object at a time. Unlike `for await (… of stream)` it does not
 * destroy the stream when the input ends, which for a bidi call would drop the outputs still
 * being written and the final status.
 */
async function* readObjects<T>(stream: NodeJS.ReadableStream & { readableEnded?: boolean; destroyed?: boolean }): AsyncGenerator<T> {
  for (;;) {
    const chunk = stream.read() as T | null;
    if (chunk !== null) {
      yield chunk;
      continue;
    }
    if (stream.readableEnded || stream.destroyed) return;
    const ended = await new Promise<boolean>((resolve) => {
      const finish = (value: boolean) => {
        stream.off('readable', onReadable);
        stream.off('end', onEnd);
        stream.off('close', onEnd);
        stream.off('error', onEnd);
        resolve(value);
      };
      const onReadable = () => finish(false);
      const onEnd = () => finish(true);
      stream.on('readable', onReadable);
      stream.on('end', onEnd);
      stream.on('close', onEnd);
      stream.on('error', onEnd);
    });
    if (ended) {
      // Anything still buffered is delivered before we stop.
      let rest: T | null;
      while ((rest = stream.read() as T | null) !== null) yield rest;
      return;
    }
  }
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function commonHandlers(rt: ComponentRuntime): grpc.UntypedServiceImplementation {
  return {
    GetInfo: (_call: grpc.ServerUnaryCall<unknown, unknown>, cb: grpc.sendUnaryData<unknown>) => cb(null, rt.componentInfo()),
    HealthCheck: (_call: grpc.ServerUnaryCall<unknown, unknown>, cb: grpc.sendUnaryData<unknown>) =>
      cb(null, { status: rt.healthCode(), metrics: rt.metrics.toHeartbeat(), components: [], message: rt.health() }),
  };
}

/** An AbortController aborted when the component stops or the call is cancelled. */
function callSignal(rt: ComponentRuntime, call: { on(ev: 'cancelled', fn: () => void): unknown }): AbortController {
  const ac = new AbortController();
  const onStop = () => ac.abort();
  if (rt.stopSignal.aborted) ac.abort();
  else rt.stopSignal.addEventListener('abort', onStop, { once: true });
  call.on('cancelled', () => ac.abort());
  ac.signal.addEventListener('abort', () => rt.stopSignal.removeEventListener('abort', onStop), { once: true });
  return ac;
}

function baseContext(rt: ComponentRuntime, signal: AbortSignal): Context {
  return { componentId: rt.id, signal, metrics: rt.metrics, log: rt.log };
}

export function sourceHandlers(rt: ComponentRuntime, opts: SourceOptions): grpc.UntypedServiceImplementation {
  let streaming = false;
  let seq = 0;
  const state = new Map<string, { state: Record<string, string>; updated: number }>();
  return {
    ...commonHandlers(rt),
    StreamEvents: async (call: grpc.ServerWritableStream<any, WireEvent>) => {
      if (rt.stopping) return call.emit('error', { code: grpc.status.UNAVAILABLE, details: `${rt.id} is stopping` });
      if (streaming) return call.emit('error', { code: grpc.status.FAILED_PRECONDITION, details: 'already streaming events' });
      streaming = true;
      const ac = callSignal(rt, call);
      const tracked = rt.track(() => {
        ac.abort();
        if (!call.writableEnded) call.end();
      });
      const req = call.request ?? {};
      const ctx: SourceContext = { ...baseContext(rt, ac.signal), params: req.params ?? {}, resume: !!req.resume, resumeToken: req.resume_token ?? '' };
      rt.log.info(`${rt.id}: stream opened by ${call.getPeer()}`);
      try {
        for await (const init of opts.produce(ctx) as AsyncIterable<EventInit>) {
          if (ac.signal.aborted || tracked.finished || call.cancelled) break;
          const wire = toWireEvent(init, { id: `${rt.id}-${++seq}`, type: opts.outputEventTypes[0] ?? '', sourceComponentId: rt.id });
          rt.metrics.eventsOut++;
          rt.metrics.recordProcessed();
          if (!call.write(wire)) await waitDrain(call, ac.signal);
        }
        if (!call.cancelled && !call.writableEnded) call.end();
        rt.log.info(`${rt.id}: stream ended after ${seq} event(s) in total`);
      } catch (err) {
        rt.metrics.recordError();
        rt.log.error(`${rt.id}: produce failed: ${message(err)}`);
        if (!call.cancelled && !call.writableEnded) call.emit('error', { code: grpc.status.INTERNAL, details: `source ${rt.id}: ${message(err)}` });
      } finally {
        streaming = false;
        ac.abort();
        tracked.close();
      }
    },
    GetState: (call: grpc.ServerUnaryCall<{ key: string }, unknown>, cb: grpc.sendUnaryData<unknown>) => {
      const s = state.get(call.request.key ?? '');
      cb(null, { state: s?.state ?? {}, resume_token: s?.state.resume_token ?? '', last_updated_unix: s ? Math.floor(s.updated / 1000) : 0 });
    },
    SaveState: (call: grpc.ServerUnaryCall<{ key: string; state: Record<string, string> }, unknown>, cb: grpc.sendUnaryData<unknown>) => {
      state.set(call.request.key ?? '', { state: { ...(call.request.state ?? {}) }, updated: Date.now() });
      cb(null, {});
    },
  };
}

function outputs(result: ProcessResult): EventInit[] {
  if (result === null || result === undefined) return [];
  return Array.isArray(result) ? result : [result];
}

export function processorHandlers(rt: ComponentRuntime, opts: ProcessorOptions): grpc.UntypedServiceImplementation {
  return {
    ...commonHandlers(rt),
    Process: async (call: grpc.ServerDuplexStream<WireEvent, WireEvent>) => {
      const ac = callSignal(rt, call);
      const tracked = rt.track(() => {
        if (!call.writableEnded) call.end();
      });
      const ctx = baseContext(rt, ac.signal);
      let reported = 0;
      try {
        for await (const wire of readObjects<WireEvent>(call)) {
          if (tracked.finished || call.cancelled) break;
          rt.metrics.eventsIn++;
          const ev = fromWireEvent(wire);
          tracked.busy = (async () => {
            let result: ProcessResult;
            try {
              result = await opts.process(ev, ctx);
              rt.metrics.recordProcessed();
            } catch (err) {
              rt.metrics.recordError();
              if (reported++ < 20) rt.log.error(`${rt.id}: process(${ev.id}) failed: ${message(err)}`);
              return;
            }
            for (const out of outputs(result)) {
              if (call.cancelled || call.writableEnded) return;
              let w: WireEvent;
              try {
                w = toWireEvent(out, { id: ev.id, type: opts.outputEventTypes[0] ?? ev.type, sourceComponentId: rt.id });
              } catch (err) {
                rt.metrics.recordError();
                if (reported++ < 20) rt.log.error(`${rt.id}: invalid output for ${ev.id}: ${message(err)}`);
                continue;
              }
              rt.metrics.eventsOut++;
              if (!call.write(w)) await waitDrain(call, ac.signal);
            }
          })();
          await tracked.busy;
          tracked.busy = null;
        }
      } catch (err) {
        if (!call.cancelled) rt.log.warn(`${rt.id}: process stream failed: ${message(err)}`);
      } finally {
        tracked.finish();
        ac.abort();
        tracked.close();
      }
    },
  };
}

export function consumerHandlers(rt: ComponentRuntime, opts: ConsumerOptions): grpc.UntypedServiceImplementation {
  return {
    ...commonHandlers(rt),
    Consume: async (call: grpc.ServerReadableStream<WireEvent, unknown>, cb: grpc.sendUnaryData<unknown>) => {
      const ac = callSignal(rt, call);
      let consumed = 0;
      let failed = 0;
      const errors: string[] = [];
      const tracked = rt.track(() => {
        if (!call.cancelled) cb(null, { events_consumed: consumed, events_failed: failed, errors });
      });
      const ctx = baseContext(rt, ac.signal);
      try {
        for await (const wire of readObjects<WireEvent>(call)) {
          if (tracked.finished || call.cancelled) break;
          rt.metrics.eventsIn++;
          const ev = fromWireEvent(wire);
          tracked.busy = (async () => {
            try {
              await opts.consume(ev, ctx);
              consumed++;
              rt.metrics.recordProcessed();
            } catch (err) {
              failed++;
              rt.metrics.recordError();
              if (errors.length < 100) errors.push(`${ev.id}: ${message(err)}`);
              if (failed <= 20) rt.log.error(`${rt.id}: consume(${ev.id}) failed: ${message(err)}`);
            }
          })();
          await tracked.busy;
          tracked.busy = null;
        }
      } catch (err) {
        if (!call.cancelled) rt.log.warn(`${rt.id}: consume stream failed: ${message(err)}`);
      } finally {
        tracked.finish();
        ac.abort();
        tracked.close();
      }
    },
  };
}
