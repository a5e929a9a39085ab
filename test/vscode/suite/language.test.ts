// In-host tests of the YAML help (mocha inside a real VS Code extension host): quick fixes and
// completions applied through the editor, hover text, one problem per root cause.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { show, waitFor } from './helpers';

/** A diagnostic's check code (ours carry a link to the flow.yml reference: `{ value, target }`). */
const codeOf = (d: vscode.Diagnostic) => (typeof d.code === 'object' ? d.code.value : d.code);

const EXTENSION_ID = 'flowctl.flowctl-vscode';

const PIPELINE = [
  'apiVersion: flowctl/v1', // 1
  'kind: Pipeline', // 2
  'metadata:', // 3
  '  name: lang', // 4
  'spec:', // 5
  '  sources:', // 6
  '    - id: ticker', // 7
  '      command: ["sh", "-c", "sleep 1"]', // 8
  '  processors:', // 9
  '    - id: enrich', // 10
  '      command: ["sh", "-c", "sleep 1"]', // 11
  '      inputs: [ticker]', // 12
  '  sinks:', // 13
  '    - id: out', // 14
  '      command: ["sh", "-c", "sleep 1"]', // 15
  '      inputs: [enrich]', // 16
  '',
];

describe('flowctl extension: YAML help', function () {
  this.timeout(60_000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flowctl-lang-'));
  let n = 0;

  before(async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext, `extension ${EXTENSION_ID} is loaded`);
    await ext.activate();
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  afterEach(async () => {
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });

  /** Opens `lines` as <dir>/<n>/flow.yml in an editor. */
  async function open(lines: string[]): Promise<{ doc: vscode.TextDocument; editor: vscode.TextEditor }> {
    const file = path.join(dir, String(++n), 'flow.yml');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, lines.join('\n'));
    const doc = await vscode.workspace.openTextDocument(file);
    const editor = await vscode.window.showTextDocument(doc);
    return { doc, editor };
  }

  async function diagnostics(doc: vscode.TextDocument, what: string, pred: (d: vscode.Diagnostic[]) => boolean): Promise<vscode.Diagnostic[]> {
    return waitFor(what, () => {
      const d = vscode.languages.getDiagnostics(doc.uri).filter((x) => x.source === 'flowctl');
      return pred(d) ? d : undefined;
    }, 20_000);
  }

  /** The preferred quick fix for `diag`, asked for the way the light bulb does. */
  async function preferredFix(doc: vscode.TextDocument, diag: vscode.Diagnostic): Promise<vscode.CodeAction> {
    const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', doc.uri, diag.range, vscode.CodeActionKind.QuickFix.value);
    const preferred = actions.filter((a) => a.isPreferred);
    assert.equal(preferred.length, 1, `one preferred fix among ${show(actions.map((a) => [a.title, a.isPreferred]))}`);
    assert.ok(preferred[0].edit, 'the fix carries its edit');
    return preferred[0];
  }

  async function completions(doc: vscode.TextDocument, position: vscode.Position, trigger?: string): Promise<vscode.CompletionItem[]> {
    const list = await vscode.commands.executeCommand<vscode.CompletionList>('vscode.executeCompletionItemProvider', doc.uri, position, trigger);
    return list.items.filter((i) => (i.detail ?? '').length > 0 || i.kind !== vscode.CompletionItemKind.Text);
  }

  const label = (i: vscode.CompletionItem) => (typeof i.label === 'string' ? i.label : i.label.label);

  it('did-you-mean for an unknown input: the preferred quick fix applied in the editor fixes the file', async () => {
    const { doc } = await open(PIPELINE.map((l, i) => (i === 15 ? '      inputs: [enrch]' : l)));
    const [diag] = await diagnostics(doc, 'the unknown-input error', (d) => d.some((x) => codeOf(x) === 'unknown-input'));
    assert.equal(diag.range.start.line, 15);
    // Its code links to the reference entry of `inputs` in the packaged docs/flow-yml.md.
    const target = typeof diag.code === 'object' ? diag.code.target : undefined;
    assert.ok(target && target.path.endsWith('/docs/flow-yml.md') && /^L\d+$/.test(target.fragment), `the problem links to the flow.yml reference: ${target?.toString()}`);
    const heading = fs.readFileSync(target.fsPath, 'utf8').split('\n')[Number(target.fragment.slice(1)) - 1];
    assert.equal(heading, '### `inputs`');
    const fix = await preferredFix(doc, diag);
    assert.equal(fix.title, 'Change to enrich');
    assert.equal(fix.kind?.value, vscode.CodeActionKind.QuickFix.value);
    assert.ok(await vscode.workspace.applyEdit(fix.edit!));
    assert.equal(doc.lineAt(15).text, '      inputs: [enrich]');
    await diagnostics(doc, 'no error left after the fix', (d) => d.every((x) => x.severity !== vscode.DiagnosticSeverity.Error));
  });

  it('flowctl: Open Documentation opens a packaged page in the markdown preview', async () => {
    await vscode.commands.executeCommand('flowctl.openDocumentation', 'cli');
    await waitFor(
      'a markdown preview of cli.md',
      () => vscode.window.tabGroups.all.flatMap((g) => g.tabs).some((t) => t.input instanceof vscode.TabInputWebview && /markdown/i.test(t.input.viewType) && /cli\.md/.test(t.label)),
      20_000,
    );
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  });

  it('quick fixes add a missing apiVersion and rename a misspelled key', async () => {
    const { doc } = await open(PIPELINE.slice(1).map((l) => (l === '      inputs: [ticker]' ? '      inptus: [ticker]' : l)));
    const diags = await diagnostics(doc, 'apiVersion and unknown-key problems', (d) => d.some((x) => codeOf(x) === 'api-version-required') && d.some((x) => codeOf(x) === 'unknown-key'));
    const key = diags.find((d) => codeOf(d) === 'unknown-key')!;
    const rename = await preferredFix(doc, key);
    assert.equal(rename.title, 'Rename to `inputs`');
    assert.ok(await vscode.workspace.applyEdit(rename.edit!));
    assert.equal(doc.lineAt(10).text, '      inputs: [ticker]');

    const api = (await diagnostics(doc, 'the apiVersion error, revalidated', (d) => d.some((x) => codeOf(x) === 'api-version-required') && !d.some((x) => codeOf(x) === 'unknown-key'))).find((d) => codeOf(d) === 'api-version-required')!;
    const add = await preferredFix(doc, api);
    assert.equal(add.title, 'Add `apiVersion: flowctl/v1`');
    assert.ok(await vscode.workspace.applyEdit(add.edit!));
    assert.equal(doc.lineAt(0).text, 'apiVersion: flowctl/v1');
    assert.equal(doc.lineAt(1).text, 'kind: Pipeline');
    await diagnostics(doc, 'a valid file', (d) => d.every((x) => x.severity !== vscode.DiagnosticSeverity.Error));
  });

  it('a sink without inputs: the quick fix adds `inputs: [enrich]` at the end of the sink', async () => {
    const { doc } = await open(PIPELINE.filter((l) => l !== '      inputs: [enrich]'));
    const diag = (await diagnostics(doc, 'the no-inputs error', (d) => d.some((x) => codeOf(x) === 'no-inputs'))).find((d) => codeOf(d) === 'no-inputs')!;
    assert.match(diag.message, /^Sink "out" must have at least one input/);
    const fix = await preferredFix(doc, diag);
    assert.ok(await vscode.workspace.applyEdit(fix.edit!));
    assert.equal(doc.getText(), PIPELINE.join('\n'));
  });

  it('an indentation slip is one problem, at its line, naming the misaligned columns', async () => {
    // `- id: out` indented by one space too few: the parser alone reports it 6 times.
    const { doc } = await open(PIPELINE.map((l, i) => (i === 13 ? '   - id: out' : l)));
    const diags = await diagnostics(doc, 'the syntax error', (d) => d.length > 0);
    assert.equal(diags.length, 1, show(diags.map((d) => [d.range.start.line, d.message])));
    assert.equal(diags[0].severity, vscode.DiagnosticSeverity.Error);
    assert.equal(diags[0].range.start.line, 13);
    assert.match(diags[0].message, /^YAML syntax error: .*\n`command` \(line 15\) starts at column 7, but `id` \(line 14\) at column 6: keys of one item must line up$/);
  });

  it('an unclosed quote is reported where it opens, and its quick fix closes it', async () => {
    const { doc } = await open(PIPELINE.map((l, i) => (i === 3 ? '  name: "lang' : l)));
    const diags = await diagnostics(doc, 'the unclosed quote', (d) => d.some((x) => codeOf(x) === 'yaml-unclosed'));
    assert.equal(diags.length, 1, show(diags.map((d) => d.message)));
    assert.equal(diags[0].range.start.line, 3);
    assert.equal(diags[0].range.start.character, 8);
    const fix = await preferredFix(doc, diags[0]);
    assert.ok(await vscode.workspace.applyEdit(fix.edit!));
    assert.equal(doc.lineAt(3).text, '  name: "lang"');
  });

  it('completion of component ids in inputs: the ids that exist, not the component itself; the chosen one lands in the text', async () => {
    const { doc, editor } = await open(PIPELINE.map((l, i) => (i === 15 ? '      inputs: [enrich, ]' : l)));
    const pos = new vscode.Position(15, '      inputs: [enrich, '.length);
    const items = await completions(doc, pos, ' ');
    const ids = items.filter((i) => i.kind === vscode.CompletionItemKind.Reference).map(label);
    assert.deepEqual(ids.sort(), ['ticker'], `only ticker: out is the sink itself, enrich is listed (${show(ids)})`);
    const ticker = items.find((i) => label(i) === 'ticker')!;
    assert.equal(ticker.detail, 'source (line 7)');
    // Apply it the way the suggest widget does: replace its range with its text.
    const range = ticker.range instanceof vscode.Range ? ticker.range : ticker.range!.replacing;
    await editor.edit((e) => e.replace(range, String(ticker.insertText)));
    assert.equal(doc.lineAt(15).text, '      inputs: [enrich, ticker]');
  });

  it('completion in the editor: the suggest widget accepts an id in depends_on', async () => {
    const { doc, editor } = await open(PIPELINE.map((l, i) => (i === 12 ? '      depends_on: [tic]\n  sinks:' : l)));
    const pos = new vscode.Position(12, '      depends_on: [tic'.length);
    editor.selection = new vscode.Selection(pos, pos);
    await waitFor('the suggestion to be accepted', async () => {
      await vscode.commands.executeCommand('editor.action.triggerSuggest');
      await new Promise((r) => setTimeout(r, 500));
      await vscode.commands.executeCommand('acceptSelectedSuggestion');
      return doc.lineAt(12).text === '      depends_on: [ticker]';
    }, 20_000);
  });

  it('completion of keys and enum values from the schema at the cursor', async () => {
    const { doc } = await open([...PIPELINE.slice(0, 16), '      restart_policy: ', '      ', '']);
    const values = (await completions(doc, new vscode.Position(16, 22))).map(label);
    assert.deepEqual(values, ['no', 'on-failure', 'always', 'unless-stopped']);
    const no = (await completions(doc, new vscode.Position(16, 22))).find((i) => label(i) === 'no')!;
    assert.equal(no.insertText, '"no"');
    const keys = (await completions(doc, new vscode.Position(17, 6))).map(label);
    assert.ok(keys.includes('env') && keys.includes('depends_on'), show(keys));
    assert.ok(!keys.includes('command') && !keys.includes('inputs') && !keys.includes('restart_policy'), `present keys are not offered: ${show(keys)}`);
  });

  it('hover over a key explains it (from the schema); over an id, names the component', async () => {
    const { doc } = await open(PIPELINE);
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', doc.uri, new vscode.Position(15, 8));
    const text = hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : c.value))).join('\n');
    assert.match(text, /\*\*inputs\*\* · list of component ids/);
    assert.match(text, /Ids of the components whose events this component receives/);
    const idHover = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', doc.uri, new vscode.Position(15, 17));
    const idText = idHover.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : c.value))).join('\n');
    assert.match(idText, /\*\*processor `enrich`\*\* · line 10/);
  });
});
