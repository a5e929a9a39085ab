// Hands each frame a node reads to every edge leaving it: straight into the downstream's stream when the
// edge is open (consecutive frames of a chunk extend one run, written in one piece after the chunk), into
// the edge's hold buffer otherwise; events of a type a sink does not accept are counted, not sent.
import { FRAME_HEADER_BYTES, type FrameSink } from './frames';
import { eventTypeOf, payloadBytesOf } from './rawCodec';
import { eventKeyOf } from './eventKey';
import { Spreader } from './spread';
import type { Link, Node } from './node';

export interface ForwardHooks {
  /** An event of a type the sink at the end of `l` does not accept. */
  typeDrop(l: Link, type: string): void;
  /** The run is draining: an ended edge into a down component drops instead of holding. */
  draining(): boolean;
  /** Changes whenever links or replica groups change (the groups below are rebuilt then). */
  topology?(): number;
}

/** Edges into the replicas of one component: each event goes to one of them (spread.ts). */
interface ReplicaGroup {
  members: Link[];
  spreader: Spreader;
  key?: string;
  chosen: Link | null;
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

  private version = -1;
  private groups: ReplicaGroup[] = [];
  private readonly groupOf = new Map<Link, ReplicaGroup>();
  private readonly spreaders = new Map<string, Spreader>();

  constructor(
    private readonly hooks: ForwardHooks,
    private readonly n: Node,
  ) {}

  /** Groups the out-edges that end at replicas of one component (two or more members). */
  private rebuild(): void {
    this.version = this.hooks.topology?.() ?? 0;
    const byName = new Map<string, Link[]>();
    for (const l of this.n.out) {
      const g = l.to.group;
      if (!g) continue;
      const list = byName.get(g);
      if (list) list.push(l);
      else byName.set(g, [l]);
    }
    this.groups = [];
    this.groupOf.clear();
    for (const [name, links] of byName) {
      if (links.length < 2) continue;
      links.sort((a, b) => (a.to.id < b.to.id ? -1 : a.to.id > b.to.id ? 1 : 0));
      let spreader = this.spreaders.get(name);
      if (!spreader) this.spreaders.set(name, (spreader = new Spreader()));
      const group: ReplicaGroup = { members: links, spreader, key: links.find((l) => l.to.partitionKey)?.to.partitionKey, chosen: null };
      this.groups.push(group);
      for (const l of links) this.groupOf.set(l, group);
    }
  }

  frame(buf: Buffer, start: number, end: number): void {
    const n = this.n;
    if (this.version !== (this.hooks.topology?.() ?? 0)) this.rebuild();
    const groups = this.groups;
    for (let gi = 0; gi < groups.length; gi++) {
      const g = groups[gi];
      const key = g.key !== undefined ? eventKeyOf(buf, start + FRAME_HEADER_BYTES, end, g.key) : undefined;
      const m = g.members;
      g.chosen = m[g.spreader.pick(m.length, (i) => m[i].e.open && m[i].to.accepting, key)];
    }
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
      if (groups.length > 0) {
        const g = this.groupOf.get(l);
        if (g && g.chosen !== l) continue; // another replica of that component takes this one
      }
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
