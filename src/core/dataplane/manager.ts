// The data-plane manager: we are the gRPC client of every component and pump events along the inputs
// graph (source StreamEvents → processor Process (bidi) → sink Consume (client stream)), one EDGE at a
// time. A component coming up (registered, reachable) opens its own stream and only the edges that end
// or start at it; a component going down (restart, hand stop, crash) touches only those edges too:
// the edges into it are HELD (its upstream keeps streaming into a bounded buffer, see edge.ts) and
// delivery resumes from the first held event once it is back. Streams between other components never
// notice. Events travel as the gRPC frames they arrived in (frames.ts, h2call.ts): no decode/encode.
//
// Graceful moves (quiesce): a processor's or sink's input is half-closed so it finishes what it has
// (a processor flushes its outputs; a sink answers with its ConsumeResponse) before its process is
// stopped. A source is stopped by its process (the SDKs end the stream after the last event written);
// when it comes back its stream is re-opened with resume=true and resume_token = the id of the last
// event read from it.
//
// Nothing is dropped silently: type mismatches at sinks, held events dropped from a full buffer, events
// a sink did not confirm before it stopped, and held events of a component that never came back by the
// end of the run are counted per edge/node with a reason.
import * as grpc from '@grpc/grpc-js';
import { protos } from '../proto';
import { Emitter } from '../typedEmitter';
import { normalizeEndpoint } from './endpoint';
import { FRAME_HEADER_BYTES, FrameSplitter, frameMessage } from './frames';
import { GrpcCall, H2Channel, type CallStatus } from './h2call';
import { planGraph } from './graph';
import { eventIdOf, payloadBytesOf, stellarCursorOf } from './rawCodec';
import { Forwarder } from './forwarder';
import { newNode, type Link, type Node } from './node';
import { decodeConsumeResponse } from './consumeResponse';
import { probe } from './probe';
import { DEFAULT_BUFFER_LIMITS, Edge, type BufferLimits, type HoldPolicy } from './edge';
import { Signal } from './signal';
import type { ConsumeResult, DataPlaneEvent, DataPlaneManagerOptions, DataPlaneNode, EdgeCounts, NodeCounts, NodeDrops } from './types';

const SERVICE = { source: 'SourceService', processor: 'ProcessorService', sink: 'ConsumerService' } as const;
const WHAT = { source: 'StreamEvents', processor: 'Process', sink: 'Consume' } as const;
const DEFAULT_MAX_MESSAGE_BYTES = 50 * 1024 * 1024;
const STATUS_OK = 0;
/** A held buffer is written into a re-opened stream in batches of at most this many frames / bytes. */
const FLUSH_FRAMES = 256;
const FLUSH_BYTES = 256 * 1024;

export class DataPlaneManager {
  readonly events = new Emitter<DataPlaneEvent>();
  private readonly nodes = new Map<string, Node>();
  private readonly opts: DataPlaneManagerOptions;
  private limits: BufferLimits;
  private draining = false;
  private closed = false;
  /** Fired whenever a stream ends (whenDrained). */
  private readonly anyEnded = new Signal();
  private readonly samples: Array<{ t: number; n: number }> = [];
  /** Bumped whenever links or groups change: forwarders rebuild their replica groups (spread.ts). */
  private topology = 0;

  constructor(opts: DataPlaneManagerOptions) {
    if (!opts || !Array.isArray(opts.nodes)) throw new Error('DataPlaneManager: "nodes" must be an array');
    this.opts = opts;
    this.limits = { ...(opts.buffer ?? DEFAULT_BUFFER_LIMITS) };
    if (!(this.limits.events >= 0 && this.limits.bytes >= 0)) throw new Error('DataPlaneManager: buffer limits must be ≥ 0');
    this.setGraph(opts.nodes);
  }

  // ---------------------------------------------------------------- graph

