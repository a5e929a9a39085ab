// How a component looks in the tree, the CodeLens and the status bar: icon, tooltip, menu context.
// Pure functions over the core's ComponentView (no vscode import), so they are unit-testable. The
// words and counts come from src/core/present (shared with the CLI); this file only adds the
// editor-specific parts (codicons, theme colours, Markdown).
import type { ComponentView, RunSnapshot } from '../core/events';
import { HealthStatus } from '../core/controlplane/model';
import {
  attention,
  componentDescription as coreDescription,
  flowLabel,
  healthWord,
  isActiveState,
  isHealthy,
  rateLabel,
  stateLabel,
  summarizeRun,
  type RunLevel,
} from '../core/present/component';
import { formatAgo, formatDuration, formatNumber, formatRate } from '../core/present/format';

export { flowLabel, formatDuration, formatRate, healthWord, isActiveState, isHealthy, stateLabel, summarizeRun };

export interface IconSpec {
  /** Codicon id, e.g. `pass-filled` or `loading~spin`. */
  id: string;
  /** ThemeColor id, if any. */
  color?: string;
}

/** Something the user should look at (see core/present attention()). */
export const isTroubled = attention;

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
          // Alive and healthy, but no data reaches it: a warning, not green.
          if (view.flow === 'waiting') return { id: 'debug-disconnect', color: 'list.warningForeground' };
          if (view.flow === 'idle') return { id: 'circle-slash', color: 'list.warningForeground' };
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

/**
 * A component under Debug Component whose heartbeats stopped: held at a breakpoint (its process is
 * paused, so it cannot heartbeat), not failing. Shown as "paused in debugger", not red, while the
 * debug session lasts (after it, the same missed heartbeats are unhealthy again).
 */
export function pausedInDebugger(view: ComponentView, debugging: boolean): boolean {
  return debugging && view.phase === 'running' && view.health === HealthStatus.UNHEALTHY;
}

export const PAUSED_LABEL = 'paused in debugger';
export const PAUSED_ICON: IconSpec = { id: 'debug-pause', color: 'debugIcon.pauseForeground' };

/** The component's icon, or the paused one while a debugger holds it (see pausedInDebugger). */
export function componentIconWhile(view: ComponentView, debugging: boolean): IconSpec {
  return pausedInDebugger(view, debugging) ? PAUSED_ICON : componentIcon(view);
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

/** The tree's description: rates and data flow (core/present), then a container's image and short id. */
export function componentDescription(view: ComponentView): string {
  const text = coreDescription(view);
  const container = containerLabel(view);
  return container ? `${text} · ${container}` : text;
}

export function escapeMd(text: string): string {
  return text.replace(/([\\`*_{}[\]()#+\-.!|<>])/g, '\\$1');
}

/**
 * A component of a run that belongs to another process (connected read-only): flowctl's own
 * counts are not known there, so its state, and the rate the component reports in its heartbeats.
 */
export function connectedDescription(view: ComponentView): string {
  const reported = Number(view.metrics.events_per_second);
  return `${stateLabel(view)}${Number.isFinite(reported) && view.metrics.events_per_second !== undefined ? ` · ${formatRate(reported)} (reported)` : ''}`;
}

/** Markdown tooltip: state, data flow, endpoint, pid, uptime, heartbeat, restarts, exit, rates, drops. */
export function componentTooltip(view: ComponentView, now = Date.now()): string {
  const flow = flowLabel(view);
  const rows: string[] = [`**${escapeMd(view.id)}** (${view.role}) — ${flow ? '$(warning) ' : ''}${escapeMd(stateLabel(view))}`, ''];
  const row = (k: string, v: string) => rows.push(`- ${k}: ${v}`);
  if (flow && view.flow === 'waiting') row('Data', `$(warning) no events arrive: ${view.waitingOn?.length ? view.waitingOn.map((w) => '`' + w + '`').join(', ') + ' is down or stalled' : 'its inputs are down or stalled'}`);
  else if (flow) row('Data', '$(warning) alive, inputs up, but nothing arrived lately');
  if (view.phase === 'running') row('Rate', rateLabel(view));
  if (view.eventsIn || view.eventsOut) row('Events', `${formatNumber(view.eventsIn)} in / ${formatNumber(view.eventsOut)} out`);
  if (view.dropped) row('Dropped', `${formatNumber(view.dropped)}${view.droppedBy ? ` (${Object.entries(view.droppedBy).map(([k, n]) => `${escapeMd(k)}: ${formatNumber(n)}`).join(', ')})` : ''}`);
  if (view.queued) row('Held for it', formatNumber(view.queued));
  if (view.endpoint) row('Endpoint', '`' + view.endpoint + '`');
  if (view.serviceId && view.serviceId !== view.id) row('Service id', '`' + view.serviceId + '`');
  if (view.driver === 'docker' && view.image) row('Image', '`' + view.image + '`');
  if (view.driver === 'docker' && view.containerId) row('Container', '`' + view.containerId.slice(0, 12) + '`');
  if (view.pid !== undefined) row('PID', String(view.pid));
  if (view.startedAt && (view.phase === 'running' || view.phase === 'starting')) row('Uptime', formatDuration(now - view.startedAt));
  if (view.lastHeartbeat) row('Last heartbeat', formatAgo(view.lastHeartbeat, now));
  row('Restarts', String(view.restarts));
  if (view.exitCode !== undefined && view.exitCode !== null) row('Exit code', String(view.exitCode));
  if (view.exitSignal) row('Signal', view.exitSignal);
  if (view.waitingFor.length) row('Waiting for', view.waitingFor.map((w) => '`' + w + '`').join(', '));
  if (view.problem) row('Problem', escapeMd(view.problem));
  if (view.logFile) row('Log file', '`' + view.logFile + '`');
  return rows.join('\n');
}

/**
 * State-encoded contextValue for menu `when` clauses: `component running stoppable revealable` (a
 * local run), `component running remote stoppable` (a connected run this user owns: controls through
 * its runner service), `component readonly` (watch only).
 */
export function componentContextValue(view: ComponentView, readonly: boolean, controllable = false): string {
  if (readonly && !controllable) return 'component readonly';
  const tags = ['component', view.phase];
  if (readonly) tags.push('remote');
  if (view.phase === 'running' || view.phase === 'starting' || view.phase === 'waiting' || view.phase === 'restarting') tags.push('stoppable');
  if (view.position && !readonly) tags.push('revealable');
  return tags.join(' ');
}

export interface HealthCount {
  healthy: number;
  total: number;
}

export function healthCount(snapshot: RunSnapshot): HealthCount {
  const s = summarizeRun(snapshot);
  return { healthy: s.healthy, total: s.total };
}

/** Overall look of a run: worst component wins. */
export function runLevel(snapshot: RunSnapshot): RunLevel {
  return summarizeRun(snapshot).level;
}

