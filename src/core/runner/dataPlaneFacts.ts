// What the data plane says, in words for the user: errors, re-opened streams, held events delivered,
// finished sources, and the first event of a type a sink does not accept (later ones are only counted).
import type { DataPlaneEvent } from '../dataplane';
import type { Run } from './run';

export function onDataPlaneEvent(run: Run, e: DataPlaneEvent): void {
  switch (e.type) {
    case 'error':
      run.notice('warning', `data plane: ${e.id}: ${e.message}`, e.id);
      break;
    case 'notice':
      run.notice('info', `data plane: ${e.message}`, e.id);
      break;
    case 'sourceEnded':
      run.notice('info', `${e.id} finished streaming`, e.id);
      break;
    case 'opened':
      if (e.resumeToken !== undefined) run.notice('info', `${e.id}: stream re-opened, resuming after event "${e.resumeToken}"`, e.id);
      break;
    case 'typeMismatch':
      run.notice(
        'warning',
        `sink ${e.id} accepts only [${e.accepts.join(', ')}]; events of type "${e.eventType || '(none)'}" from ${e.from} are dropped (counted in its dropped events)`,
        e.id,
      );
      break;
    case 'wired':
    case 'ended':
      break;
  }
}
