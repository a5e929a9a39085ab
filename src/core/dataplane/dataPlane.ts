// The data plane: we are the gRPC client of every component and pump events along the inputs
// graph: source StreamEvents → processor Process (bidi) → sink Consume (client stream).
// Fan-out writes each event to every dependent; fan-in merges several upstreams into ONE stream
// that is half-closed when the last upstream ends. Backpressure: when a dependent's write()
// returns false the upstream stream is paused until every blocked dependent drained, so nothing
// queues without bound (HTTP/2 flow control carries the pause back to the producing component).
// Events travel as the gRPC frames they arrived in: each DATA chunk read from a component is split
// at frame boundaries (frames.ts) and the run of whole frames is written on in one piece (h2call.ts).
import * as grpc from '@grpc/grpc-js';
import { protos } from '../proto';
import { Emitter } from '../typedEmitter';
import { normalizeEndpoint } from './endpoint';
import { FRAME_HEADER_BYTES, FrameSplitter, frameMessage, type FrameSink } from './frames';
import { GrpcCall, H2Channel } from './h2call';
import { planGraph } from './graph';
import { eventTypeOf, payloadBytesOf, rawClientConstructor } from './rawCodec';
import type { ConsumeResult, DataPlaneEvent, DataPlaneNode, DataPlaneOptions, NodeCounts } from './types';

const SERVICE = { source: 'SourceService', processor: 'ProcessorService', sink: 'ConsumerService' } as const;
const DEFAULT_MAX_MESSAGE_BYTES = 50 * 1024 * 1024;
const RATE_WINDOW_MS = 5_000;

interface NodeState {
  node: DataPlaneNode;
  address?: string;
  /** grpc-js client for GetInfo (closed once the component answered). */
  client?: grpc.Client & Record<string, any>;
  /** The HTTP/2 connection carrying the event streams. */
  channel?: H2Channel;
  counts: NodeCounts;
  filter?: Set<string>;
  dependents: NodeState[];
  /** Upstreams that have not ended yet (processors and sinks). */
  openInputs: number;
  input?: GrpcCall;
  inputClosed: boolean;
  output?: GrpcCall;
  outputEnded: boolean;
  failed: boolean;
  ended: boolean;
  /** Resolved when the node fails (wakes upstreams waiting for its drain). */
  onFail: Array<() => void>;
  result?: ConsumeResult;
  /** Whether the node is a sink (counts as processed). */
  isSink: boolean;
  /** Frames accepted for this node during the chunk being forwarded: buf[runStart, runEnd), written on flush. */
  runBuf: Buffer | null;
  runStart: number;
  runEnd: number;
  /** Set when a write to this node returned false. */
  blocked: boolean;
}

const STATUS_OK = 0;

export class DataPlane {
  readonly events = new Emitter<DataPlaneEvent>();
  private readonly opts: DataPlaneOptions;
  private readonly states = new Map<string, NodeState>();
  private readonly pending = new Set<grpc.Call>();
  private started = false;
  private stopping = false;
  private startPromise?: Promise<void>;
  private readonly samples: Array<{ t: number; n: number }> = [];
  private allEnded?: () => void;

  constructor(opts: DataPlaneOptions) {
    if (!opts || !Array.isArray(opts.nodes)) throw new Error('DataPlane: "nodes" must be an array');
    if (typeof opts.endpointOf !== 'function') throw new Error('DataPlane: "endpointOf" must be a function');
    this.opts = opts;
    for (const node of opts.nodes) {
      if (this.states.has(node.id)) continue;
      this.states.set(node.id, {
        node,
        counts: { eventsIn: 0, eventsOut: 0, bytesIn: 0, bytesOut: 0 },
        filter: node.role === 'sink' && node.inputEventTypes?.length ? new Set(node.inputEventTypes) : undefined,
        dependents: [],
        openInputs: 0,
        inputClosed: false,
        outputEnded: false,
        failed: false,
        ended: false,
        onFail: [],
        isSink: node.role === 'sink',
        runBuf: null,
        runStart: 0,
        runEnd: 0,
        blocked: false,
      });
    }
  }

