// The edit-run loop as a user sees it, in a real VS Code (code-server + headless Chromium, the
// development extension): every component terminal's RENDERED text after Run → Restart → Stop → Run
// (a separator per run, time-stamped lines after it, one terminal per component, hidden ones too);
// the welcome view text; the status bar's accessible label and its count agreeing with the lens;
// a click in the Services tree shows the terminal and the keyboard stays in the tree (Show Logs
// takes it); tooltips appear; a crash toast's Restart button; the merged All Logs view's filters and
// find; the connect picker names the real endpoint file. Saves screenshots (copied to media/ with
// FLOWCTL_UPDATE_SCREENSHOT=1).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { MARKER_VAR, REPO_ROOT, SCREENS_DIR, codeServerBin, runInHost } from '../vscode/host';
import { componentPids } from '../vscode/procs';
import {
  activeTerminalText,
  codeLens,
  pickFromCommand,
  quickOpen,
  readTreeRows,
  runCommand,
  selectTerminal,
  statusBarItem,
  terminalNames,
  treeRows,
  until,
  webviewFrame,
} from '../vscode/ui';
import { demoWorkspace } from '../vscode/demo';

const EXTENSION_ID = 'flowctl.flowctl-vscode';
const UPDATE = process.env.FLOWCTL_UPDATE_SCREENSHOT === '1';

const skip =
  !codeServerBin() && !process.env.CI
    ? 'code-server is not installed (run `bash scripts/install-test-deps.sh`); required when CI is set'
    : false;

const STAMP = /^\d\d:\d\d:\d\d\.\d{3} /;

/** The rendered text of one component's terminal, after bringing it forward. */
async function terminalText(page: Page, name: string): Promise<string> {
  await selectTerminal(page, name);
  await page.waitForTimeout(150);
  return activeTerminalText(page);
}

/** The rendered lines after the last separator of run `n` (undefined when it is not on screen). */
function afterRun(text: string, n: number): string[] | undefined {
  const lines = text.split('\n');
  const at = lines.map((l, i) => ({ l, i })).filter(({ l }) => new RegExp(`── \\d\\d:\\d\\d:\\d\\d · demo-trades · run ${n} ─`).test(l)).at(-1)?.i;
  return at === undefined ? undefined : lines.slice(at + 1).filter((l) => l.trim());
}

/**
 * Rests the pointer on a tree row until its tooltip shows, moving away and back as a user's hand
 * would. VS Code opens a tree tooltip after the pointer rests 500 ms on a row, and every re-render
 * of the row (its figures change every second) sets its hover up again, which cancels one that is
 * pending until the pointer moves; once the tooltip is open the extension holds the row still.
 */
async function hoverTooltip(page: Page, row: ReturnType<Page['locator']>, text: RegExp): Promise<string> {
  // The editor keeps hidden hover widgets in the DOM: only a visible one with the text counts.
  const hover = page.locator('.monaco-hover, .workbench-hover').filter({ hasText: text }).filter({ visible: true });
  const end = Date.now() + 40_000;
  for (let attempt = 1; ; attempt++) {
    await page.mouse.move(5, 5);
    await row.hover();
    const shown = await until('a tooltip', async () => (await hover.first().textContent({ timeout: 300 }).catch(() => '')) || undefined, 2500).catch(() => undefined);
    if (shown) return shown;
    if (process.env.FLOWCTL_UI_DEBUG) await page.screenshot({ path: path.join(SCREENS_DIR, `hover-${attempt}.png`) });
    if (Date.now() > end) throw new Error(`no tooltip matching ${text} after ${attempt} hovers in 40 s`);
  }
}

function save(page: Page, name: string, step: (s: string) => void): Promise<void> {
  const file = path.join(SCREENS_DIR, name);
  fs.mkdirSync(SCREENS_DIR, { recursive: true });
  return page.screenshot({ path: file }).then(() => {
    step(`screenshot ${path.relative(REPO_ROOT, file)}`);
    if (UPDATE) {
      fs.copyFileSync(file, path.join(REPO_ROOT, 'media', name));
      step(`copied to media/${name}`);
    }
  });
}