  /**
   * Sets the graph (at start, and when the pipeline file changes). Nodes and edges that stay keep their
   * streams, buffers and counts; new edges start held and open as soon as both ends are up; removed
   * edges drop what they held (counted). Returns the graph's problems (unknown inputs, cycles…).
   */
  setGraph(nodes: DataPlaneNode[]): Array<{ id: string; message: string }> {
    const plan = planGraph(nodes, () => true);
    const wanted = new Map<string, DataPlaneNode>();
    for (const n of nodes) if (!wanted.has(n.id)) wanted.set(n.id, n);
    // Removed nodes: their streams end here (the runner stopped their processes first).
    for (const [id, n] of this.nodes) {
      if (wanted.has(id) && wanted.get(id)!.role === n.role) continue;
      this.forget(n);
    }
    for (const spec of wanted.values()) {
      let n = this.nodes.get(spec.id);
      if (!n) {
        n = newNode(spec);
        this.nodes.set(spec.id, n);
      }
      n.inputs = [...spec.inputs];
      n.group = spec.group;
      n.partitionKey = spec.partitionKey;
      this.setAccepts(n, spec.inputEventTypes ?? []);
    }
    // Edges.
    const keep = new Set(plan.edges.map(([f, t]) => `${f}\u0000${t}`));
    for (const n of this.nodes.values()) {
      for (const l of [...n.in]) {
        if (keep.has(l.e.key)) continue;
        l.e.dropAll(`edge removed from the pipeline while ${l.to.id} was down`);
        this.unlink(l);
        this.maybeCloseInput(n);
      }
    }
    for (const [f, t] of plan.edges) {
      const from = this.nodes.get(f)!;
      const to = this.nodes.get(t)!;
      if (to.in.some((l) => l.from === from)) continue;
      const e = new Edge(f, t, this.limits);
      e.policy = to.expectBack ? 'pause' : 'drop';
      const link: Link = { e, from, to };
      from.out.push(link);
      to.in.push(link);
      if (from.role !== 'source' && !from.call && from.in.length > 0 && from.in.every((x) => x.e.ended)) e.ended = true;
      if (to.accepting && to.call) void this.flush(link, to.call);
      else if (to.up && !to.call && !to.closing && !this.draining) this.openStream(to);
    }
    this.topology++;
    this.maybeOpenSources();
    return plan.problems;
  }

  /** Replaces the hold-buffer limits (every edge). */
  setBufferLimits(limits: BufferLimits): void {
    this.limits = { ...limits };
    for (const n of this.nodes.values()) for (const l of n.in) l.e.setLimits(this.limits);
  }

  private setAccepts(n: Node, types: string[]): void {
    n.accepts = n.role === 'sink' ? [...types] : [];
    n.filter = n.accepts.length ? new Set(n.accepts) : undefined;
  }

  private unlink(l: Link): void {
    this.topology++;
    l.from.out = l.from.out.filter((x) => x !== l);
    l.to.in = l.to.in.filter((x) => x !== l);
    l.e.changed.fire();
  }

  private forget(n: Node): void {
    for (const l of [...n.in]) {
      l.e.dropAll(`${n.id} was removed from the pipeline`);
      this.unlink(l);
    }
    for (const l of [...n.out]) {
      l.e.dropAll(`${n.id} was removed from the pipeline`);
      this.unlink(l);
      this.maybeCloseInput(l.to);
    }
    n.seq++;
    this.cancelCall(n);
    this.disconnect(n);
    this.nodes.delete(n.id);
  }

  private onGraph(n: Node): boolean {
    return n.in.length > 0 || n.out.length > 0;
  }

  // ---------------------------------------------------------------- component up / down

