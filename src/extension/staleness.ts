// "flow.yml changed — Apply": when a pipeline file is saved while its run lives and its spec differs
// from what the run uses, the run is marked stale (the CodeLens shows it) and a notification offers
// Apply, which asks the runner to apply the file to the live run (PipelineRunner.applyPipeline():
// only changed components restart, added ones start, removed ones stop), or Restart Pipeline.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ComponentSpec, Pipeline } from '../core/pipeline/model';
import type { ApplyResult } from '../core/runnerTypes';
import { isActiveState } from './presentation';
import type { Notifications } from './notifications';
import { openPipelineDocument, parseDocument } from './pipelineDocs';
import type { RunModel } from './runModel';
import type { RunSession } from './session';

/** The part of a pipeline that a run depends on: the spec, without where things were written. */
export function specSignature(pipeline: Pipeline): string {
  const strip = (list: ComponentSpec[] | undefined) => (list ?? []).map(({ position: _p, range: _r, loc: _l, index: _i, ...rest }) => rest);
  const spec = pipeline.spec;
  return JSON.stringify({ ...spec, sources: strip(spec.sources), processors: strip(spec.processors), sinks: strip(spec.sinks), pipelines: strip(spec.pipelines) });
}

/** The signature of a document's current text ('invalid:…' when it does not parse). */
export async function documentSignature(doc: vscode.TextDocument): Promise<string> {
  const parsed = await parseDocument(doc);
  if (parsed.pipeline && parsed.ok) return specSignature(parsed.pipeline);
  return `invalid:${doc.version}:${doc.getText().length}`;
}

export class StalenessWatcher implements vscode.Disposable {
  private readonly subscription: vscode.Disposable;

  constructor(
    private readonly sessionOf: (file: string) => RunSession | undefined,
    private readonly model: RunModel,
    private readonly notifications: Notifications,
    private readonly output: vscode.LogOutputChannel,
  ) {
    this.subscription = vscode.workspace.onDidSaveTextDocument((doc) => void this.onSaved(doc));
  }

  private async onSaved(doc: vscode.TextDocument): Promise<void> {
    if (doc.uri.scheme !== 'file') return;
    const session = this.sessionOf(doc.uri.fsPath);
    if (!session || !isActiveState(session.state)) return;
    let signature: string;
    try {
      signature = await documentSignature(doc);
    } catch (err) {
      this.output.warn(`could not read ${doc.uri.fsPath}: ${String((err as Error)?.message ?? err)}`);
      return;
    }
    const wasStale = session.stale;
    session.stale = signature !== session.specSignature;
    if (session.stale === wasStale) return;
    this.model.notify(session.key);
    if (!session.stale) return;
    this.output.info(`${path.basename(session.file)} changed while ${session.name()} runs: Apply updates the run`);
    if (!vscode.workspace.getConfiguration('flowctl', doc.uri).get<boolean>('notifications.pipelineChanged', true)) return;
    void this.notifications.show('changed', 'info', `flowctl: ${path.basename(session.file)} changed while ${session.name()} runs.`, 'Apply', 'Restart Pipeline').then((choice) => {
      if (choice === 'Apply') void vscode.commands.executeCommand('flowctl.applyPipeline', vscode.Uri.file(session.file));
      else if (choice === 'Restart Pipeline') void vscode.commands.executeCommand('flowctl.restartPipeline', vscode.Uri.file(session.file));
    });
  }

  /** Apply: the runner applies the saved file to the live run; the outcome is shown (and returned). */
  async apply(session: RunSession): Promise<ApplyResult | { error: string }> {
    const doc = await openPipelineDocument(session.file);
    if (doc.isDirty) await doc.save();
    const signature = await documentSignature(doc);
    try {
      const r = await session.apply();
      session.specSignature = signature;
      session.stale = false;
      this.model.notify(session.key);
      const parts = [
        r.restarted.length ? `restarted ${r.restarted.join(', ')}` : '',
        r.added.length ? `started ${r.added.join(', ')}` : '',
        r.removed.length ? `stopped ${r.removed.join(', ')}` : '',
      ].filter(Boolean);
      void this.notifications.show(
        'applied',
        'info',
        `flowctl: applied ${path.basename(session.file)}: ${parts.length ? parts.join('; ') : 'nothing to change'}${r.unchanged.length ? `; ${r.unchanged.length} unchanged` : ''}.`,
      );
      return r;
    } catch (err) {
      const e = err as Error & { diagnostics?: unknown[] };
      const invalid = e?.name === 'PipelineInvalidError';
      const message = invalid
        ? `flowctl: ${path.basename(session.file)} has problems; the run was left as it is.`
        : `flowctl: could not apply ${path.basename(session.file)}: ${String(e?.message ?? err).split('\n')[0]}`;
      this.output.error(message);
      void this.notifications.show('apply-failed', 'error', message, ...(invalid ? ['Show Problems'] : ['Restart Pipeline'])).then((choice) => {
        if (choice === 'Show Problems') void vscode.commands.executeCommand('workbench.actions.view.problems');
        else if (choice === 'Restart Pipeline') void vscode.commands.executeCommand('flowctl.restartPipeline', vscode.Uri.file(session.file));
      });
      return { error: message };
    }
  }

  dispose(): void {
    this.subscription.dispose();
  }
}