test('the edit-run loop in a real VS Code: terminals, focus, health, All Logs, connect', { skip, timeout: 900_000 }, async (t) => {
  const ws = demoWorkspace('fvh-loop-');
  t.after(() => fs.rmSync(ws.dir, { recursive: true, force: true }));
  const steps: string[] = [];
  const step = (s: string) => {
    steps.push(s);
    t.diagnostic(s);
  };
  await runInHost({
    workspace: ws.dir,
    extensionDevelopmentPath: REPO_ROOT,
    timeoutMs: 840_000,
    name: 'vscode-ui-loop',
    settings: { 'workbench.panel.defaultLocation': 'bottom', 'terminal.integrated.tabs.enabled': true, 'terminal.integrated.tabs.hideCondition': 'never' },
    onPage: async (page, host) => {
      const status = statusBarItem(page, EXTENSION_ID, 'flowctl.status');
      const statusText = async () => ((await status.textContent({ timeout: 1000 }).catch(() => '')) ?? '').trim();
      const allHealthy = () => until('4/4 in the status bar', async () => /\b4\/4\b/.test(await statusText()), 90_000);
      const readAll = async (n: number, what: (lines: string[]) => boolean, why: string) => {
        for (const id of ws.ids) {
          const lines = await until(`${id}'s terminal shows run ${n}: ${why}`, async () => {
            const after = afterRun(await terminalText(page, id), n);
            return after && what(after) ? after : undefined;
          }, 45_000);
          step(`run ${n}: ${id} terminal shows the separator and ${lines.length} lines after it, e.g. "${lines.find((l) => STAMP.test(l))?.slice(0, 90) ?? lines[0]}"`);
        }
      };

      await quickOpen(page, 'flow.yml', 90_000);
      // The Services view with a pipeline file open and nothing running: the welcome text says so.
      await page.locator('.activitybar .action-item a[aria-label^="flowctl"]').first().click();
      const welcome = page.locator('.pane', { has: page.locator('.pane-header', { hasText: /Services/i }) }).locator('.welcome-view-content');
      const welcomeText = await until('the welcome text for an open pipeline file', async () => {
        const text = ((await welcome.textContent({ timeout: 1000 }).catch(() => '')) ?? '').replace(/\s+/g, ' ');
        return /Run the pipeline file that is open/.test(text) ? text : undefined;
      }, 30_000);
      assert.doesNotMatch(welcomeText, /Open a pipeline file/);
      step(`welcome: "${welcomeText.trim()}"`);

      // Run from the lens; the status bar reaches 4/4 and speaks plain words.
      await codeLens(page, 'Run Pipeline').waitFor({ timeout: 120_000 }); // the extension activates and the lens is asked for: slow at load 15-20
      await codeLens(page, 'Run Pipeline').click();
      await allHealthy();
      const label = await until('the status bar accessible label', async () => {
        const l = (await status.locator('[aria-label]').first().getAttribute('aria-label').catch(() => null)) ?? (await status.getAttribute('aria-label'));
        return l && /4 of 4 components healthy/.test(l) ? l : undefined;
      }, 20_000);
      assert.doesNotMatch(label, /\*\*|\$\(|`/, `no Markdown in the accessible label: ${label}`);
      step(`status bar "${await statusText()}", aria-label "${label}"`);

      // Focus leaves the editor (the status bar click focuses the Services view): the lens still follows.
      await status.click();
      const lens = await until('the lens says 4/4 healthy like the status bar, without focusing the editor', async () => {
        const texts = await codeLens(page, /healthy/).allTextContents();
        return texts.find((x) => /^\s*4\/4 healthy/.test(x));
      }, 30_000);
      step(`lens "${lens.trim()}" agrees with the status bar`);

      // Terminals: maximize the panel so the terminals show enough rows, then read every one.
      await runCommand(page, 'View: Toggle Maximized Panel');
      await until('a terminal per component in the tabs list', async () => {
        const names = await terminalNames(page);
        return ws.ids.every((id) => names.some((n) => n.trim() === id)) ? names : undefined;
      }, 30_000);
      await readAll(1, (l) => l.some((x) => STAMP.test(x)), 'time-stamped lines');

      await runCommand(page, 'flowctl: Restart Pipeline');
      await until('the restarted run', async () => /\b4\/4\b/.test(await statusText()) && (await terminalText(page, 'ticker')).includes('run 2'), 90_000);
      await readAll(2, (l) => l.some((x) => STAMP.test(x) && !x.includes('[flowctl]')), 'the component’s own lines after the separator (also in terminals that were not on screen)');

      await runCommand(page, 'flowctl: Stop Pipeline');
      await until('the status bar item gone after Stop', async () => !(await status.isVisible().catch(() => false)), 60_000);
      await readAll(2, (l) => l.some((x) => /run 2 of demo-trades ended: stopped/.test(x)), 'the end of the run');

      await runCommand(page, 'flowctl: Run Pipeline');
      await allHealthy();
      await readAll(3, (l) => l.some((x) => STAMP.test(x) && !x.includes('[flowctl]')), 'the new run’s lines in the same terminal');
      const names = (await terminalNames(page)).map((n) => n.trim());
      for (const id of ws.ids) assert.equal(names.filter((n) => n === id).length, 1, `one terminal named ${id}: ${JSON.stringify(names)}`);
      step(`terminals after Run → Restart → Stop → Run: ${names.join(', ')}`);
      await runCommand(page, 'View: Toggle Maximized Panel');

      // A click on a tree row shows that component's terminal; the keyboard stays in the tree.
      await runCommand(page, 'Focus on Services View');
      const rows = treeRows(page, 'Services');
      await until('the components in the tree', async () => (await readTreeRows(rows)).length >= 4, 30_000);
      const row = rows.filter({ hasText: 'counter-sink' }).first();
      await row.click();
      await until('counter-sink’s terminal in the panel', async () => (await activeTerminalText(page)).includes('counter-sink'), 15_000);
      const inTree = () => page.evaluate<boolean>('!!document.activeElement?.closest(".part.sidebar")');
      await page.waitForTimeout(500);
      assert.equal(await inTree(), true, 'the keyboard stays in the Services tree after a click');
      await page.keyboard.press('ArrowUp');
      await page.waitForTimeout(300);
      assert.equal(await inTree(), true, 'arrow keys move in the tree (not into the component’s terminal)');
      const focused = await page.locator('.part.sidebar .monaco-list-row.focused .label-name').first().textContent();
      assert.equal(focused?.trim(), 'jsonl-sink', 'ArrowUp moved to the row above');
      step('tree click: counter-sink terminal shown, focus stays in the tree; ArrowUp → jsonl-sink');
      // Show Logs (the inline action) takes the keyboard into the terminal.
      await row.hover();
      await row.locator('.action-label[aria-label="Show Component Logs"]').click();
      await until('the keyboard in the terminal after Show Logs', () => page.evaluate<boolean>('!!document.activeElement?.closest(".part.panel")'), 10_000);
      step('Show Logs: the terminal has the keyboard');

      // Tooltips appear (built on hover) and stay while the pointer rests, although the figures
      // change every second.
      const tip = await hoverTooltip(page, rows.filter({ hasText: 'enrich' }).first(), /PID/);
      await page.waitForTimeout(3000);
      assert.ok(await page.locator('.monaco-hover, .workbench-hover').filter({ hasText: 'PID' }).filter({ visible: true }).count(), 'the tooltip is still open 3 s later');
      step(`tooltip: "${tip.replace(/\s+/g, ' ').slice(0, 120)}…"`);
      await page.mouse.move(700, 300);

      // The picture for the README: the running pipeline (lenses, Services with one component's
      // figures open, a terminal, status bar).
      await rows.filter({ hasText: 'counter-sink' }).first().locator('.monaco-tl-twistie').click();
      await until('counter-sink’s figures in the tree', async () => (await readTreeRows(rows)).some((r) => r.label === 'Events in'), 15_000).catch(() => undefined);
      await page.locator('.editor-instance .view-lines .view-line').nth(2).click();
      await until('throughput in the tree', async () => (await readTreeRows(rows)).every((r) => /ev\/s/.test(r.description)), 20_000).catch(() => undefined);
      await page.mouse.move(0, 0);
      await page.waitForTimeout(300);
      await save(page, 'screenshot-running.png', step);

      // A crash: the toast offers Restart and Show Logs; Restart brings the component back.
      const enrichPid = [...componentPids(MARKER_VAR, host.marker, 'enrich').keys()][0];
      assert.ok(enrichPid, 'the enrich process');
      process.kill(enrichPid, 'SIGKILL');
      const toast = page.locator('.notifications-toasts .notification-list-item', { hasText: 'enrich was killed by SIGKILL' });
      await toast.first().waitFor({ timeout: 30_000 });
      assert.ok(await toast.locator('.monaco-button', { hasText: 'Show Logs' }).count(), 'a Show Logs button');
      await toast.locator('.monaco-button', { hasText: 'Restart' }).first().click();
      await allHealthy();
      const again = [...componentPids(MARKER_VAR, host.marker, 'enrich').keys()][0];
      assert.ok(again && again !== enrichPid, 'enrich runs again with a new pid');
      step(`crash toast → Restart: enrich pid ${enrichPid} → ${again}`);

      // All Logs: the merged view, its component, level and text filters, and find.
      await runCommand(page, 'flowctl: Show All Logs');
      const rowsIn = webviewFrame(page, '#rows .row');
      await until('lines of every component in All Logs', async () => {
        const comps = new Set(await webviewFrame(page, '#rows .row .comp').allTextContents());
        return ws.ids.every((id) => comps.has(id)) ? comps : undefined;
      }, 30_000);
      const total = await rowsIn.count();
      for (const id of ws.ids.filter((x) => x !== 'enrich').concat('flowctl')) {
        await webviewFrame(page, `#components input[data-component="${id}"]`).uncheck();
      }
      await until('only enrich lines', async () => {
        const comps = await webviewFrame(page, '#rows .row .comp').allTextContents();
        return comps.length > 0 && comps.every((c) => c === 'enrich');
      }, 10_000);
      step(`All Logs: ${total} lines; component filter → only enrich (${await rowsIn.count()} lines)`);
      await webviewFrame(page, '#reset').click();
      await webviewFrame(page, '#level').selectOption('warning');
      await until('only warnings and errors', async () => {
        const levels = await rowsIn.evaluateAll((els) => els.map((e) => e.getAttribute('data-level')));
        return levels.length > 0 && levels.every((l) => l === 'warning' || l === 'error') ? levels : undefined;
      }, 10_000);
      step(`level filter → ${await rowsIn.count()} warning/error lines (enrich's crash among them)`);
      await webviewFrame(page, '#level').selectOption('trace');
      await webviewFrame(page, '#filter').fill('counter-sink:');
      await until('only lines with the text', async () => {
        const texts = await webviewFrame(page, '#rows .row .text').allTextContents();
        return texts.length > 0 && texts.every((x) => x.toLowerCase().includes('counter-sink:')) ? texts : undefined;
      }, 10_000);
      step(`text filter "counter-sink:" → ${await rowsIn.count()} lines`);
      await webviewFrame(page, '#filter').fill('');
      await webviewFrame(page, '#find').fill('registered');
      await webviewFrame(page, '#find').press('Enter');
      const count = await until('find results', async () => {
        const c = (await webviewFrame(page, '#findCount').textContent()) ?? '';
        return /^\d+\/\d+$/.test(c.trim()) ? c.trim() : undefined;
      }, 10_000);
      assert.ok((await webviewFrame(page, '#rows mark.current').count()) === 1, 'the current match is highlighted');
      step(`find "registered": ${count}`);
      await webviewFrame(page, '#find').fill('');
      await webviewFrame(page, '#follow').check();
      await page.waitForTimeout(600);
      await save(page, 'screenshot-all-logs.png', step);

      // Connect: the picker names the endpoint file under FLOWCTL_HOME; the tree shows the run read-only.
      const endpointFile = path.join(host.root, 'flowctl-home', 'endpoint.json');
      const detail = await pickFromCommand(page, 'flowctl: Connect to Control Plane…', 'demo-trades');
      assert.ok(detail.includes(endpointFile), `the picker names ${endpointFile}: ${detail}`);
      step(`connect picker: "${detail.replace(/\s+/g, ' ').slice(0, 160)}"`);
      await runCommand(page, 'Focus on Services View');
      const readonly = await until('the connected pipeline in the tree', async () => {
        const r = await readTreeRows(rows);
        return r.some((x) => /^connected ·/.test(x.description)) ? r : undefined;
      }, 20_000);
      step(`connected tree: ${readonly.map((r) => `${r.label}${r.description ? ` [${r.description}]` : ''}`).join('; ')}`);
      const groups = readonly.map((r) => r.label).filter((l) => ['Sources', 'Processors', 'Sinks'].includes(l));
      assert.deepEqual(groups, ['Sources', 'Processors', 'Sinks']);
      const sourcesAt = readonly.findIndex((r) => r.label === 'Sources');
      assert.deepEqual(readonly.slice(sourcesAt).map((r) => r.label), ['Sources', 'ticker', 'Processors', 'enrich', 'Sinks', 'jsonl-sink', 'counter-sink'], 'pipeline order under the groups');
      await hoverTooltip(page, rows.filter({ hasText: 'counter-sink' }).last(), /counter-sink.*(healthy|running)/s);
      step('connected component tooltip shown');
      // The run is this user's: its components have the same controls (through its runner service).
      const tickerPid = [...componentPids(MARKER_VAR, host.marker, 'ticker').keys()][0];
      const remoteTicker = rows.filter({ hasText: 'ticker' }).last();
      await remoteTicker.hover();
      await remoteTicker.locator('.action-label[aria-label="Restart Component"]').click();
      await until('ticker restarted from the connected view', async () => {
        const now = [...componentPids(MARKER_VAR, host.marker, 'ticker').keys()][0];
        return now && now !== tickerPid ? now : undefined;
      }, 60_000);
      step(`connected view: Restart Component on ticker → pid ${tickerPid} replaced`);
      await runCommand(page, 'flowctl: Disconnect from Control Plane');
      await runCommand(page, 'flowctl: Stop Pipeline');
      await until('stopped', async () => !(await status.isVisible().catch(() => false)), 60_000);
    },
  });
  assert.ok(steps.some((s) => s.startsWith('connected tree')), `all steps ran: ${steps.join(' | ')}`);
});
