// What the registry needs from a store. The registry keeps the live state in memory and writes
// through: registrations, unregistrations and run changes are durable when the returned promise
// resolves; heartbeats are only marked (touchService) and written in coalesced batches.
import type { PipelineRun, ServiceRecord } from '../model';

export interface Storage {
  readonly kind: 'memory' | 'lmdb';
  /** Absolute path of the database, for messages (undefined for memory). */
  readonly location?: string;

  /** Opens (creating if needed). Errors name the file and say what to do (corrupt, locked by another process). */
  open(): Promise<void>;
  /** Flushes pending heartbeat batches, then closes. Idempotent. */
  close(): Promise<void>;

  loadServices(): Promise<ServiceRecord[]>;
  /** Durable when resolved. Key: record.serviceId. */
  putService(record: ServiceRecord): Promise<void>;
  /** Durable when resolved. Unknown ids are not an error. */
  deleteService(serviceId: string): Promise<void>;
  /**
   * Heartbeat path: remember the latest state; written by the next coalesced batch, not now. A store
   * that writes heartbeats durably returns the promise of the write holding it (the registry waits).
   */
  touchService(record: ServiceRecord): void | Promise<void>;
  /** Writes pending touched records now (one transaction). */
  flush(): Promise<void>;

  loadRuns(): Promise<PipelineRun[]>;
  /** Durable when resolved. Key: run.runId. */
  putRun(run: PipelineRun): Promise<void>;
  /** Durable when resolved. Unknown ids are not an error. */
  deleteRun(runId: string): Promise<void>;
}