  /** Connects to every component on the graph and starts pumping. Resolves once all streams are open. */
  start(): Promise<void> {
    if (this.started) return this.startPromise!;
    this.started = true;
    this.startPromise = this.wire().catch((err) => this.events.emit({ type: 'error', id: '*', message: `wiring failed: ${(err as Error).message}` }));
    return this.startPromise;
  }

  private error(id: string, message: string): void {
    this.events.emit({ type: 'error', id, message });
  }

  private async wire(): Promise<void> {
    // 1. Which nodes can take part, given what registered.
    const first = planGraph(this.opts.nodes, (id) => {
      const endpoint = this.opts.endpointOf(id);
      if (!endpoint) return false;
      const target = normalizeEndpoint(endpoint);
      if (target.problem) return false;
      this.states.get(id)!.address = target.address;
      return true;
    });
    for (const p of first.problems) this.error(p.id, p.message);
    for (const st of this.states.values()) {
      if (st.address || !this.isOnGraph(st.node)) continue;
      const endpoint = this.opts.endpointOf(st.node.id);
      this.error(st.node.id, endpoint ? normalizeEndpoint(endpoint).problem ?? 'unusable endpoint' : 'no data-plane endpoint registered');
    }

    // 2. Reach each component's data-plane server (it may register before its port listens).
    const reachable = new Set<string>();
    await Promise.all(
      [...first.active].map(async (id) => {
        if (await this.connect(this.states.get(id)!)) reachable.add(id);
      }),
    );
    if (this.stopping) return;

    // 3. The final graph over reachable nodes.
    const plan = planGraph(this.opts.nodes, (id) => reachable.has(id));
    for (const [from, to] of plan.edges) {
      this.states.get(from)!.dependents.push(this.states.get(to)!);
      this.states.get(to)!.openInputs++;
    }
    const active = [...plan.active].map((id) => this.states.get(id)!);
    for (const st of this.states.values()) if (!plan.active.has(st.node.id)) st.client?.close();

    // 4. Open streams downstream-first so every writer has somewhere to go.
    for (const st of active.filter((s) => s.node.role === 'sink')) this.openSink(st);
    for (const st of active.filter((s) => s.node.role === 'processor')) this.openProcessor(st);
    for (const st of active.filter((s) => s.node.role !== 'sink')) {
      for (const d of st.dependents) this.events.emit({ type: 'wired', from: st.node.id, to: d.node.id });
    }
    for (const st of active.filter((s) => s.node.role === 'source')) this.openSource(st);
  }

  private isOnGraph(node: DataPlaneNode): boolean {
    if (node.role !== 'source' && node.inputs.length > 0) return true;
    return this.opts.nodes.some((n) => n.role !== 'source' && n.inputs.includes(node.id));
  }

