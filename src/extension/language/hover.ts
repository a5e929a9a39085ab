// Hovers in pipeline files: what a key means (the schema's description, type and allowed values),
// and which component an id in inputs/depends_on names.
import * as vscode from 'vscode';
import { assistModule, documentModel, schemaHandledElsewhere } from './shared';

export class PipelineHovers implements vscode.HoverProvider {
  async provideHover(doc: vscode.TextDocument, position: vscode.Position): Promise<vscode.Hover | undefined> {
    const parsed = await documentModel(doc);
    if (!parsed.isPipeline) return undefined;
    const { hoverAt, isKeyHover } = await assistModule();
    const text = doc.getText();
    const offset = doc.offsetAt(position);
    const hover = hoverAt(text, offset, parsed.pipeline);
    if (!hover) return undefined;
    // The YAML extension shows the schema's description for keys of flow.yml itself.
    if (schemaHandledElsewhere(doc) && isKeyHover(text, offset)) return undefined;
    return new vscode.Hover(new vscode.MarkdownString(hover.markdown), new vscode.Range(doc.positionAt(hover.start), doc.positionAt(hover.end)));
  }
}
