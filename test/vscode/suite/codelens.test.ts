// In-host: VS Code drops a scheduled lens request when the editor loses focus before the request's delay
// has passed (its CodeLens controller cancels on blur and schedules again only on focus or a provider
// change), so a flow.yml opened and left for the sidebar at once showed no Run Pipeline lens. The provider
// asks VS Code to ask again when a visible pipeline file got no answer (UNASKED_CHECKS_MS). Here a
// provider that VS Code does not know (never registered, so never asked) must say so by itself; once
// answered it stays quiet; a cancelled request makes it ask again.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { PipelineCodeLensProvider, UNASKED_CHECKS_MS } from '../../../src/extension/codeLens';
import { RunModel } from '../../../src/extension/runModel';
import { sleep, waitFor } from './helpers';
import { idlePipelineYaml } from '../../helpers/pipelines';

const PIPELINE = idlePipelineYaml('lens-check');

describe('flowctl extension: lenses of a file VS Code did not ask about', () => {
  let dir: string;
  let model: RunModel;
  let provider: PipelineCodeLensProvider;
  let fired = 0;

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flowctl-lens-'));
    fs.writeFileSync(path.join(dir, 'flow.yml'), PIPELINE);
    fs.writeFileSync(path.join(dir, 'other.yml'), PIPELINE.replace('lens-check', 'lens-other'));
  });

  after(async () => {
    provider?.dispose();
    model?.dispose();
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('asks to be asked when a visible pipeline file got no lens request, then stays quiet once answered', async function () {
    this.timeout(60_000);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    model = new RunModel();
    provider = new PipelineCodeLensProvider(model, () => true);
    provider.onDidChangeCodeLenses(() => fired++);
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(path.join(dir, 'flow.yml')));
    await vscode.window.showTextDocument(doc);
    // Never registered: VS Code never asks this provider, so it must ask (first check UNASKED_CHECKS_MS[0] after the file showed).
    await waitFor('the provider fires onDidChangeCodeLenses for the unasked file', () => fired > 0, 15_000);
    // Answered (as VS Code would, after that event): the Run Pipeline lens, and no more events for it.
    const lenses = await provider.provideCodeLenses(doc, new vscode.CancellationTokenSource().token);
    assert.ok(lenses.some((l) => l.command?.title.includes('Run Pipeline')), `lenses: ${lenses.map((l) => l.command?.title).join(', ')}`);
    const after = fired;
    await sleep(UNASKED_CHECKS_MS[1] + 1_000);
    assert.equal(fired, after, 'quiet once the file was answered');
  });

  it('asks again after a cancelled request, when the visible files change', async function () {
    this.timeout(60_000);
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(path.join(dir, 'flow.yml')));
    const other = await vscode.workspace.openTextDocument(vscode.Uri.file(path.join(dir, 'other.yml')));
    await vscode.window.showTextDocument(other, vscode.ViewColumn.Beside);
    const answer = (d: vscode.TextDocument) => provider.provideCodeLenses(d, new vscode.CancellationTokenSource().token);
    await answer(doc);
    await answer(other);
    await sleep(1_500);
    const before = fired;
    const cancelled = new vscode.CancellationTokenSource();
    const pending = provider.provideCodeLenses(doc, cancelled.token);
    cancelled.cancel();
    assert.deepEqual(await pending, [], 'a cancelled request answers nothing');
    // The visible files change (the other one closes): the checks start over and find the cancelled one.
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
    await waitFor('the provider fires again after the cancelled request', () => fired > before, 15_000);
  });
});
