// How a component and a run read in words: state, data flow, event rates, the run's summary
// ("3/4 healthy", who waits for whom). Pure functions over the core's ComponentView/RunSnapshot; the
// front ends (tree, CodeLens, status bar, CLI) render these and never decide health themselves.
import type { ComponentView, RunSnapshot, RunState } from '../events';
import { HealthStatus } from '../controlplane/model';
import { formatAgo, formatCompact, formatNumber, formatRate } from './format';
import type { PresentedMetric } from './metrics';

const HEALTH_WORDS: Record<number, string> = {
  [HealthStatus.UNKNOWN]: 'unknown',
  [HealthStatus.STARTING]: 'starting',
  [HealthStatus.HEALTHY]: 'healthy',
  [HealthStatus.DEGRADED]: 'degraded',
  [HealthStatus.UNHEALTHY]: 'unhealthy',
  [HealthStatus.STOPPING]: 'stopping',
};

export function healthWord(health: number): string {
  return HEALTH_WORDS[health] ?? 'unknown';
}

/** `waiting for enrich`, `idle`, or undefined while data flows (or nobody measures it). */
export function flowLabel(view: ComponentView): string | undefined {
  if (view.phase !== 'running') return undefined;
  if (view.flow === 'waiting') return view.waitingOn?.length ? `waiting for ${view.waitingOn.join(', ')}` : 'waiting for input';
  if (view.flow === 'idle') return 'idle';
  return undefined;
}

/** True when the core reports the component running, HEALTHY, and not starved of data by an upstream. */
export function isHealthy(view: ComponentView): boolean {
  return view.phase === 'running' && view.health === HealthStatus.HEALTHY && view.flow !== 'waiting';
}

/** Something the user should look at: exited with an error, unhealthy, degraded, restarting, or no data. */
export function attention(view: ComponentView): 'warning' | 'error' | undefined {
  if (view.phase === 'exited' && (view.exitSignal || (view.exitCode !== 0 && view.exitCode !== undefined))) return 'error';
  if (view.phase === 'restarting') return 'warning';
  if (view.phase === 'running') {
    if (view.health === HealthStatus.UNHEALTHY) return 'error';
    if (view.health === HealthStatus.DEGRADED) return 'warning';
    if (view.flow === 'waiting' || view.flow === 'idle') return 'warning';
  }
  return undefined;
}

/** One word (or a few) for the state: what the lens and the tooltip say. Data flow wins over health. */
export function stateLabel(view: ComponentView): string {
  switch (view.phase) {
    case 'running': {
      const flow = flowLabel(view);
      if (flow && view.health !== HealthStatus.UNHEALTHY) return flow === 'idle' ? `idle ${formatRate(0)}` : flow;
      return healthWord(view.health);
    }
    case 'waiting':
      return view.waitingFor.length ? `waiting for ${view.waitingFor.join(', ')} to start` : 'waiting';
    case 'exited':
      if (view.exitSignal) return `killed (${view.exitSignal})`;
      return view.exitCode === 0 ? 'finished' : `exited (code ${view.exitCode ?? '?'})`;
    case 'restarting':
      return 'restarting';
    default:
      return view.phase;
  }
}

/** Per-second rates in and out: the runner's own counts when it reports them, else its single rate. */
export function rates(view: ComponentView): { in?: number; out?: number } {
  const single = view.eventsPerSecond ?? 0;
  const inRate = view.eventsInPerSecond ?? (view.role === 'source' ? undefined : single);
  const outRate = view.eventsOutPerSecond ?? (view.role === 'sink' ? undefined : single);
  if (view.role === 'source') return { out: outRate ?? 0 };
  if (view.role === 'sink') return { in: inRate ?? 0 };
  return { in: inRate ?? 0, out: outRate ?? 0 };
}

function rateNumber(perSecond: number): string {
  return formatRate(perSecond).replace(/ ev\/s$/, '');
}

/** `out 20 ev/s` (source), `in 20 ev/s` (sink), `in 20 · out 8 ev/s` (processor). */
export function rateLabel(view: ComponentView): string {
  const r = rates(view);
  if (r.in !== undefined && r.out !== undefined) return `in ${rateNumber(r.in)} · out ${rateNumber(r.out)} ev/s`;
  if (r.out !== undefined) return `out ${formatRate(r.out)}`;
  return `in ${formatRate(r.in ?? 0)}`;
}