  /** Dials and calls GetInfo (waitForReady) to prove this is a flowctl.v1 server of the right kind. */
  private async connect(st: NodeState): Promise<boolean> {
    const service = SERVICE[st.node.role];
    // Event streams carry serialized Events end to end (see rawCodec.ts); GetInfo/HealthCheck decode as usual.
    const Ctor = rawClientConstructor(st.node.role);
    const max = this.opts.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    st.client = new Ctor(st.address!, grpc.credentials.createInsecure(), {
      'grpc.max_send_message_length': max,
      'grpc.max_receive_message_length': max,
      'grpc.initial_reconnect_backoff_ms': 200,
      'grpc.max_reconnect_backoff_ms': 2_000,
      'grpc.enable_channelz': 0,
    }) as any;
    const timeout = this.opts.connectTimeoutMs ?? 30_000;
    const deadline = Date.now() + timeout;
    const getInfo = () =>
      new Promise<void>((resolve, reject) => {
        // waitForReady: queue the call while the port is not listening yet (the Go SDK registers first).
        const md = new grpc.Metadata({ waitForReady: true });
        const call = st.client!.GetInfo({}, md, { deadline: new Date(deadline) }, (err: grpc.ServiceError | null) => {
          this.pending.delete(call);
          if (err) reject(err);
          else resolve();
        });
        this.pending.add(call);
      });
    try {
      for (;;) {
        try {
          await getInfo();
          // The event streams use their own HTTP/2 connection (h2call.ts); GetInfo was all grpc-js was for.
          st.client!.close();
          st.channel = new H2Channel(st.address!);
          return true;
        } catch (err) {
          const e = err as grpc.ServiceError;
          if (e.code === grpc.status.UNIMPLEMENTED) {
            // A gRPC server that does not implement GetInfo (flowctl never calls it): reachable all the same;
            // if it is not a data-plane server either, the event stream itself will say so.
            st.client!.close();
            st.channel = new H2Channel(st.address!);
            return true;
          }
          if (e.code !== grpc.status.UNAVAILABLE || this.stopping || Date.now() >= deadline) throw e;
          await new Promise((r) => setTimeout(r, 200));
        }
      }
    } catch (err) {
      const e = err as grpc.ServiceError;
      if (this.stopping) return false;
      let why: string;
      if (e.code === grpc.status.DEADLINE_EXCEEDED)
        why = `no flowctl.v1 ${service} answered at ${st.address} within ${Math.round(timeout / 1000)} s (is it a gRPC data-plane server?)`;
      else why = `cannot reach the flowctl.v1 ${service} at ${st.address}: ${e.details || e.message}`;
      this.error(st.node.id, why);
      st.client?.close();
      return false;
    }
  }

  /** A call's failure in words; UNIMPLEMENTED means the component is not this kind of data-plane server. */
  private explain(st: NodeState, status: { code: number; details: string }): string {
    if (status.code === grpc.status.UNIMPLEMENTED) {
      return `the server at ${st.address} is not a flowctl.v1 ${SERVICE[st.node.role]} (UNIMPLEMENTED: ${status.details})`;
    }
    return status.details;
  }

  private maxMessageBytes(): number {
    return this.opts.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  }

  private openSink(st: NodeState): void {
    const response: Buffer[] = [];
    st.input = st.channel!.call(protos().v1.ConsumerService.service.Consume.path, {
      data: (chunk) => response.push(chunk),
      done: (status) => {
        if (status.code !== STATUS_OK) {
          if (!(this.stopping && status.code === grpc.status.CANCELLED)) this.error(st.node.id, `Consume failed: ${this.explain(st, status)}`);
          this.fail(st);
        } else {
          const res = decodeConsumeResponse(Buffer.concat(response));
          if (!res) {
            this.error(st.node.id, 'Consume failed: the sink answered without a ConsumeResponse');
            this.fail(st);
          } else {
            st.result = { eventsConsumed: Number(res.events_consumed), eventsFailed: Number(res.events_failed), errors: res.errors ?? [] };
            if (st.result.eventsFailed > 0) this.error(st.node.id, `${st.result.eventsFailed} event(s) failed in the sink${st.result.errors[0] ? `: ${st.result.errors[0]}` : ''}`);
          }
        }
        this.markEnded(st);
      },
    });
  }

  private openProcessor(st: NodeState): void {
    const call = this.pump(st, protos().v1.ProcessorService.service.Process.path);
    st.input = call;
  }

  private openSource(st: NodeState): void {
    const params = this.opts.params?.(st.node.id) ?? {};
    const method = protos().v1.SourceService.service.StreamEvents;
    const call = this.pump(st, method.path);
    call.write(frameMessage(method.requestSerialize({ params, resume: false, resume_token: '' })));
    call.end();
  }

