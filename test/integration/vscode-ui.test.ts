// What a user gets from the packaged extension: the .vsix that `npm run package` makes holds the
// bundles, protos, schema, media and exactly the runtime node_modules; installed into a real VS Code
// (code-server + headless Chromium, test/vscode/host.ts) it shows the `Run Pipeline` CodeLens on the
// demo's flow.yml, runs the pipeline when clicked, lists the components with their state in the
// Services tree, shows `healthy/total` in the status bar and each component's log in its terminal.
// Saves a screenshot of the running demo under out/vscode/screens/ (the README's pictures come from
// vscode-ui-loop.test.ts). Needs `npm run build` and the test
// fixtures built (npm test does both); packages from the dist/ that is there.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { allComponents } from '../../src/core/pipeline/model';
import { loadPipelineFileSync } from '../../src/core/pipeline';
import { REPO_ROOT, SCREENS_DIR, codeServerBin, runInHost } from '../vscode/host';
import { activeTerminalText, codeLens, quickOpen, readTreeRows, statusBarItem, terminalNames, treeRows, until } from '../vscode/ui';
import { EXTERNAL_MODULES, listVsix, packageVsix, packagesIn, runtimeClosure, unpackVsix } from '../vscode/vsix';

const EXTENSION_ID = 'flowctl.flowctl-vscode';
/** This run's picture, under out/vscode/screens/. (The README's pictures in media/ come from
 * test/integration/vscode-ui-loop.test.ts, refreshed with FLOWCTL_UPDATE_SCREENSHOT=1.) */
const SCREENSHOT = path.join(SCREENS_DIR, 'screenshot-vsix.png');
/** The pipeline the UI test runs; FLOWCTL_UI_PIPELINE points it at another file while developing. */
const PIPELINE = path.resolve(process.env.FLOWCTL_UI_PIPELINE ?? path.join(REPO_ROOT, 'examples', 'demo', 'flow.yml'));

const skip =
  !codeServerBin() && !process.env.CI
    ? 'code-server is not installed (run `bash scripts/install-test-deps.sh`); required when CI is set'
    : false;

let tmp = '';
let vsix = '';
let entries: string[] = [];

before(() => {
  if (skip) return;
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fvh-vsix-'));
  vsix = path.join(tmp, 'flowctl-vscode.vsix');
  const { ms } = packageVsix(REPO_ROOT, vsix);
  entries = listVsix(vsix);
  console.log(`# packaged ${path.basename(vsix)}: ${(fs.statSync(vsix).size / 1024 / 1024).toFixed(2)} MB, ${entries.length} entries, ${(ms / 1000).toFixed(1)} s`);
});

