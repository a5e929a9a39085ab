// Hands each frame a node reads to every edge leaving it: straight into the downstream's stream when the
// edge is open (consecutive frames of a chunk extend one run, written in one piece after the chunk), into
// the edge's hold buffer otherwise; events of a type a sink does not accept are counted, not sent.
import { FRAME_HEADER_BYTES, type FrameSink } from './frames';
import { eventTypeOf, payloadBytesOf } from './rawCodec';
import type { Link, Node } from './node';

export interface ForwardHooks {
  /** An event of a type the sink at the end of `l` does not accept. */
  typeDrop(l: Link, type: string): void;
  /** The run is draining: an ended edge into a down component drops instead of holding. */
  draining(): boolean;
}

/**
 * Counts each frame of one node's output and hands it to every edge: straight into the downstream's
 * stream (consecutive frames of a chunk extend one run, written in one piece after the chunk) when the
 * edge is open, into the edge's hold buffer otherwise.
 */
export class Forwarder implements FrameSink {
  lastBuf: Buffer | null = null;
  lastStart = 0;
  lastEnd = 0;

  constructor(
    private readonly hooks: ForwardHooks,
    private readonly n: Node,
  ) {}

  frame(buf: Buffer, start: number, end: number): void {
    const n = this.n;
    const bytes = payloadBytesOf(buf, start + FRAME_HEADER_BYTES, end);
    n.counts.eventsOut++;
    n.counts.bytesOut += bytes;
    this.lastBuf = buf;
    this.lastStart = start;
    this.lastEnd = end;
    let type: string | undefined;
    const outs = n.out;
    for (let i = 0; i < outs.length; i++) {
      const l = outs[i];
      const d = l.to;
      const e = l.e;
      if (d.filter) {
        type ??= eventTypeOf(buf, start + FRAME_HEADER_BYTES, end);
        if (!d.filter.has(type)) {
          this.hooks.typeDrop(l, type);
          continue;
        }
      }
      if (e.open && d.accepting) {
        e.events++;
        e.bytes += bytes;
        d.counts.eventsIn++;
        d.counts.bytesIn += bytes;
        d.callWritten++;
        if (e.runBuf === buf && e.runEnd === start) {
          e.runEnd = end;
        } else {
          if (e.runBuf !== null && d.call) {
            // Not contiguous (a frame completed across chunks): write what we have.
            if (!d.call.write(e.runBuf.subarray(e.runStart, e.runEnd))) d.blocked = true;
          }
          e.runBuf = buf;
          e.runStart = start;
          e.runEnd = end;
        }
      } else if (e.ended && this.hooks.draining()) {
        e.drop(`the run stopped while ${d.id} was down`);
      } else {
        e.hold(buf, start, end, `buffer full while ${d.id} was down`);
      }
    }
  }
}
