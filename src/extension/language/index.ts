// Language features for pipeline files: quick fixes, completion, hovers. Registered for YAML files
// and flow.yml/flow.yaml; each provider first checks that the document is a pipeline (cheap, cached).
import * as vscode from 'vscode';
import { PipelineCodeActions } from './codeActions';
import { PipelineCompletions, TRIGGER_CHARACTERS } from './completion';
import { PipelineHovers } from './hover';

export const PIPELINE_SELECTOR: vscode.DocumentSelector = [
  { language: 'yaml', scheme: 'file' },
  { language: 'yaml', scheme: 'untitled' },
  { pattern: '**/flow.{yml,yaml}', scheme: 'file' },
];

export function registerLanguageFeatures(): vscode.Disposable[] {
  return [
    vscode.languages.registerCodeActionsProvider(PIPELINE_SELECTOR, new PipelineCodeActions(), { providedCodeActionKinds: PipelineCodeActions.kinds }),
    vscode.languages.registerCompletionItemProvider(PIPELINE_SELECTOR, new PipelineCompletions(), ...TRIGGER_CHARACTERS),
    vscode.languages.registerHoverProvider(PIPELINE_SELECTOR, new PipelineHovers()),
  ];
}
