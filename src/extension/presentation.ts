// How a component looks in the tree, the CodeLens and the status bar: icon, description, tooltip.
// Pure functions over the core's ComponentView (no vscode import), so they are unit-testable.
// They only render what the core reports (phase, health); they never decide health themselves.
import type { ComponentView, RunSnapshot, RunState } from '../core/events';
import { HealthStatus } from '../core/controlplane/model';

export interface IconSpec {
  /** Codicon id, e.g. `pass-filled` or `loading~spin`. */
  id: string;
  /** ThemeColor id, if any. */
  color?: string;
}

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

/** True when the core reports the component running and HEALTHY. */
export function isHealthy(view: ComponentView): boolean {
  return view.phase === 'running' && view.health === HealthStatus.HEALTHY;
}

/** Something the user should look at: unhealthy, degraded, or exited with an error. */
export function isTroubled(view: ComponentView): 'warning' | 'error' | undefined {
  if (view.phase === 'exited' && view.exitCode !== 0) return 'error';
  if (view.phase === 'restarting') return 'warning';
  if (view.phase === 'running' && view.health === HealthStatus.UNHEALTHY) return 'error';
  if (view.phase === 'running' && view.health === HealthStatus.DEGRADED) return 'warning';
  return undefined;
}

/** One word (or two) for the state: what the lens and the tooltip say. */
export function stateLabel(view: ComponentView): string {
  switch (view.phase) {
    case 'running':
      return healthWord(view.health);
    case 'waiting':
      return view.waitingFor.length ? `waiting for ${view.waitingFor.join(', ')}` : 'waiting';
    case 'exited':
      return view.exitSignal ? `exited (${view.exitSignal})` : `exited (code ${view.exitCode ?? '?'})`;
    default:
      return view.phase;
  }
}

export function componentIcon(view: ComponentView): IconSpec {
  switch (view.phase) {
    case 'pending':
      return { id: 'circle-large-outline', color: 'disabledForeground' };
    case 'waiting':
      return { id: 'watch', color: 'disabledForeground' };
    case 'starting':
    case 'restarting':
    case 'stopping':
      return { id: 'loading~spin' };
    case 'stopped':
      return { id: 'debug-stop', color: 'disabledForeground' };
    case 'exited':
      return view.exitCode === 0 && !view.exitSignal
        ? { id: 'pass', color: 'disabledForeground' }
        : { id: 'error', color: 'list.errorForeground' };
    case 'running':
      switch (view.health) {
        case HealthStatus.HEALTHY:
          return { id: 'pass-filled', color: 'testing.iconPassed' };
        case HealthStatus.DEGRADED:
          return { id: 'warning', color: 'list.warningForeground' };
        case HealthStatus.UNHEALTHY:
          return { id: 'error', color: 'list.errorForeground' };
        case HealthStatus.STOPPING:
          return { id: 'loading~spin' };
        default:
          return { id: 'circle-large-outline', color: 'charts.yellow' };
      }
  }
}

export function formatRate(perSecond: number): string {
  if (perSecond >= 1000) return `${(perSecond / 1000).toFixed(1)}k ev/s`;
  if (perSecond >= 10) return `${Math.round(perSecond)} ev/s`;
  return `${perSecond.toFixed(1)} ev/s`;
}

/** The key figure: events/s when data flows, else the last metric the component reported. */
export function keyFigure(view: ComponentView): string | undefined {
  if (view.eventsPerSecond > 0) return formatRate(view.eventsPerSecond);
  const keys = Object.keys(view.metrics);
  if (keys.length > 0) {
    const key = keys[keys.length - 1];
    return `${key} ${view.metrics[key]}`;
  }
  if (view.eventsOut > 0 || view.eventsIn > 0) return `${Math.max(view.eventsIn, view.eventsOut)} events`;
  return undefined;
}

/** An image reference without its registry and namespace, e.g. `ghcr.io/org/source:1.2` → `source:1.2` (digests cut short). */
export function shortImage(ref: string): string {
  const name = ref.slice(ref.lastIndexOf('/') + 1).replace(/@sha256:([0-9a-f]{12})[0-9a-f]*$/, '@$1');
  return name.length > 48 ? `${name.slice(0, 47)}…` : name;
}

