// A Storage made on its first open(): the run's control plane listens and the components are spawned
// before the LMDB package is even loaded (~20 ms of CPU here, on the one busy core before the first spawn),
// and the registry opens while they boot (controlplane/server.ts: openRegistryAfterBind). Every call waits
// for the real store; close() waits for an open in flight and closes what it opened.
import type { PipelineRun, ServiceRecord } from '../model';
import type { Storage } from './types';

export class LazyStorage implements Storage {
  private real?: Promise<Storage>;
  /** The real store once it is open: heartbeats then go straight to it (no promise per heartbeat). */
  private opened?: Storage;
  private closed = false;

  /** `unused`: called by close() when no store was ever made (e.g. to release a lock taken for it). */
  constructor(
    readonly kind: Storage['kind'],
    readonly location: string | undefined,
    private readonly make: () => Promise<Storage>,
    private readonly unused?: () => void,
  ) {}

  private store(): Promise<Storage> {
    if (this.closed) return Promise.reject(new Error(`the registry${this.location ? ` ${this.location}` : ''} is closed`));
    this.real ??= this.make().then(async (s) => {
      await s.open();
      this.opened = s;
      return s;
    });
    return this.real;
  }

  open(): Promise<void> {
    return this.store().then(() => undefined);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.opened = undefined;
    if (!this.real) {
      this.unused?.();
      return;
    }
    const real = await this.real.catch(() => undefined);
    await real?.close();
  }

  async loadServices(): Promise<ServiceRecord[]> {
    return (await this.store()).loadServices();
  }
  async putService(record: ServiceRecord): Promise<void> {
    return (await this.store()).putService(record);
  }
  async deleteService(serviceId: string): Promise<void> {
    return (await this.store()).deleteService(serviceId);
  }
  touchService(record: ServiceRecord): void | Promise<void> {
    if (this.opened) return this.opened.touchService(record);
    return this.store().then((s) => s.touchService(record));
  }
  async flush(): Promise<void> {
    return (await this.store()).flush();
  }
  async loadRuns(): Promise<PipelineRun[]> {
    return (await this.store()).loadRuns();
  }
  async putRun(run: PipelineRun): Promise<void> {
    return (await this.store()).putRun(run);
  }
  async deleteRun(runId: string): Promise<void> {
    return (await this.store()).deleteRun(runId);
  }
}
