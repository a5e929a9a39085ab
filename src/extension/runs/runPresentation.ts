// How a run looks in the Runs view: label, description, icon, tooltip. Pure (no vscode import).
import type { PipelineRun } from '../../core/controlplane/model';
import { runEvents, runStatusWord, type RunStatusWord } from '../../core/history/runStore';
import { formatDuration, type IconSpec } from '../presentation';

const ICONS: Record<RunStatusWord, IconSpec> = {
  starting: { id: 'loading~spin' },
  running: { id: 'pulse', color: 'testing.iconPassed' },
  completed: { id: 'pass', color: 'testing.iconPassed' },
  failed: { id: 'error', color: 'list.errorForeground' },
  stopped: { id: 'debug-stop' },
  unknown: { id: 'question' },
};

export function runIcon(run: PipelineRun): IconSpec {
  return ICONS[runStatusWord(run.status)];
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

/** Local start time: `12-01 10:54:09` (the year when it is not this year). */
export function startLabel(ms: number, now = Date.now()): string {
  const d = new Date(ms);
  const year = new Date(now).getFullYear() === d.getFullYear() ? '' : `${d.getFullYear()}-`;
  return `${year}${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

export function runDuration(run: PipelineRun, now = Date.now()): number {
  const end = run.endTime > 0 ? run.endTime : now;
  return Math.max(0, end - run.startTime);
}

/** `stopped · 1m 3s · 1,234 events · 1 failed` */
export function runDescription(run: PipelineRun, now = Date.now()): string {
  const parts: string[] = [runStatusWord(run.status), formatDuration(runDuration(run, now)), `${runEvents(run).toLocaleString('en-US')} events`];
  const failed = Object.keys(run.failures ?? {}).length;
  if (failed) parts.push(`${failed} failed`);
  return parts.join(' · ');
}

function escapeMd(text: string): string {
  return text.replace(/([\\`*_{}[\]()#+\-.!|<>])/g, '\\$1');
}

export function runTooltip(run: PipelineRun, now = Date.now()): string {
  const rows = [`**${escapeMd(run.pipelineName || 'pipeline')}** run \`${run.runId}\` — ${runStatusWord(run.status)}`, ''];
  const row = (k: string, v: string) => rows.push(`- ${k}: ${v}`);
  row('Started', new Date(run.startTime).toLocaleString());
  if (run.endTime > 0) row('Ended', new Date(run.endTime).toLocaleString());
  row('Duration', formatDuration(runDuration(run, now)));
  row('Events', runEvents(run).toLocaleString('en-US'));
  if (run.error) row('Error', escapeMd(run.error.split('\n')[0]));
  for (const [id, why] of Object.entries(run.failures ?? {})) row(`Failed: \`${id}\``, escapeMd(why));
  if (run.logDir) row('Logs', '`' + run.logDir + '`');
  return rows.join('\n');
}