after(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

test('the .vsix holds the bundles, protos, schema, media and exactly the runtime node_modules', { skip, timeout: 120_000 }, () => {
  const files = entries.filter((e) => e.startsWith('extension/')).map((e) => e.slice('extension/'.length));
  for (const required of ['package.json', 'dist/extension.js', 'dist/cli.js', 'dist/cli-main.js', 'schemas/flow.schema.json', 'dist/webview/main.js', 'dist/webview/layout.js', 'dist/webview/main.css', 'dist/webview/codicon.css', 'dist/webview/codicon.ttf', 'dist/webview/allLogs.js']) {
    assert.ok(files.includes(required), `${required} is in the vsix`);
  }
  const protos = fs.readdirSync(path.join(REPO_ROOT, 'proto'), { recursive: true }).map(String).filter((f) => f.endsWith('.proto'));
  for (const p of protos) assert.ok(files.includes(`proto/${p}`), `proto/${p} is in the vsix`);
  for (const m of fs.readdirSync(path.join(REPO_ROOT, 'media'))) assert.ok(files.includes(`media/${m}`), `media/${m} is in the vsix`);
  for (const d of fs.readdirSync(path.join(REPO_ROOT, 'docs')).filter((f) => f.endsWith('.md'))) assert.ok(files.includes(`docs/${d}`), `docs/${d} is in the vsix`);
  if (fs.existsSync(path.join(REPO_ROOT, 'README.md'))) assert.ok(files.includes('readme.md') || files.includes('README.md'), 'README is in the vsix');

  const outside = files.filter((f) => !f.startsWith('node_modules/'));
  const unexpected = outside.filter((f) => !/^(package\.json|readme\.md|README\.md|changelog\.md|CHANGELOG\.md|LICENSE(\.txt)?|dist\/(extension|cli|cli-main|sdk)\.js|dist\/webview\/(main\.js|layout\.js|main\.css|codicon\.css|codicon\.ttf|allLogs\.js)|proto\/.+\.proto|schemas\/.+\.json|docs\/[\w-]+\.md|media\/.+)$/i.test(f));
  assert.deepEqual(unexpected, [], 'nothing else (sources, tests, maps, examples, configs) is packaged');

  const want = runtimeClosure(REPO_ROOT);
  const have = packagesIn(files, '');
  assert.deepEqual([...have].sort(), [...want].sort(), 'node_modules in the vsix = the runtime closure of ' + EXTERNAL_MODULES.join(', '));
  assert.ok(!files.some((f) => f.startsWith('node_modules/') && /\.(map|ts)$/.test(f) && !f.endsWith('.d.ts')), 'no sources or maps from node_modules');
});

test('the external modules load from the unpacked .vsix alone', { skip, timeout: 60_000 }, () => {
  const dir = path.join(tmp, 'unpacked');
  unpackVsix(vsix, dir);
  const ext = path.join(dir, 'extension');
  // Resolution must not escape into the repo's node_modules: the unpacked tree is under os.tmpdir().
  const script = `
    const path = require('node:path');
    const ext = ${JSON.stringify(ext)};
    const req = (m) => require(require.resolve(m, { paths: [ext] }));
    for (const m of ${JSON.stringify(EXTERNAL_MODULES)}) {
      const where = require.resolve(m, { paths: [ext] });
      if (!where.startsWith(ext + path.sep)) throw new Error(m + ' resolved outside the vsix: ' + where);
    }
    const lmdb = req('lmdb');
    const db = lmdb.open({ path: path.join(${JSON.stringify(tmp)}, 'db') });
    db.putSync('k', { v: 1 });
    if (db.get('k').v !== 1) throw new Error('lmdb round trip failed');
    db.closeSync?.() ?? db.close();
    const grpc = req('@grpc/grpc-js');
    const { ReflectionService } = req('@grpc/reflection');
    const { HealthImplementation } = req('grpc-health-check');
    const loader = require(require.resolve('@grpc/proto-loader', { paths: [ext] }));
    const def = loader.loadSync(path.join(ext, 'proto', ${JSON.stringify(protoFile())}), { keepCase: true, includeDirs: [path.join(ext, 'proto')] });
    const server = new grpc.Server();
    new ReflectionService(def).addToServer(server);
    new HealthImplementation({ '': 'SERVING' }).addToServer(server);
    console.log('loaded ok');
  `;
  const r = spawnSync(process.execPath, ['-e', script], { cwd: tmp, encoding: 'utf8', env: { ...process.env, NODE_PATH: '' } });
  assert.equal(r.status, 0, `loading from the vsix failed:\n${r.stdout}${r.stderr}`);
  assert.match(r.stdout, /loaded ok/);
});

function protoFile(): string {
  const all = fs.readdirSync(path.join(REPO_ROOT, 'proto'), { recursive: true }).map(String).filter((f) => f.endsWith('.proto'));
  return all.find((f) => f.includes('control_plane')) ?? all[0];
}

test('installed from the .vsix: CodeLens runs the pipeline; tree, status bar and terminals show it', { skip, timeout: 240_000 }, async (t) => {
  assert.ok(fs.existsSync(PIPELINE), `${PIPELINE} exists`);
  const parsed = loadPipelineFileSync(PIPELINE);
  assert.ok(parsed.pipeline && parsed.ok, `${PIPELINE} is a valid pipeline: ${JSON.stringify(parsed.diagnostics)}`);
  const ids = allComponents(parsed.pipeline).map((c) => c.id);
  const workspace = path.dirname(PIPELINE);
  const logDir = path.join(workspace, 'logs');
  const steps: string[] = [];
  const step = (s: string) => {
    steps.push(s);
    t.diagnostic(s);
  };
  const started = Date.now();
  await runInHost({
    workspace,
    vsix,
    timeoutMs: 200_000,
    name: 'vscode-ui',
    onPage: async (page, host) => {
      const since = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;
      await quickOpen(page, path.basename(PIPELINE));
      step(`opened ${path.basename(PIPELINE)} (${since()})`);

      const run = codeLens(page, 'Run Pipeline');
      await run.waitFor({ timeout: 30_000 });
      step(`Run Pipeline CodeLens visible (${since()})`);
      const runStarted = Date.now();
      await run.click();

      // The status bar shows healthy/total, reaching total/total.
      const status = statusBarItem(page, EXTENSION_ID, 'flowctl.status');
      const statusText = await until(
        `status bar ${ids.length}/${ids.length}`,
        async () => {
          const text = (await status.textContent({ timeout: 1000 }))?.trim() ?? '';
          return new RegExp(`\\b${ids.length}/${ids.length}\\b`).test(text) ? text : undefined;
        },
        60_000,
      );
      step(`status bar "${statusText}" after ${((Date.now() - runStarted) / 1000).toFixed(1)} s`);

      // The lens changed to the running state.
      await codeLens(page, /\d+\/\d+ healthy/).first().waitFor({ timeout: 10_000 });
      await codeLens(page, 'Stop').first().waitFor({ timeout: 10_000 });

      // Clicking the status bar item reveals the Services view: one row per component, healthy.
      await status.click();
      const rows = treeRows(page, 'Services');
      const items = await until(
        `${ids.length} healthy components in the Services tree`,
        async () => {
          const r = await readTreeRows(rows);
          const ok = r.length === ids.length && ids.every((id) => r.some((row) => row.label === id && row.icon === 'pass-filled'));
          if (!ok) throw new Error(`rows: ${JSON.stringify(r)}`);
          return r;
        },
        30_000,
      );
      step(`Services tree: ${items.map((i) => `${i.label} [${i.icon}] ${i.description}`).join('; ')}`);

      // One terminal per component; `Show Logs` on a component brings up its log lines.
      const names = await until('a terminal per component', async () => {
        const n = await terminalNames(page);
        return ids.every((id) => n.some((name) => name.includes(id))) ? n : undefined;
      }, 30_000);
      step(`terminals: ${names.join(', ')}`);
      const target = ids[Math.min(1, ids.length - 1)];
      await page.locator('.editor-instance .codelens-decoration', { hasText: `${target}:` }).locator('a', { hasText: 'Show Logs' }).click();
      const logFile = path.join(logDir, 'latest', `${target}.log`); // the run's own log folder
      const shown = await until(
        `a line of ${target}'s log in its terminal`,
        async () => {
          if (!fs.existsSync(logFile)) return undefined;
          const text = (await activeTerminalText(page)).replace(/\s+/g, ' ');
          // The log file stamps each line; the terminal shows the component's own text.
          const lines = fs
            .readFileSync(logFile, 'utf8')
            .split('\n')
            .filter((l) => !l.startsWith('---'))
            .map((l) => l.replace(/^(\d{4}-\d\d-\d\dT\S+|\d\d:\d\d:\d\d(\.\d+)?)\s+/, '').replace(/\s+/g, ' ').trim())
            .filter((l) => l.length > 12);
          return lines.find((l) => text.includes(l));
        },
        30_000,
      );
      step(`terminal of ${target} shows "${shown}"`);

      // The lenses follow: `n/n healthy` at the top and `<id>: healthy` above each component.
      // VS Code drops a pending CodeLens refresh when the editor loses focus and refreshes on focus
      // (codelensController: onDidBlurEditorText → cancel), so look at them the way a user would:
      // back in the editor.
      await page.locator('.editor-instance .view-lines .view-line').nth(2).click();
      const n = ids.length;
      await codeLens(page, new RegExp(`^\\s*${n}/${n} healthy`)).first().waitFor({ timeout: 30_000 });
      // Only lenses in the viewport count: the editor keeps off-screen lens widgets in the DOM,
      // hidden and not refreshed until they scroll into view.
      const componentLenses = await until(
        'every component lens in view to say healthy',
        async () => {
          const texts = await codeLens(page, /^\s*[\w.-]+: /).evaluateAll((els) =>
            els
              .filter((el) => {
                const view = el.closest('.monaco-editor')?.querySelector('.monaco-scrollable-element')?.getBoundingClientRect();
                const r = el.getBoundingClientRect();
                return !!view && r.height > 0 && r.top >= view.top && r.bottom <= view.bottom && (el as unknown as { checkVisibility(o: object): boolean }).checkVisibility({ checkVisibilityCSS: true });
              })
              .map((el) => (el.textContent ?? '').trim()),
          );
          const mine = texts.filter((x) => ids.some((id) => x.startsWith(`${id}: `)));
          if (mine.length === 0 || !mine.every((x) => x.endsWith(': healthy'))) throw new Error(`lenses: ${JSON.stringify(texts)}`);
          return mine;
        },
        30_000,
      );
      step(`CodeLens: ${n}/${n} healthy; ${componentLenses.join(', ')}`);

      // The picture for the README: editor with lenses, Services view, terminal, status bar. Give
      // the tree a moment to show throughput figures (not required: a slow machine may not have them).
      await until('throughput figures in the tree', async () => (await readTreeRows(rows)).every((r) => /ev\/s|events/.test(r.description)), 10_000).catch(() => undefined);
      await page.mouse.move(0, 0);
      await page.waitForTimeout(300);
      fs.mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
      await page.screenshot({ path: SCREENSHOT });
      step(`screenshot ${path.relative(REPO_ROOT, SCREENSHOT)} (${(fs.statSync(SCREENSHOT).size / 1024).toFixed(0)} KB)`);

      // The pipeline graph, from its lens: the webview's DOM has a node per component and an edge per inputs link.
      await codeLens(page, 'Graph').first().click();
      const graph = graphFrame(page);
      const inputs = allComponents(parsed.pipeline!).reduce((n, c) => n + (c.inputs?.length ?? 0), 0);
      await until(`${ids.length} nodes and ${inputs} input edges in the graph`, async () => {
        const nodes = await graph.locator('g.node').count();
        const edges = await graph.locator('g.edge.input').count();
        if (nodes !== ids.length || edges !== inputs) throw new Error(`nodes ${nodes}, edges ${edges}`);
        return true;
      }, 60_000);
      const states = await until('every node healthy', async () => {
        const st = await graph.locator('g.node').evaluateAll((els) => els.map((e) => `${e.getAttribute('data-id')}=${e.getAttribute('data-state')}`));
        return st.every((x) => x.endsWith('=healthy')) ? st : undefined;
      }, 30_000);
      step(`graph: ${states.join(', ')}; ${inputs} input edges`);
      const barColor = (id: string) => graph.locator(`g.node[data-id="${id}"] rect.bar`).evaluate((e) => (globalThis as unknown as { getComputedStyle(x: unknown): { fill: string } }).getComputedStyle(e).fill);
      const victim = ids[ids.length - 1];
      const healthyColor = await barColor(victim);
      await page.screenshot({ path: path.join(SCREENS_DIR, 'graph-running.png') });

      // Clicking a node selects it in the Services view and brings up its terminal.
      const clicked = ids[Math.min(1, ids.length - 1)];
      await graph.locator(`g.node[data-id="${clicked}"]`).click();
      await until(`${clicked} selected in the Services view`, async () => {
        const selected = await treeRows(page, 'Services').evaluateAll((els) => els.filter((e) => e.classList.contains('selected')).map((e) => e.querySelector('.label-name')?.textContent?.trim()));
        return selected.includes(clicked) ? selected : undefined;
      }, 20_000);
      const activeTab = await until(`the terminal of ${clicked} shown`, async () => {
        const names = await page.locator('.terminal-tabs-entry.is-active .label-name, .single-terminal-tab .label-name, .terminal-tab.active .label-name').allTextContents();
        const text = await activeTerminalText(page);
        return names.some((n) => n.includes(clicked)) || (fs.existsSync(path.join(logDir, `${clicked}.log`)) && text.includes(clicked)) ? names.join(',') || 'text' : undefined;
      }, 20_000);
      step(`clicked ${clicked} in the graph: selected in the tree, terminal shown (${activeTab})`);

      // Kill a component from outside: its node turns to the failed state and colour.
      const pid = pidOf(`${victim}.js`, host.root);
      assert.ok(pid, `the process of ${victim}`);
      process.kill(pid, 'SIGKILL');
      await until(`${victim} failed in the graph`, async () => (await graph.locator(`g.node[data-id="${victim}"]`).getAttribute('data-state')) === 'failed', 30_000);
      const failedColor = await barColor(victim);
      assert.notEqual(failedColor, healthyColor, 'the health colour changed');
      step(`killed ${victim} (pid ${pid}): node failed, colour ${healthyColor} → ${failedColor}`);
      await page.screenshot({ path: path.join(SCREENS_DIR, 'graph-killed.png') });

      // Stop from the lens: the Run Pipeline lens comes back and the status bar item goes away.
      await page.locator('.tabs-container .tab', { hasText: path.basename(PIPELINE) }).first().click();
      await codeLens(page, 'Stop').first().click();
      await codeLens(page, 'Run Pipeline').waitFor({ timeout: 120_000 }); // the extension activates and the lens is asked for: slow at load 15-20
      step(`stopped (${since()})`);

      // The Runs view lists the run with its status and event count; Open Logs opens its log files.
      const runsHeader = page.locator('.part.sidebar .pane-header', { hasText: /^\s*Runs/i }).first();
      if ((await runsHeader.getAttribute('aria-expanded')) !== 'true') await runsHeader.click();
      const runRow = await until('the stopped run in the Runs view', async () => {
        const rows = await readTreeRows(treeRows(page, 'Runs'));
        return rows.find((r) => /^stopped · .* [\d,]+ events/.test(r.description) && !/^0 events/.test(r.description));
      }, 30_000);
      step(`Runs view: ${runRow.label} ${runRow.description}`);
      const row = treeRows(page, 'Runs').filter({ hasText: runRow.label }).first();
      await row.hover();
      await row.locator('.action-label[aria-label="Open Logs"]').click();
      const opened = await until('log files opened in editors', async () => {
        const tabs = await page.locator('.tabs-container .tab .label-name').allTextContents();
        const logs = tabs.filter((t) => t.endsWith('.log'));
        return logs.length >= ids.length ? logs : undefined;
      }, 20_000);
      step(`Open Logs: ${opened.join(', ')}`);
    },
  });
  t.diagnostic(`UI run: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  assert.ok(steps.some((s) => s.startsWith('screenshot')), `all steps ran: ${steps.join(' | ')}`);
});

/** The graph webview's document (VS Code puts each webview in an iframe holding the content iframe). */
function graphFrame(page: import('playwright-core').Page): import('playwright-core').FrameLocator {
  return page.frameLocator('iframe.webview.ready').frameLocator('iframe#active-frame');
}

/** Pid of the component process whose command line mentions `script`, started by this host profile. */
function pidOf(script: string, profileRoot: string): number | undefined {
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmd = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (!cmd.includes(script)) continue;
      const env = fs.readFileSync(`/proc/${entry}/environ`, 'utf8');
      if (env.split('\0').includes(`FLOWCTL_VSCODE_TEST_HOST=${profileRoot}`)) return Number(entry);
    } catch {
      /* gone or not ours */
    }
  }
  return undefined;
}
