// One state machine per component. Every fact about a component (the sequencer started it, its
// process spawned or ended, it registered, the user stopped it…) goes through here, and the state
// decides what the fact means: an exit while the user stops it is `stopped`, the same exit out of
// the blue is `failed`. No flags shared across components or with the run.
//
//   pending ─▶ waiting ─▶ starting ─▶ running ─▶ stopping ─▶ stopped          (asked to stop)
//                            │           │           └──────▶ restarting ─▶ starting   (asked to restart)
//                            └───────────┴─▶ backoff ─▶ starting                (exit, restart policy)
//                                        └─▶ exited (code 0) | failed           (exit, no restart)
import type { ComponentPhase } from '../events';

export type LifeState =
  | 'pending'
  | 'waiting'
  | 'starting'
  | 'running'
  | 'stopping'
  | 'stopped'
  | 'restarting'
  | 'backoff'
  | 'exited'
  | 'failed';

/** Why a component is being stopped; decides what its end means. */
export type StopIntent = 'user' | 'restart' | 'run' | 'removed';

export interface ExitFact {
  code: number | null;
  signal: string | null;
  /** The driver will start it again by itself (restart policy). */
  willRestart: boolean;
}

const PHASE: Record<LifeState, ComponentPhase> = {
  pending: 'pending',
  waiting: 'waiting',
  starting: 'starting',
  running: 'running',
  stopping: 'stopping',
  stopped: 'stopped',
  restarting: 'restarting',
  backoff: 'restarting',
  exited: 'exited',
  failed: 'exited',
};

export class ComponentState {
  private _state: LifeState = 'pending';
  private _intent?: StopIntent;
  /** Registered with the control plane since its latest start. */
  private _registered = false;
  /** Starts so far (spawns by us or by the restart policy). */
  private _starts = 0;

  constructor(
    readonly id: string,
    private readonly onChange: (state: LifeState, previous: LifeState) => void = () => undefined,
  ) {}

  get state(): LifeState {
    return this._state;
  }

  get phase(): ComponentPhase {
    return PHASE[this._state];
  }

  get intent(): StopIntent | undefined {
    return this._intent;
  }

  get registered(): boolean {
    return this._registered;
  }

  get starts(): number {
    return this._starts;
  }

  /** A process is (or is about to be) alive: it may register, produce, consume. */
  get live(): boolean {
    return this._state === 'starting' || this._state === 'running' || this._state === 'stopping';
  }

  /** Nothing runs and nothing is scheduled to run. */
  get down(): boolean {
    return this._state === 'stopped' || this._state === 'exited' || this._state === 'failed' || this._state === 'pending';
  }

  /** Down because someone asked (it may be started again by hand): not the end of the run. */
  get stoppedByHand(): boolean {
    return this._state === 'stopped' && this._intent === 'user';
  }

  get failed(): boolean {
    return this._state === 'failed';
  }

  private set(next: LifeState): void {
    const prev = this._state;
    if (prev === next) return;
    this._state = next;
    this.onChange(next, prev);
  }

  /** The sequencer holds it until its depends_on are registered. */
  waiting(): void {
    if (this._state === 'pending') this.set('waiting');
  }

  /** We are starting it (first start, a start by hand, the second half of a restart). */
  launching(): void {
    this._intent = undefined;
    this._registered = false;
    this.set('starting');
  }

  /** Its process spawned (also after an automatic restart). */
  spawned(): void {
    this._starts++;
    this._registered = false;
    if (this._state !== 'stopping') this.set('starting');
  }

  registeredNow(): void {
    this._registered = true;
    if (this._state === 'starting' || this._state === 'backoff' || this._state === 'restarting') this.set('running');
  }

  /** Asked to stop (`user`: by hand; `restart`: to start again; `run`: the run ends; `removed`: gone from the file). */
  stopping(intent: StopIntent): void {
    this._intent = intent;
    this._registered = false;
    this.set('stopping');
  }

  /** The stop we asked for has finished. */
  stopFinished(): void {
    if (this._state !== 'stopping') return;
    this.set(this._intent === 'restart' ? 'restarting' : 'stopped');
  }

  /**
   * Its process ended. While we stop it, that is the stop (nothing else happens); otherwise it is an exit
   * of its own: `backoff` when the driver restarts it, `exited` with code 0, `failed` otherwise.
   */
  exited(fact: ExitFact): 'expected' | 'restarting' | 'exited' | 'failed' {
    this._registered = false;
    if (this._state === 'stopping') return 'expected';
    if (fact.willRestart) {
      this.set('backoff');
      return 'restarting';
    }
    const ok = fact.code === 0 && !fact.signal;
    this.set(ok ? 'exited' : 'failed');
    return ok ? 'exited' : 'failed';
  }

  /** It could not be started at all (no pid). */
  spawnFailed(): void {
    this._registered = false;
    if (this._state === 'stopping') return;
    this.set('failed');
  }
}
