// The flowctl.v1 Source/Processor/Consumer service handlers. Every stream respects backpressure:
// a write that returns false waits for 'drain', and inputs are read one event at a time, so a slow
// downstream slows its upstream through gRPC/HTTP2 flow control instead of growing a queue.
import * as grpc from '@grpc/grpc-js';
import { fromWireEvent, toWireEvent, type EventInit, type FlowEvent, type WireEvent } from './events';
import type { ComponentRuntime } from './runtime';
import type { Awaitable, ConsumerOptions, Context, ProcessorOptions, ProcessResult, SourceContext, SourceOptions } from './types';

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

type ObjectStream = NodeJS.ReadableStream & { readableEnded?: boolean; destroyed?: boolean };

/**
 * Runs `handle` on each message of a gRPC server stream, one at a time, in order. Messages already
 * buffered are taken synchronously; `handle` returns a promise only when it has to wait (an async
 * handler, or backpressure on the output) and the next message is read once it settled. Unlike
 * `for await (… of stream)` it does not destroy the stream when the input ends, which for a bidi
 * call would drop the outputs still being written and the final status. Stops early when `stop()`.
 */
async function readEach<T>(stream: ObjectStream, stop: () => boolean, handle: (msg: T) => void | Promise<void>): Promise<void> {
  let wake: (() => void) | null = null;
  let ended = false;
  const onReadable = () => {
    const w = wake;
    wake = null;
    w?.();
  };
  const onEnd = () => {
    ended = true;
    onReadable();
  };
  stream.on('readable', onReadable);
  stream.on('end', onEnd);
  stream.on('close', onEnd);
  stream.on('error', onEnd);
  try {
    for (;;) {
      // Anything buffered is delivered, also after the input ended.
      let msg: T | null;
      while ((msg = stream.read() as T | null) !== null) {
        if (stop()) return;
        const pending = handle(msg);
        if (pending) await pending;
      }
      if (ended || stream.readableEnded || stream.destroyed) return;
      await new Promise<void>((resolve) => (wake = resolve));
    }
  } finally {
    stream.off('readable', onReadable);
    stream.off('end', onEnd);
    stream.off('close', onEnd);
    stream.off('error', onEnd);
  }
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return v !== null && typeof v === 'object' && typeof (v as { then?: unknown }).then === 'function';
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

/** n of a default event id "<component id>-<n>" (undefined for any other token). */
function defaultSeqOf(token: string, id: string): number | undefined {
  if (!token.startsWith(`${id}-`)) return undefined;
  const n = Number(token.slice(id.length + 1));
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

/** The Stellar cursor of the last event delivered, when the runner passed it (params resume_ledger_sequence / resume_index_in_ledger). */
function cursorOf(params: Record<string, string>): SourceContext['resumeCursor'] {
  const ledger = Number(params.resume_ledger_sequence);
  if (!params.resume_ledger_sequence || !Number.isSafeInteger(ledger)) return undefined;
  const index = Number(params.resume_index_in_ledger ?? '0');
  return { ledgerSequence: ledger, indexInLedger: Number.isSafeInteger(index) ? index : 0 };
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
      const params: Record<string, string> = req.params ?? {};
      const resume = !!req.resume;
      const resumeToken: string = req.resume_token ?? '';
      const ctx: SourceContext = { ...baseContext(rt, ac.signal), params, resume, resumeToken, resumeCursor: resume ? cursorOf(params) : undefined };
      // Default event ids ("<id>-<n>") go on after the last one delivered, also in a new process.
      const after = resume ? defaultSeqOf(resumeToken, rt.id) : undefined;
      if (after !== undefined && after > seq) seq = after;
      rt.log.info(`${rt.id}: stream opened by ${call.getPeer()}${resume ? ` (resuming after "${resumeToken}")` : ''}`);
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

export function processorHandlers(rt: ComponentRuntime, opts: ProcessorOptions): grpc.UntypedServiceImplementation {
  const outputType = opts.outputEventTypes[0];
  return {
    ...commonHandlers(rt),
    Process: async (call: grpc.ServerDuplexStream<WireEvent, WireEvent>) => {
      const ac = callSignal(rt, call);
      const tracked = rt.track(() => {
        if (!call.writableEnded) call.end();
      });
      const ctx = baseContext(rt, ac.signal);
      let reported = 0;
      const failed = (ev: FlowEvent, err: unknown) => {
        rt.metrics.recordError();
        if (reported++ < 20) rt.log.error(`${rt.id}: process(${ev.id}) failed: ${message(err)}`);
      };
      /** Writes one output: 'ok', 'drain' (wait for the stream before the next), or 'stop' (the call is over). */
      const writeOut = (ev: FlowEvent, out: EventInit): 'ok' | 'drain' | 'stop' => {
        if (call.cancelled || call.writableEnded) return 'stop';
        let w: WireEvent;
        try {
          w = toWireEvent(out, { id: ev.id, type: outputType ?? ev.type, sourceComponentId: rt.id });
        } catch (err) {
          rt.metrics.recordError();
          if (reported++ < 20) rt.log.error(`${rt.id}: invalid output for ${ev.id}: ${message(err)}`);
          return 'ok';
        }
        rt.metrics.eventsOut++;
        return call.write(w) ? 'ok' : 'drain';
      };
      // Outputs are written in order; a full stream is waited for before the next one.
      const emit = (ev: FlowEvent, result: ProcessResult, from: number): void | Promise<void> => {
        if (result === null || result === undefined) return;
        if (!Array.isArray(result)) {
          return writeOut(ev, result) === 'drain' ? waitDrain(call, ac.signal) : undefined;
        }
        for (let i = from; i < result.length; i++) {
          const r = writeOut(ev, result[i]);
          if (r === 'stop') return;
          if (r === 'drain') return waitDrain(call, ac.signal).then(() => emit(ev, result, i + 1));
        }
      };
      const handle = (wire: WireEvent): void | Promise<void> => {
        rt.metrics.eventsIn++;
        const ev = fromWireEvent(wire);
        let result: Awaitable<ProcessResult>;
        try {
          result = opts.process(ev, ctx);
        } catch (err) {
          return failed(ev, err);
        }
        if (isThenable(result)) {
          return Promise.resolve(result).then(
            (r) => {
              rt.metrics.recordProcessed();
              return emit(ev, r, 0);
            },
            (err) => failed(ev, err),
          );
        }
        rt.metrics.recordProcessed();
        return emit(ev, result, 0);
      };
      try {
        await readEach<WireEvent>(call, () => tracked.finished || call.cancelled, (wire) => {
          const pending = handle(wire);
          if (!pending) return;
          tracked.busy = pending;
          return pending.then(() => {
            tracked.busy = null;
          });
        });
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
      const ok = () => {
        consumed++;
        rt.metrics.recordProcessed();
      };
      const fail = (ev: FlowEvent, err: unknown) => {
        failed++;
        rt.metrics.recordError();
        if (errors.length < 100) errors.push(`${ev.id}: ${message(err)}`);
        if (failed <= 20) rt.log.error(`${rt.id}: consume(${ev.id}) failed: ${message(err)}`);
      };
      const handle = (wire: WireEvent): void | Promise<void> => {
        rt.metrics.eventsIn++;
        const ev = fromWireEvent(wire);
        let r: Awaitable<void>;
        try {
          r = opts.consume(ev, ctx);
        } catch (err) {
          return fail(ev, err);
        }
        if (!isThenable(r)) return ok();
        const pending = Promise.resolve(r).then(ok, (err) => fail(ev, err));
        tracked.busy = pending;
        return pending.then(() => {
          tracked.busy = null;
        });
      };
      try {
        await readEach<WireEvent>(call, () => tracked.finished || call.cancelled, handle);
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
