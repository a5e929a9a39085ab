// Decides which pipeline component a registration belongs to. Many real components register under an
// id other than their pipeline id (component-contract §6.5): we match, in order, by service id or
// component.id, by FLOWCTL_COMPONENT_ID / component_id in the metadata, then by the process that owns
// the registering connection.
import type { ServiceRecord } from '../controlplane/model';
import { rootPidOfPeer } from './peerPid';

export type MatchHow = 'id' | 'metadata' | 'process';

export interface Candidate {
  id: string;
  /** Pid of the component's current process, if running. */
  pid?: number;
  /** When the current process was spawned (ms); registrations older than that are stale leftovers. */
  spawnedAt?: number;
}

export interface Match {
  id: string;
  how: MatchHow;
}

const METADATA_KEYS = ['FLOWCTL_COMPONENT_ID', 'flowctl_component_id', 'component_id'];

export function matchByIdentity(record: ServiceRecord, ids: ReadonlySet<string>): Match | undefined {
  if (ids.has(record.serviceId)) return { id: record.serviceId, how: 'id' };
  if (record.info.id && ids.has(record.info.id)) return { id: record.info.id, how: 'id' };
  for (const key of METADATA_KEYS) {
    const v = record.info.metadata?.[key];
    if (v && ids.has(v)) return { id: v, how: 'metadata' };
  }
  return undefined;
}

/**
 * Identity first (cheap: set lookups); only a registration that names no pipeline component costs a look
 * at the processes (`candidates` is called only then).
 */
export async function matchRegistration(
  record: ServiceRecord,
  ids: ReadonlySet<string>,
  candidates: () => Candidate[],
  serverPort: number,
): Promise<Match | undefined> {
  const byIdentity = matchByIdentity(record, ids);
  if (byIdentity) return byIdentity;
  const withPid = candidates().filter((c) => c.pid !== undefined);
  const root = await rootPidOfPeer(
    record.peer,
    serverPort,
    withPid.map((c) => c.pid!),
  );
  const owner = withPid.find((c) => c.pid === root);
  return owner ? { id: owner.id, how: 'process' } : undefined;
}