/** For a container component: its image (short) and its container's short id, e.g. `source:1.2 3f2a1b9c0d4e`. */
export function containerLabel(view: ComponentView): string | undefined {
  if (view.driver !== 'docker') return undefined;
  const parts = [view.image ? shortImage(view.image) : '', view.containerId ? view.containerId.slice(0, 12) : ''].filter(Boolean);
  return parts.length ? parts.join(' ') : undefined;
}

export function componentDescription(view: ComponentView): string {
  const figure = keyFigure(view);
  const state = stateLabel(view);
  const restarts = view.restarts > 0 ? ` ↻${view.restarts}` : '';
  const text = figure && view.phase === 'running' ? `${figure}${restarts}` : `${state}${restarts}`;
  const container = containerLabel(view);
  return container ? `${text} · ${container}` : text;
}

export function formatDuration(ms: number): string {
  if (ms < 0) ms = 0;
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${s % 60}s`;
  const h = Math.floor(m / 60);
  return `${h}h ${m % 60}m`;
}

function escapeMd(text: string): string {
  return text.replace(/([\\`*_{}[\]()#+\-.!|<>])/g, '\\$1');
}

/** Markdown tooltip: endpoint, pid, uptime, last heartbeat, restarts, exit code, what it waits for. */
export function componentTooltip(view: ComponentView, now = Date.now()): string {
  const rows: string[] = [`**${escapeMd(view.id)}** (${view.role}) — ${escapeMd(stateLabel(view))}`, ''];
  const row = (k: string, v: string) => rows.push(`- ${k}: ${v}`);
  if (view.endpoint) row('Endpoint', '`' + view.endpoint + '`');
  if (view.serviceId) row('Service id', '`' + view.serviceId + '`');
  if (view.driver === 'docker' && view.image) row('Image', '`' + view.image + '`');
  if (view.driver === 'docker' && view.containerId) row('Container', '`' + view.containerId.slice(0, 12) + '`');
  if (view.pid !== undefined) row('PID', String(view.pid));
  if (view.startedAt && (view.phase === 'running' || view.phase === 'starting')) row('Uptime', formatDuration(now - view.startedAt));
  if (view.lastHeartbeat) row('Last heartbeat', `${formatDuration(now - view.lastHeartbeat)} ago`);
  row('Restarts', String(view.restarts));
  if (view.exitCode !== undefined && view.exitCode !== null) row('Exit code', String(view.exitCode));
  if (view.exitSignal) row('Signal', view.exitSignal);
  if (view.waitingFor.length) row('Waiting for', view.waitingFor.map((w) => '`' + w + '`').join(', '));
  if (view.eventsIn || view.eventsOut) row('Events', `${view.eventsIn} in / ${view.eventsOut} out`);
  if (view.eventsPerSecond) row('Rate', formatRate(view.eventsPerSecond));
  if (view.problem) row('Problem', escapeMd(view.problem));
  if (view.logFile) row('Log file', '`' + view.logFile + '`');
  return rows.join('\n');
}

/** State-encoded contextValue for menu `when` clauses, e.g. `component running` or `component readonly`. */
export function componentContextValue(view: ComponentView, readonly: boolean): string {
  if (readonly) return 'component readonly';
  const tags = ['component', view.phase];
  if (view.phase === 'running' || view.phase === 'starting' || view.phase === 'waiting' || view.phase === 'restarting') tags.push('stoppable');
  if (view.position) tags.push('revealable');
  return tags.join(' ');
}

export interface HealthCount {
  healthy: number;
  total: number;
}

export function healthCount(snapshot: RunSnapshot): HealthCount {
  return { healthy: snapshot.components.filter(isHealthy).length, total: snapshot.components.length };
}

export function isActiveState(state: RunState): boolean {
  return state === 'starting' || state === 'running' || state === 'stopping';
}

/** Overall look of a run: worst component wins. */
export function runLevel(snapshot: RunSnapshot): 'ok' | 'busy' | 'warning' | 'error' | 'stopped' {
  if (snapshot.state === 'failed') return 'error';
  if (snapshot.state === 'starting' || snapshot.state === 'stopping') return 'busy';
  if (snapshot.state !== 'running') return 'stopped';
  let level: 'ok' | 'warning' | 'error' = 'ok';
  for (const c of snapshot.components) {
    const t = isTroubled(c);
    if (t === 'error') return 'error';
    if (t === 'warning') level = 'warning';
  }
  return level;
}
