// What runners that died (kill -9, a crashed editor window) left behind in a state folder, ended in
// order: their containers first (by label: never a live runner's, never another state folder's), then
// their processes (journal and run marker). Containers go first so the process reaper never meets a
// container's processes half-stopped. The engine is asked only when this run has containers itself or
// a dead runner's record (dockerRecord.ts) says it had some: a run without containers never calls docker.
import { reapLeftovers as reapProcesses } from '../supervisor/stateFile';
import { DockerDriver } from './docker';
import { deadRecords } from './dockerRecord';
import type { ComponentDriver, DriverKind, LeftoverReport } from './types';

export interface DeadRunReport {
  kind: DriverKind;
  report: LeftoverReport;
}

export async function reapDeadRuns(stateDir: string, opts: { drivers?: ComponentDriver[]; graceMs?: number } = {}): Promise<DeadRunReport[]> {
  const graceMs = opts.graceMs ?? 2_000;
  const drivers = opts.drivers ?? [];
  const out: DeadRunReport[] = [];
  const docker = drivers.find((d) => d.kind === 'docker') ?? (deadRecords(stateDir).length > 0 ? new DockerDriver({ stateDir }) : undefined);
  if (docker) out.push({ kind: 'docker', report: await docker.reapLeftovers() });
  const processes = drivers.find((d) => d.kind === 'process');
  if (processes) out.push({ kind: 'process', report: await processes.reapLeftovers() });
  else {
    const r = await reapProcesses(stateDir, { graceMs });
    out.push({
      kind: 'process',
      report: {
        reaped: r.reaped.map((x) => ({ id: x.id, pid: x.pid, file: x.file })),
        skipped: r.skipped.map((x) => ({ id: x.id, pid: x.pid, file: x.file, reason: x.reason })),
      },
    });
  }
  return out;
}