  /** Opens a source's or processor's output call and writes each event it returns to the node's dependents. */
  private pump(st: NodeState, path: string): GrpcCall {
    const splitter = new FrameSplitter(this.maxMessageBytes());
    const forward = new Forwarder(st, st.dependents.some((d) => d.filter));
    const deps = st.dependents;
    const what = st.node.role === 'source' ? 'StreamEvents' : 'Process';
    let problem: string | undefined;
    const call = st.channel!.call(path, {
      data: (chunk) => {
        if (st.outputEnded || problem) return;
        problem = splitter.feed(chunk, forward);
        let blocked: NodeState[] | undefined;
        let sinkEvents = false;
        for (let i = 0; i < deps.length; i++) {
          const d = deps[i];
          const buf = d.runBuf;
          if (buf !== null) {
            d.runBuf = null;
            if (d.isSink) sinkEvents = true;
            if (d.input && !d.inputClosed && !d.failed) {
              if (!d.input.write(d.runStart === 0 && d.runEnd === buf.length ? buf : buf.subarray(d.runStart, d.runEnd))) d.blocked = true;
            }
          }
          if (d.blocked) {
            d.blocked = false;
            (blocked ??= []).push(d);
          }
        }
        if (sinkEvents) this.sample();
        if (problem) {
          call.cancel(); // reported with the status
          return;
        }
        if (blocked) {
          call.pause();
          void Promise.all(blocked.map((d) => this.drained(d))).then(() => {
            if (!st.outputEnded) call.resume();
          });
        }
      },
      done: (status) => {
        let why = problem;
        if (!why && status.code !== STATUS_OK && !(this.stopping && status.code === grpc.status.CANCELLED)) why = this.explain(st, status);
        if (!why && status.code === STATUS_OK && splitter.partialBytes > 0) why = 'the stream ended inside a message';
        if (why && !st.outputEnded) {
          this.error(st.node.id, `${what} failed: ${why}`);
          if (st.node.role === 'processor') this.fail(st);
        }
        this.outputDone(st);
      },
    });
    st.output = call;
    return call;
  }

  private drained(d: NodeState): Promise<void> {
    return new Promise((resolve) => {
      if (d.failed || d.inputClosed || !d.input) return resolve();
      const input = d.input.stream;
      const done = () => {
        input.off('drain', done);
        input.off('close', done);
        d.onFail = d.onFail.filter((f) => f !== done);
        resolve();
      };
      input.once('drain', done);
      input.once('close', done);
      d.onFail.push(done);
    });
  }

  private fail(st: NodeState): void {
    if (st.failed) return;
    st.failed = true;
    for (const f of st.onFail.splice(0)) f();
    // Downstream of a failed processor, its input is gone.
    if (st.node.role === 'processor') this.outputDone(st);
  }

  /** A node's output is finished: its dependents lose one input; close those that have none left. */
  private outputDone(st: NodeState): void {
    if (st.outputEnded) return;
    st.outputEnded = true;
    if (st.node.role === 'source') this.events.emit({ type: 'sourceEnded', id: st.node.id });
    for (const d of st.dependents) {
      d.openInputs--;
      if (d.openInputs <= 0) this.closeInput(d);
    }
    this.markEnded(st);
  }

  private closeInput(d: NodeState): void {
    if (d.inputClosed) return;
    d.inputClosed = true;
    if (!d.failed) d.input?.end();
  }

  private markEnded(st: NodeState): void {
    if (st.ended) return;
    // A processor has ended once its output is done; a sink once it answered (or failed).
    if (st.node.role === 'processor' && !st.outputEnded) return;
    st.ended = true;
    this.events.emit({ type: 'ended', id: st.node.id });
    st.client?.close();
    st.channel?.close();
    if (this.allEnded && this.activeStates().every((s) => s.ended)) this.allEnded();
  }

  private activeStates(): NodeState[] {
    return [...this.states.values()].filter((s) => s.input || s.output);
  }

  /** Ends the run cleanly: cancels the sources, lets processors flush, half-closes sinks and awaits their ConsumeResponse. */
  async stop(): Promise<void> {
    if (this.stopping) return this.stopWait;
    this.stopping = true;
    this.stopWait = this.doStop();
    return this.stopWait;
  }

  private stopWait: Promise<void> = Promise.resolve();