  /**
   * The component registered with `endpoint` (again after a restart): connect, open its stream and the
   * edges at it. Resolves true once its stream is open (sources: ready to open), false when it cannot
   * take part (not on the graph, unusable endpoint, unreachable).
   */
  up(id: string, endpoint: string | undefined, accepts?: string[]): Promise<boolean> {
    const n = this.nodes.get(id);
    if (!n || this.closed || this.draining) return Promise.resolve(false);
    if (!this.onGraph(n)) return Promise.resolve(false);
    if (accepts) this.setAccepts(n, accepts);
    if (!endpoint) {
      this.fail(n, 'no data-plane endpoint registered');
      return Promise.resolve(false);
    }
    const target = normalizeEndpoint(endpoint);
    if (target.problem) {
      this.fail(n, target.problem);
      return Promise.resolve(false);
    }
    // The same process registering again (the control plane forgot it): nothing to do.
    if (n.address === target.address && (n.connecting || n.up)) return n.connecting ?? Promise.resolve(true);
    // A new process: whatever is left of the previous one's stream is stale.
    this.cancelCall(n);
    this.disconnect(n);
    n.address = target.address;
    n.up = false;
    n.broken = false;
    n.goingDown = false;
    n.expectBack = true;
    this.setPolicy(n, 'pause');
    const seq = ++n.seq;
    const p = (async () => {
      const ok = await this.connect(n, seq);
      if (seq !== n.seq || this.closed) return false;
      n.connecting = undefined;
      if (!ok) {
        n.broken = true;
        if (this.draining) this.dropHeld(n, `the run stopped while ${n.id} was down`);
        this.maybeOpenSources();
        this.anyEnded.fire();
        return false;
      }
      n.up = true;
      // While the run drains, a processor or sink that was connecting still gets what was held for it.
      this.openStream(n);
      this.anyEnded.fire();
      return true;
    })();
    n.connecting = p;
    return p;
  }

  /** Left out of the data plane (e.g. registered through the legacy API): upstreams do not wait for it. */
  exclude(id: string): void {
    const n = this.nodes.get(id);
    if (!n) return;
    n.seq++;
    n.broken = true;
    n.up = false;
    this.cancelCall(n);
    this.disconnect(n);
    this.maybeOpenSources();
  }

  /**
   * Graceful first half of a stop or restart: hold the edges into it and let it finish what it has.
   * Processor: its input is half-closed, its remaining outputs are forwarded, its stream ends. Sink: its
   * input is half-closed and its ConsumeResponse read. Source: nothing here (stopping its process ends
   * its stream after the last event written). Resolves when its stream ended or after `timeoutMs`.
   */
  async quiesce(id: string, timeoutMs: number): Promise<void> {
    const n = this.nodes.get(id);
    if (!n) return;
    n.goingDown = true;
    if (n.role === 'source') return;
    this.stopAccepting(n);
    const call = n.call;
    if (!call) return;
    if (!n.closing) {
      n.closing = true;
      call.end();
    }
    await withTimeout(n.callDone!, timeoutMs);
  }

  /**
   * The component is gone (its process ended) or going: its stream is cancelled if still open; edges into
   * it hold. `expectBack` = it will be started again (a restart, a restart policy): full buffers pause
   * the upstream; otherwise (stopped by hand, exited) the oldest held events are dropped, counted.
   */
  down(id: string, expectBack: boolean): void {
    const n = this.nodes.get(id);
    if (!n) return;
    n.seq++;
    n.connecting = undefined;
    n.up = false;
    n.goingDown = true;
    this.cancelCall(n);
    this.disconnect(n);
    this.expect(id, expectBack);
  }

  /** Changes what happens to events held for a component that is down (see down()). */
  expect(id: string, expectBack: boolean): void {
    const n = this.nodes.get(id);
    if (!n) return;
    n.expectBack = expectBack;
    this.setPolicy(n, expectBack && !this.draining ? 'pause' : 'drop');
    if (this.draining && !n.up) this.dropHeld(n, `the run stopped while ${n.id} was down`);
    this.maybeOpenSources();
  }

  private setPolicy(n: Node, policy: HoldPolicy): void {
    for (const l of n.in) {
      if (l.e.policy === policy) continue;
      l.e.policy = policy;
      if (policy === 'drop') {
        // Trim what is over the limit now (oldest first), so the upstream can go on.
        const reason = `buffer full while ${n.id} was down`;
        while (l.e.full && l.e.queued > 0) {
          l.e.shift();
          l.e.drop(reason);
        }
      }
      l.e.changed.fire();
    }
  }

  private dropHeld(n: Node, reason: string): void {
    for (const l of n.in) {
      l.e.dropAll(reason);
      l.e.ended = true;
    }
  }

