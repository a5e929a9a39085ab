// The driver of a hub (`flowctl run --components external`): components run elsewhere (containers of a
// swarm stack, pods, processes on other machines) and are not started, stopped or reaped from here. A
// handle stands for "this component is expected to come and register"; its life is what the registry
// says (registrations, heartbeats, unregistrations), never a process of ours.
import { Emitter } from '../typedEmitter';
import type { ProcessEvent, ProcessState } from '../supervisor/process';
import type { ComponentDriver, ComponentHandle, ComponentRunSpec, LeftoverReport, PreflightProblem } from './types';

/** What a user is told when asking the hub to start, stop or restart a component it does not run. */
export function notOursMessage(id: string, action: string): string {
  return (
    `${id} runs outside this hub (--components external): ${action} it with the orchestrator that runs it ` +
    `(e.g. docker service update --force <stack>_${id}, docker service scale, kubectl rollout restart)`
  );
}

export class ExternalHandle implements ComponentHandle {
  readonly events = new Emitter<ProcessEvent>();
  readonly pid = undefined;
  readonly restarts = 0;
  readonly exitCode = null;
  readonly exitSignal = null;
  private _state: ProcessState = 'idle';
  private _startedAt?: number;

  constructor(readonly id: string) {}

  get state(): ProcessState {
    return this._state;
  }

  get startedAt(): number | undefined {
    return this._startedAt;
  }

  tail(): string[] {
    return [];
  }

  /** Expect it: nothing is started here; the component registers from wherever it runs. */
  start(): void {
    this._state = 'running';
    this._startedAt ??= Date.now();
  }

  stop(): Promise<void> {
    return Promise.reject(new Error(notOursMessage(this.id, 'stop')));
  }

  restart(): Promise<void> {
    return Promise.reject(new Error(notOursMessage(this.id, 'restart')));
  }

  kill(): void {
    // nothing of ours to kill
  }

  /** The hub stops: it only stops expecting the component (the component itself keeps running). */
  forget(): void {
    this._state = 'stopped';
  }
}

export class ExternalDriver implements ComponentDriver {
  readonly kind = 'external' as const;
  private readonly handles = new Map<string, ExternalHandle>();

  async preflight(): Promise<PreflightProblem[]> {
    return [];
  }

  create(spec: ComponentRunSpec): ComponentHandle {
    const h = new ExternalHandle(spec.id);
    this.handles.set(spec.id, h);
    return h;
  }

  release(id: string): void {
    this.handles.delete(id);
  }

  async reapLeftovers(): Promise<LeftoverReport> {
    return { reaped: [], skipped: [] };
  }

  async stopAll(): Promise<void> {
    for (const h of this.handles.values()) h.forget();
  }

  killAll(): void {
    for (const h of this.handles.values()) h.forget();
  }

  ownsProcess(): boolean {
    return false;
  }
}
