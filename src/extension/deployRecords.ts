// What "Deploy to Swarm" did in this window, per stack: its state, the progress lines the notification
// showed (bounded), and where its hub was reached — so Remove from Swarm disconnects the Services view
// only from that stack's hub, and the test API can read what the user saw.
export type DeployState = 'deploying' | 'deployed' | 'failed' | 'removing' | 'removed';

export interface DeployRecord {
  stack: string;
  file?: string;
  state: DeployState;
  /** Progress lines shown, oldest first (at most MAX_PROGRESS_LINES; repeats are not kept twice in a row). */
  progress: string[];
  /** host:port of the hub's published control plane, once known. */
  hubAddress?: string;
  error?: string;
  time: number;
}

const MAX_PROGRESS_LINES = 200;
const MAX_STACKS = 20;

export class DeployRecords {
  private readonly records = new Map<string, DeployRecord>();

  /** The records, oldest first. */
  get all(): readonly DeployRecord[] {
    return [...this.records.values()];
  }

  get(stack: string): DeployRecord | undefined {
    return this.records.get(stack);
  }

  /** Starts (or restarts) the record of a stack. */
  begin(stack: string, state: DeployState, file?: string): DeployRecord {
    const previous = this.records.get(stack);
    this.records.delete(stack);
    const r: DeployRecord = { stack, file: file ?? previous?.file, state, progress: [], hubAddress: previous?.hubAddress, time: Date.now() };
    this.records.set(stack, r);
    while (this.records.size > MAX_STACKS) this.records.delete(this.records.keys().next().value!);
    return r;
  }

  progress(r: DeployRecord, line: string): void {
    if (r.progress[r.progress.length - 1] === line) return;
    r.progress.push(line);
    if (r.progress.length > MAX_PROGRESS_LINES) r.progress.splice(0, r.progress.length - MAX_PROGRESS_LINES);
  }
}