  // ---------------------------------------------------------------- the run's end

  /**
   * The run is ending: from now on a stream that ends is the end of its data (its edges close and the
   * end propagates downstream: processors flush, sinks answer). Events held for components that are
   * down are dropped (counted). The caller then stops the sources; whenDrained() waits for the rest.
   */
  beginDrain(): void {
    if (this.draining) return;
    this.draining = true;
    for (const n of this.nodes.values()) {
      if (!n.connecting && (!n.up || (!n.call && n.role !== 'source'))) this.dropHeld(n, `the run stopped while ${n.id} was down`);
      this.setPolicy(n, 'drop');
    }
    for (const n of this.nodes.values()) if (n.role !== 'sink' && !n.call) this.endOutputs(n);
    for (const n of this.nodes.values()) this.maybeCloseInput(n);
  }

  /** Cancels the sources' streams (a data plane without processes to stop, e.g. DataPlane.stop()). */
  cancelSources(): void {
    for (const n of this.nodes.values()) if (n.role === 'source' && n.call) this.cancelCall(n);
  }

  /** Resolves when no stream is open any more, or after timeoutMs. */
  async whenDrained(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if ([...this.nodes.values()].every((n) => !n.call && !n.connecting)) return true;
      const left = deadline - Date.now();
      if (left <= 0) return false;
      await withTimeout(this.anyEnded.wait(), left);
    }
  }

  /** Ends everything now (cancels open streams, closes connections). */
  close(): void {
    this.closed = true;
    for (const n of this.nodes.values()) {
      n.seq++;
      this.cancelCall(n);
      this.disconnect(n);
      for (const l of n.in) l.e.changed.fire();
    }
    this.anyEnded.fire();
  }

  // ---------------------------------------------------------------- figures

  /** Per-component counts: events/bytes written to it (in) and read from it (out), over every stream. */
  counts(): Record<string, NodeCounts> {
    const out: Record<string, NodeCounts> = {};
    for (const [id, n] of this.nodes) out[id] = { ...n.counts };
    return out;
  }

  /** Drops and held events of a component: over its input edges plus its own. */
  drops(id: string): NodeDrops {
    const n = this.nodes.get(id);
    if (!n) return { dropped: 0, droppedBy: {}, queued: 0 };
    const droppedBy: Record<string, number> = { ...n.droppedBy };
    let dropped = n.dropped;
    let queued = 0;
    for (const l of n.in) {
      dropped += l.e.dropped;
      queued += l.e.queued;
      for (const [k, v] of Object.entries(l.e.droppedBy)) droppedBy[k] = (droppedBy[k] ?? 0) + v;
    }
    return { dropped, droppedBy, queued };
  }

  edges(): EdgeCounts[] {
    const out: EdgeCounts[] = [];
    for (const n of this.nodes.values()) {
      for (const l of n.out) {
        const e = l.e;
        out.push({
          from: e.from,
          to: e.to,
          events: e.events,
          dropped: e.dropped,
          droppedBy: { ...e.droppedBy },
          queued: e.queued,
          state: e.open ? 'open' : e.ended && e.queued === 0 ? 'closed' : 'held',
        });
      }
    }
    return out;
  }

  /** What each sink reported in its last ConsumeResponse (only sinks that answered). */
  consumeResults(): Record<string, ConsumeResult> {
    const out: Record<string, ConsumeResult> = {};
    for (const [id, n] of this.nodes) if (n.result) out[id] = { ...n.result, errors: [...n.result.errors] };
    return out;
  }

  /** The id of the last event read from a source (its resume token), if any. */
  resumeTokenOf(id: string): string | undefined {
    return this.nodes.get(id)?.lastEventId;
  }

  /** True while the component's data-plane server is being reached (it registered, it has not answered yet). */
  isConnecting(id: string): boolean {
    return !!this.nodes.get(id)?.connecting;
  }

  /** True when the component's stream is open (sources: streaming). */
  isOpen(id: string): boolean {
    const n = this.nodes.get(id);
    return !!n && !!n.call && (n.role === 'source' || n.accepting);
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
    for (const node of this.nodes.values()) if (node.role === 'sink') n += node.counts.eventsIn;
    return n;
  }

  private sample(): void {
    const now = Date.now();
    const last = this.samples[this.samples.length - 1];
    if (!last || now - last.t >= 100) {
      this.samples.push({ t: now, n: this.processed() });
      this.prune(now);
    }
  }

  private prune(now: number): void {
    while (this.samples.length > 1 && now - this.samples[1].t > 5_000) this.samples.shift();
  }

  // ---------------------------------------------------------------- connecting

  private fail(n: Node, message: string): void {
    n.broken = true;
    this.error(n.id, message);
    this.maybeOpenSources();
  }

  private error(id: string, message: string): void {
    this.events.emit({ type: 'error', id, message });
  }

  /** Opens the node's HTTP/2 connection and proves a gRPC server answers there (see probe.ts). */
  private async connect(n: Node, seq: number): Promise<boolean> {
    const channel = new H2Channel(n.address!, undefined, this.opts.tls);
    n.channel = channel;
    const stale = () => {
      if (seq === n.seq && !this.closed) return false;
      if (n.channel !== channel) channel.close();
      return true;
    };
    const result = await probe(channel, SERVICE[n.role], this.opts.connectTimeoutMs ?? 30_000, stale);
    if (result === true) return true;
    if (result === undefined) return false;
    channel.close();
    if (n.channel === channel) n.channel = undefined;
    this.error(n.id, result);
    return false;
  }

  private disconnect(n: Node): void {
    n.channel?.close();
    n.channel = undefined;
  }

  private maxMessageBytes(): number {
    return this.opts.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  }

  /** A call's failure in words; UNIMPLEMENTED means the component is not this kind of data-plane server. */
  private explain(n: Node, status: CallStatus): string {
    if (status.code === grpc.status.UNIMPLEMENTED) {
      return `the server at ${n.address} is not a flowctl.v1 ${SERVICE[n.role]} (UNIMPLEMENTED: ${status.details})`;
    }
    return status.details;
  }

  // ---------------------------------------------------------------- streams

  /** Opens the node's stream if it has something to do. */
  private openStream(n: Node): void {
    if (!n.up || n.call || this.closed || !n.channel) return;
    if (this.draining && (n.role === 'source' || !n.in.some((l) => l.e.queued > 0))) return;
    if (n.role === 'source') {
      n.wantsStream = true;
      this.maybeOpenSources();
      return;
    }
    // Nothing will ever come (every upstream finished): no stream.
    if (n.in.length > 0 && n.in.every((l) => l.e.ended && l.e.queued === 0)) return;
    if (n.role === 'sink') this.openSink(n);
    else this.openProcessor(n);
    n.accepting = true;
    this.events.emit({ type: 'opened', id: n.id });
    for (const l of n.in) if (!l.e.open && !l.e.flushing) void this.flush(l, n.call!);
    this.maybeOpenSources();
  }

  private beginCall(n: Node, call: GrpcCall): void {
    n.call = call;
    n.closing = false;
    n.cancelled = false;
    n.blocked = false;
    n.callWritten = 0;
    n.callDone = new Promise<void>((r) => (n.resolveCallDone = r));
    call.stream.on('drain', () => {
      if (n.call !== call) return;
      n.blocked = false;
      n.drained.fire();
    });
  }

  private openSink(n: Node): void {
    const response: Buffer[] = [];
    let call!: GrpcCall;
    call = n.channel!.call(protos().v1.ConsumerService.service.Consume.path, {
      data: (chunk) => response.push(chunk),
      done: (status) => this.callEnded(n, call, status, undefined, Buffer.concat(response)),
    });
    this.beginCall(n, call);
  }

  private openProcessor(n: Node): void {
    this.reviveOutputs(n);
    this.beginCall(n, this.pump(n, protos().v1.ProcessorService.service.Process.path));
  }

  private openSource(n: Node): void {
    const method = protos().v1.SourceService.service.StreamEvents;
    const params = { ...(this.opts.params?.(n.id) ?? {}) };
    const resume = n.lastEventId !== undefined;
    if (resume && n.lastCursor) {
      params.resume_ledger_sequence = String(n.lastCursor.ledgerSequence);
      params.resume_index_in_ledger = String(n.lastCursor.indexInLedger);
    }
    this.reviveOutputs(n);
    const call = this.pump(n, method.path);
    this.beginCall(n, call);
    n.streams++;
    call.write(frameMessage(method.requestSerialize({ params, resume, resume_token: n.lastEventId ?? '' })));
    call.end();
    this.events.emit({ type: 'opened', id: n.id, resumeToken: resume ? n.lastEventId : undefined });
  }

  /** A node that streams again: its edges are live again, and downstreams whose streams had ended re-open. */
  private reviveOutputs(n: Node): void {
    for (const l of n.out) {
      if (!l.e.ended) continue;
      l.e.ended = false;
      if (l.to.up && !l.to.call) this.openStream(l.to);
    }
  }

  /** Opens sources that are up once everything downstream of them can take events (or will not come). */
  private maybeOpenSources(): void {
    if (this.draining || this.closed) return;
    for (const n of this.nodes.values()) {
      if (n.role !== 'source' || !n.up || n.call || !n.wantsStream || n.goingDown || !n.channel) continue;
      if (n.out.length === 0) continue;
      if (n.streams === 0 && !this.downstreamReady(n)) continue;
      this.openSource(n);
    }
  }

  private downstreamReady(src: Node): boolean {
    const seen = new Set<Node>();
    const queue = src.out.map((l) => l.to);
    while (queue.length) {
      const d = queue.shift()!;
      if (seen.has(d)) continue;
      seen.add(d);
      const ready = (d.up && d.accepting) || d.broken || (!d.up && !d.expectBack);
      if (!ready) return false;
      for (const l of d.out) queue.push(l.to);
    }
    return true;
  }

  /** Opens a source's or processor's output call and forwards each event it returns along its edges. */
  private pump(n: Node, path: string): GrpcCall {
    const splitter = new FrameSplitter(this.maxMessageBytes());
    const forward = new Forwarder({ typeDrop: (l, type) => this.typeDrop(l, type), draining: () => this.draining, topology: () => this.topology }, n);
    let problem: string | undefined;
    let call!: GrpcCall;
    call = n.channel!.call(path, {
      data: (chunk) => {
        if (problem || n.call !== call) return;
        problem = splitter.feed(chunk, forward);
        let sinkEvents = false;
        const outs = n.out;
        for (let i = 0; i < outs.length; i++) {
          const l = outs[i];
          const e = l.e;
          const buf = e.runBuf;
          if (buf === null) continue;
          e.runBuf = null;
          if (l.to.role === 'sink') sinkEvents = true;
          const d = l.to;
          if (d.call && d.accepting) {
            if (!d.call.write(e.runStart === 0 && e.runEnd === buf.length ? buf : buf.subarray(e.runStart, e.runEnd))) d.blocked = true;
          }
        }
        if (sinkEvents) this.sample();
        if (n.role === 'source' && forward.lastBuf) {
          const b = forward.lastBuf;
          n.lastEventId = eventIdOf(b, forward.lastStart + FRAME_HEADER_BYTES, forward.lastEnd);
          n.lastCursor = stellarCursorOf(b, forward.lastStart + FRAME_HEADER_BYTES, forward.lastEnd);
          forward.lastBuf = null;
        }
        if (problem) {
          call.cancel(); // reported with the status
          return;
        }
        if (this.mustPause(n)) void this.holdBack(n, call);
      },
      done: (status) => this.callEnded(n, call, status, problem || (status.code === STATUS_OK && splitter.partialBytes > 0 ? 'the stream ended inside a message' : undefined)),
    });
    return call;
  }

  /** Whether an upstream must stop reading: a downstream stream is full, or a held buffer that must not drop is full. */
  private mustPause(n: Node): boolean {
    for (const l of n.out) {
      if (l.e.open && l.to.blocked) return true;
      if (!l.e.open && !l.e.ended && l.e.policy === 'pause' && l.e.full) return true;
    }
    return false;
  }

  private async holdBack(n: Node, call: GrpcCall): Promise<void> {
    call.pause();
    while (n.call === call && !this.closed && this.mustPause(n)) {
      const waits: Promise<void>[] = [];
      for (const l of n.out) {
        if (l.e.open && l.to.blocked) waits.push(l.to.drained.wait());
        else if (!l.e.open && l.e.policy === 'pause' && l.e.full) waits.push(l.e.changed.wait());
      }
      if (waits.length === 0) break;
      await Promise.race(waits);
    }
    if (n.call === call) call.resume();
  }

  /** Writes what an edge held into the downstream's (new) stream, in order, then opens the edge. */
  private async flush(l: Link, call: GrpcCall): Promise<void> {
    const { e, to: d } = l;
    if (e.flushing) return;
    e.flushing = true;
    let delivered = 0;
    try {
      while (e.queued > 0) {
        if (d.call !== call || !d.accepting || this.closed) return;
        if (d.blocked) {
          await d.drained.wait();
          continue;
        }
        const frames = e.take(FLUSH_FRAMES, FLUSH_BYTES);
        let bytes = 0;
        for (const f of frames) bytes += payloadBytesOf(f, FRAME_HEADER_BYTES, f.length);
        e.events += frames.length;
        e.bytes += bytes;
        d.counts.eventsIn += frames.length;
        d.counts.bytesIn += bytes;
        d.callWritten += frames.length;
        if (!call.write(frames.length === 1 ? frames[0] : Buffer.concat(frames))) d.blocked = true;
        delivered += frames.length;
        if (d.role === 'sink') this.sample();
        e.changed.fire();
      }
      if (d.call !== call || !d.accepting) return;
      e.open = true;
      e.opens++;
      if (delivered > 0) this.events.emit({ type: 'notice', id: d.id, message: `${e.from} → ${e.to}: ${delivered} held event(s) delivered` });
      this.events.emit({ type: 'wired', from: e.from, to: e.to });
      e.changed.fire();
    } finally {
      e.flushing = false;
    }
    this.maybeCloseInput(d);
  }

  /** Half-closes a processor's or sink's input once nothing more will come from any upstream. */
  private maybeCloseInput(d: Node): void {
    if (!d.call || !d.accepting || d.closing || d.role === 'source') return;
    if (!d.in.every((l) => l.e.ended && l.e.queued === 0 && !l.e.flushing)) return;
    this.stopAccepting(d);
    d.closing = true;
    d.call.end();
  }

  private stopAccepting(d: Node): void {
    d.accepting = false;
    for (const l of d.in) {
      if (!l.e.open) continue;
      l.e.open = false;
      l.e.changed.fire();
    }
  }

  /** An upstream's output has finished for good: its edges end and downstreams with nothing left half-close. */
  private endOutputs(n: Node): void {
    for (const l of n.out) {
      if (l.e.ended) continue;
      l.e.ended = true;
      l.e.changed.fire();
      if (!l.to.connecting && (!l.to.up || (!l.to.call && l.to.role !== 'source'))) {
        // Nobody will take what it held for a downstream that is down and stays down while draining.
        if (this.draining) l.e.dropAll(`the run stopped while ${l.to.id} was down`);
      }
      this.maybeCloseInput(l.to);
    }
  }

  private cancelCall(n: Node): void {
    const call = n.call;
    if (!call) return;
    n.cancelled = true;
    call.cancel();
  }

  /** A stream of `n` finished (any way): figures, what it means for its edges, and whether to say so. */
  private callEnded(n: Node, call: GrpcCall, status: CallStatus, problem: string | undefined, response?: Buffer): void {
    if (n.call !== call) return;
    const expected = n.cancelled || n.goingDown || this.draining || this.closed;
    n.call = undefined;
    n.blocked = false;
    n.drained.fire();
    this.stopAccepting(n);
    const wasClosing = n.closing;
    n.closing = false;
    const clean = status.code === STATUS_OK && !problem;
    let why = problem;
    if (!why && !clean && !(expected && (status.code === grpc.status.CANCELLED || status.code === grpc.status.UNAVAILABLE || n.goingDown))) {
      why = this.explain(n, status);
    }

    // Events a processor or sink had received but not handled die with its stream; the protocol has no
    // acknowledgements, so they cannot be counted (say so instead).
    const inFlight = n.role !== 'source' && n.callWritten > 0 ? '; events it had received but not yet handled are lost with its stream (not countable: the data plane has no acknowledgements)' : '';
    if (n.role === 'sink') {
      if (clean) this.readConsumeResponse(n, response ?? Buffer.alloc(0));
      if (why) this.error(n.id, `Consume failed: ${why}${inFlight}`);
    } else {
      if (why) this.error(n.id, `${WHAT[n.role]} failed: ${why}${inFlight}`);
      // Its output has finished for good, or it only paused (a restart, a crash: it comes back).
      const completed =
        this.draining || (clean && !n.goingDown && !n.cancelled && (n.role === 'source' || (wasClosing && n.in.every((l) => l.e.ended))));
      if (completed) {
        if (n.role === 'source' && !this.draining) this.events.emit({ type: 'sourceEnded', id: n.id });
        this.endOutputs(n);
      }
    }
    if (!expected && !wasClosing && n.role !== 'source' && clean && n.up) {
      this.events.emit({ type: 'notice', id: n.id, message: `${n.id} ended its ${WHAT[n.role]} stream by itself; events for it are held until it is restarted` });
    }
    this.events.emit({ type: 'ended', id: n.id });
    n.resolveCallDone?.();
    this.anyEnded.fire();
    // A processor or sink whose stream ended while some upstream still streams (or holds events for it):
    // when it is still up and not going down, open a new stream so nothing waits forever.
    if (n.up && !n.goingDown && !this.draining && !this.closed && n.role !== 'source' && wasClosing) {
      if (n.in.some((l) => !l.e.ended || l.e.queued > 0)) this.openStream(n);
    }
  }

  private readConsumeResponse(n: Node, bytes: Buffer): void {
    const res = decodeConsumeResponse(bytes);
    if (!res) {
      this.error(n.id, 'Consume failed: the sink answered without a ConsumeResponse');
      return;
    }
    n.result = { eventsConsumed: Number(res.events_consumed), eventsFailed: Number(res.events_failed), errors: res.errors ?? [] };
    if (n.result.eventsFailed > 0) {
      this.error(n.id, `${n.result.eventsFailed} event(s) failed in the sink${n.result.errors[0] ? `: ${n.result.errors[0]}` : ''}`);
    }
    const confirmed = n.result.eventsConsumed + n.result.eventsFailed;
    if (n.callWritten > confirmed) {
      if (confirmed === 0) {
        this.events.emit({ type: 'notice', id: n.id, message: `${n.id} answered its Consume stream without counting the ${n.callWritten} event(s) it was sent` });
      } else {
        const lost = n.callWritten - confirmed;
        this.nodeDrop(n, `not consumed by ${n.id} before its stream ended`, lost);
        this.error(n.id, `${n.id} confirmed ${confirmed} of the ${n.callWritten} event(s) sent on its stream: ${lost} not consumed (counted as dropped)`);
      }
    }
  }

  private nodeDrop(n: Node, reason: string, count = 1): void {
    n.dropped += count;
    n.droppedBy[reason] = (n.droppedBy[reason] ?? 0) + count;
  }

  /** An event of a type the sink does not accept: counted on the edge; reported once per type. */
  private typeDrop(l: Link, type: string): void {
    l.e.drop(`type mismatch: ${type || '(no type)'}`);
    const d = l.to;
    if (d.typesReported.has(type)) return;
    d.typesReported.add(type);
    this.events.emit({ type: 'typeMismatch', id: d.id, from: l.from.id, eventType: type, accepts: [...d.accepts] });
  }
}

function withTimeout(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.then(() => undefined),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, Math.max(0, ms));
      timer.unref();
    }),
  ]).finally(() => clearTimeout(timer));
}
