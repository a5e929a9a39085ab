// In-memory Storage (`--no-persistence`). Keeps its own copies: records handed in are copied, records
// handed out are fresh copies, so nothing mutable is shared with the caller. Touched (heartbeat)
// records are kept by reference until the next flush and copied then, like LmdbStorage writes them
// in a batch: the state of the object at flush time is what is stored.
import type { PipelineRun, ServiceRecord } from '../model';
import type { Storage } from './types';

function copy<T>(value: T): T {
  return structuredClone(value);
}

export class MemoryStorage implements Storage {
  readonly kind = 'memory' as const;
  readonly location = undefined;

  private readonly services = new Map<string, ServiceRecord>();
  private readonly runs = new Map<string, PipelineRun>();
  private readonly pending = new Map<string, ServiceRecord>();
  private closed = false;

  /** Counters, for tests and diagnostics. */
  readonly stats = { flushes: 0, touchedWritten: 0 };

  async open(): Promise<void> {
    this.closed = false;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.flushPending();
    this.closed = true;
  }

  async loadServices(): Promise<ServiceRecord[]> {
    this.flushPending();
    return [...this.services.values()].map(copy);
  }

  async putService(record: ServiceRecord): Promise<void> {
    this.assertOpen();
    this.pending.delete(record.serviceId);
    this.services.set(record.serviceId, copy(record));
  }

  async deleteService(serviceId: string): Promise<void> {
    this.assertOpen();
    this.pending.delete(serviceId);
    this.services.delete(serviceId);
  }

  touchService(record: ServiceRecord): void {
    if (this.closed) return; // a late heartbeat during shutdown: nothing to keep
    this.pending.set(record.serviceId, record);
  }

  async flush(): Promise<void> {
    this.flushPending();
  }

  async loadRuns(): Promise<PipelineRun[]> {
    return [...this.runs.values()].map(copy);
  }

  async putRun(run: PipelineRun): Promise<void> {
    this.assertOpen();
    this.runs.set(run.runId, copy(run));
  }

  async deleteRun(runId: string): Promise<void> {
    this.assertOpen();
    this.runs.delete(runId);
  }

  private flushPending(): void {
    if (this.pending.size === 0) return;
    for (const [id, record] of this.pending) this.services.set(id, copy(record));
    this.stats.flushes++;
    this.stats.touchedWritten += this.pending.size;
    this.pending.clear();
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('the in-memory registry storage is closed');
  }
}
