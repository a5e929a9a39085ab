// A minimal Debug Adapter Protocol client over TCP (what an editor does when it attaches to debugpy or
// Delve): Content-Length framed JSON, requests with sequence numbers, events collected in order.
import * as net from 'node:net';

export interface DapMessage {
  seq: number;
  type: 'request' | 'response' | 'event';
  command?: string;
  event?: string;
  request_seq?: number;
  success?: boolean;
  message?: string;
  body?: Record<string, unknown>;
}

export class DapClient {
  private buffer = Buffer.alloc(0);
  private seq = 0;
  private readonly pending = new Map<number, (m: DapMessage) => void>();
  readonly events: DapMessage[] = [];
  private readonly eventWaiters: { match: (m: DapMessage) => boolean; resolve: (m: DapMessage) => void }[] = [];

  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (chunk) => this.onData(chunk));
  }

  static connect(port: number, host = '127.0.0.1'): Promise<DapClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, host, () => resolve(new DapClient(socket)));
      socket.once('error', reject);
    });
  }

  private onData(chunk: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    for (;;) {
      const headerEnd = this.buffer.indexOf('\r\n\r\n');
      if (headerEnd < 0) return;
      const m = /Content-Length: *(\d+)/i.exec(this.buffer.subarray(0, headerEnd).toString('ascii'));
      if (!m) throw new Error(`DAP: no Content-Length in ${this.buffer.subarray(0, headerEnd).toString()}`);
      const length = Number(m[1]);
      if (this.buffer.length < headerEnd + 4 + length) return;
      const message = JSON.parse(this.buffer.subarray(headerEnd + 4, headerEnd + 4 + length).toString('utf8')) as DapMessage;
      this.buffer = this.buffer.subarray(headerEnd + 4 + length);
      this.dispatch(message);
    }
  }

  private dispatch(m: DapMessage): void {
    if (m.type === 'response' && m.request_seq !== undefined) {
      this.pending.get(m.request_seq)?.(m);
      this.pending.delete(m.request_seq);
    } else if (m.type === 'event') {
      this.events.push(m);
      for (const w of [...this.eventWaiters]) {
        if (w.match(m)) {
          this.eventWaiters.splice(this.eventWaiters.indexOf(w), 1);
          w.resolve(m);
        }
      }
    }
  }

  /** Sends a request; the promise settles with its response (whatever its `success`). */
  send(command: string, args?: Record<string, unknown>): Promise<DapMessage> {
    const seq = ++this.seq;
    const body = Buffer.from(JSON.stringify({ seq, type: 'request', command, arguments: args }), 'utf8');
    this.socket.write(`Content-Length: ${body.length}\r\n\r\n`);
    this.socket.write(body);
    return new Promise((resolve) => this.pending.set(seq, resolve));
  }

  /** Sends a request and fails unless it succeeds. */
  async request(command: string, args?: Record<string, unknown>): Promise<DapMessage> {
    const r = await this.send(command, args);
    if (!r.success) throw new Error(`DAP ${command} failed: ${r.message ?? JSON.stringify(r.body)}`);
    return r;
  }

  /** The first event (already seen or coming) that matches, within `timeoutMs`. */
  waitEvent(name: string, timeoutMs: number, match: (m: DapMessage) => boolean = () => true): Promise<DapMessage> {
    const seen = this.events.find((e) => e.event === name && match(e));
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`DAP: no "${name}" event within ${timeoutMs} ms; events: ${this.events.map((e) => e.event).join(', ')}`)), timeoutMs);
      this.eventWaiters.push({
        match: (m) => m.event === name && match(m),
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
      });
    });
  }

  close(): void {
    this.socket.destroy();
  }
}