  private async doStop(): Promise<void> {
    for (const call of this.pending) call.cancel();
    await this.startPromise?.catch(() => undefined);
    const done = new Promise<void>((resolve) => (this.allEnded = resolve));
    for (const st of this.states.values()) {
      if (st.node.role === 'source' && st.output && !st.outputEnded) {
        st.output.cancel();
        this.outputDone(st);
      }
    }
    if (!this.activeStates().every((s) => s.ended)) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([done, new Promise<void>((r) => (timer = setTimeout(r, this.opts.stopTimeoutMs ?? 10_000)))]);
      clearTimeout(timer);
    }
    for (const st of this.states.values()) {
      if (!st.ended) {
        st.input?.cancel();
        st.output?.cancel();
      }
      st.client?.close();
      st.channel?.close();
    }
  }

  /** Per-component counts: events/bytes written to it (in) and read from it (out). */
  counts(): Record<string, NodeCounts> {
    const out: Record<string, NodeCounts> = {};
    for (const [id, st] of this.states) out[id] = { ...st.counts };
    return out;
  }

  /** What each sink reported in its ConsumeResponse (only sinks that answered). */
  consumeResults(): Record<string, ConsumeResult> {
    const out: Record<string, ConsumeResult> = {};
    for (const [id, st] of this.states) if (st.result) out[id] = { ...st.result, errors: [...st.result.errors] };
    return out;
  }

  /** Events processed = events delivered to sinks; the rate is over the last ~5 s. */
  totals(): { eventsProcessed: number; eventsPerSecond: number } {
    const n = this.processed();
    const now = Date.now();
    this.prune(now);
    const first = this.samples[0];
    const rate = first && now - first.t >= 250 ? ((n - first.n) * 1000) / (now - first.t) : 0;
    return { eventsProcessed: n, eventsPerSecond: Math.max(0, rate) };
  }

  private processed(): number {
    let n = 0;
    for (const st of this.states.values()) if (st.node.role === 'sink') n += st.counts.eventsIn;
    return n;
  }

  /** Called after events reached a sink. */
  private sample(): void {
    const now = Date.now();
    const last = this.samples[this.samples.length - 1];
    if (!last || now - last.t >= 100) {
      this.samples.push({ t: now, n: this.processed() });
      this.prune(now);
    }
  }

  private prune(now: number): void {
    while (this.samples.length > 1 && now - this.samples[1].t > RATE_WINDOW_MS) this.samples.shift();
  }
}

/**
 * Counts each frame of one node's output and adds it to the pending run of every dependent that
 * takes it (consecutive frames of a chunk extend one run, written in one piece after the chunk).
 */
class Forwarder implements FrameSink {
  constructor(
    private readonly st: NodeState,
    private readonly wantType: boolean,
  ) {}

  frame(buf: Buffer, start: number, end: number): void {
    const st = this.st;
    const bytes = payloadBytesOf(buf, start + FRAME_HEADER_BYTES, end);
    const type = this.wantType ? eventTypeOf(buf, start + FRAME_HEADER_BYTES, end) : '';
    st.counts.eventsOut++;
    st.counts.bytesOut += bytes;
    const deps = st.dependents;
    for (let i = 0; i < deps.length; i++) {
      const d = deps[i];
      if (d.inputClosed || d.failed || !d.input) continue;
      if (d.filter && !d.filter.has(type)) continue;
      d.counts.eventsIn++;
      d.counts.bytesIn += bytes;
      if (d.runBuf === buf && d.runEnd === start) {
        d.runEnd = end;
      } else {
        if (d.runBuf !== null) {
          // Not contiguous (a frame completed across chunks, or a filtered one in between): write what we have.
          const ok = d.input.write(d.runBuf.subarray(d.runStart, d.runEnd));
          if (!ok) d.blocked = true;
        }
        d.runBuf = buf;
        d.runStart = start;
        d.runEnd = end;
      }
    }
  }
}

/** The ConsumeResponse of a Consume call: its one frame, decoded (undefined when there is none). */
function decodeConsumeResponse(bytes: Buffer): { events_consumed: number; events_failed: number; errors: string[] } | undefined {
  if (bytes.length < FRAME_HEADER_BYTES) return undefined;
  const len = bytes.readUInt32BE(1);
  if (bytes.length < FRAME_HEADER_BYTES + len) return undefined;
  try {
    return protos().v1.ConsumerService.service.Consume.responseDeserialize(bytes.subarray(FRAME_HEADER_BYTES, FRAME_HEADER_BYTES + len));
  } catch {
    return undefined;
  }
}
