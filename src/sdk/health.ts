// HTTP health endpoints shaped like the Go SDK's StandardHealthServer:
// GET /health (always 200), /ready (200 when HEALTHY, else 503), /live (500 when UNHEALTHY),
// /metrics (200, JSON with native numbers). Body: {status, uptime, timestamp[, metrics]}.
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { formatGoSeconds } from '../core/duration';

export type HealthName = 'UNKNOWN' | 'STARTING' | 'HEALTHY' | 'DEGRADED' | 'UNHEALTHY' | 'STOPPING';

export interface HealthSource {
  health(): HealthName;
  startedAt: number;
  metrics(): Record<string, number>;
}

export class HealthHttpServer {
  private server?: http.Server;
  port = 0;

  constructor(private readonly source: HealthSource) {}

  /** Binds loopback unless told otherwise (HEALTH_HOST in the SDK's config). */
  async listen(port: number, host = '127.0.0.1'): Promise<number> {
    const server = http.createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
    return this.port;
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') return this.send(res, 405, { error: 'method not allowed' });
    const status = this.source.health();
    const body: Record<string, unknown> = {
      status,
      uptime: formatGoSeconds(Date.now() - this.source.startedAt),
      timestamp: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    };
    switch (url) {
      case '/health':
        return this.send(res, 200, body);
      case '/ready':
        return this.send(res, status === 'HEALTHY' ? 200 : 503, body);
      case '/live':
        return this.send(res, status === 'UNHEALTHY' ? 500 : 200, body);
      case '/metrics':
        return this.send(res, 200, { ...body, metrics: this.source.metrics() });
      default:
        return this.send(res, 404, { error: `no such endpoint: ${url}` });
    }
  }

  private send(res: http.ServerResponse, code: number, body: unknown): void {
    const text = JSON.stringify(body);
    res.writeHead(code, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  }

  async close(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    s.closeAllConnections?.();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}