/**
 * The tree's description: stable in shape. Running: the event rate first, then what is wrong with
 * the data flow, then restarts (`in 20 · out 8 ev/s · waiting for enrich ↻1`). Otherwise the state.
 * Never an arbitrary metric.
 */
export function componentDescription(view: ComponentView): string {
  const restarts = view.restarts > 0 ? ` ↻${view.restarts}` : '';
  if (view.phase !== 'running') return `${stateLabel(view)}${restarts}`;
  const parts = [rateLabel(view)];
  const flow = flowLabel(view);
  if (flow) parts.push(flow);
  if (view.health !== HealthStatus.HEALTHY && view.health !== HealthStatus.UNKNOWN) parts.push(healthWord(view.health));
  if (view.dropped) parts.push(`${formatCompact(view.dropped)} dropped`);
  return `${parts.join(' · ')}${restarts}`;
}

/**
 * The runner's own figures for a component (updated every second, not only on heartbeats): rates,
 * totals, drops and what is held for it; as metric rows for the tree.
 */
export function flowFigures(view: ComponentView): PresentedMetric[] {
  const out: PresentedMetric[] = [];
  const r = rates(view);
  const row = (key: string, label: string, value: string, raw: string, kind: PresentedMetric['kind']) => out.push({ key, label, value, raw, kind });
  if (r.in !== undefined) row('flowctl:in', 'Events in', `${formatRate(r.in)} · ${formatNumber(view.eventsIn)} total`, String(view.eventsIn), 'counter');
  if (r.out !== undefined) row('flowctl:out', 'Events out', `${formatRate(r.out)} · ${formatNumber(view.eventsOut)} total`, String(view.eventsOut), 'counter');
  if (view.dropped) {
    const why = view.droppedBy ? Object.entries(view.droppedBy).map(([k, n]) => `${k}: ${formatNumber(n)}`).join(', ') : '';
    row('flowctl:dropped', 'Dropped', `${formatNumber(view.dropped)}${why ? ` (${why})` : ''}`, String(view.dropped), 'counter');
  }
  if (view.queued) row('flowctl:queued', 'Held for it', formatNumber(view.queued), String(view.queued), 'gauge');
  if (view.lastHeartbeat) row('flowctl:heartbeat', 'Last heartbeat', formatAgo(view.lastHeartbeat), String(view.lastHeartbeat), 'time');
  return out;
}

export function isActiveState(state: RunState): boolean {
  return state === 'starting' || state === 'running' || state === 'stopping';
}

export type RunLevel = 'ok' | 'busy' | 'warning' | 'error' | 'stopped';

/** One run in numbers and words; the ONE source of the counts the status bar, lens and tree show. */
export interface RunSummary {
  state: RunState;
  healthy: number;
  total: number;
  /** `3/4` */
  count: string;
  /** `3/4 healthy`, or `starting… 1/4 healthy` while it starts. */
  text: string;
  level: RunLevel;
  /** Ids of components alive but starved of data, with what they wait for. */
  waiting: Array<{ id: string; on: string[] }>;
  idle: string[];
  /** Ids that exited with an error or are restarting after one. */
  failed: string[];
}

export function summarizeRun(snapshot: RunSnapshot): RunSummary {
  let healthy = 0;
  let level: RunLevel = 'ok';
  const waiting: RunSummary['waiting'] = [];
  const idle: string[] = [];
  const failed: string[] = [];
  for (const c of snapshot.components) {
    if (isHealthy(c)) healthy++;
    const a = attention(c);
    if (a === 'error') level = 'error';
    else if (a === 'warning' && level === 'ok') level = 'warning';
    if (c.phase === 'running' && c.flow === 'waiting') waiting.push({ id: c.id, on: c.waitingOn ?? [] });
    if (c.phase === 'running' && c.flow === 'idle') idle.push(c.id);
    if (a === 'error' || c.phase === 'restarting') failed.push(c.id);
  }
  const total = snapshot.components.length;
  if (snapshot.state === 'failed') level = 'error';
  else if (snapshot.state === 'starting' || snapshot.state === 'stopping') level = 'busy';
  else if (snapshot.state !== 'running') level = 'stopped';
  const count = `${healthy}/${total}`;
  const text = snapshot.state === 'running' ? `${count} healthy` : `${snapshot.state}… ${count} healthy`;
  return { state: snapshot.state, healthy, total, count, text, level, waiting, idle, failed };
}
