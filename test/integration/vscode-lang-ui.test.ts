// What a user sees of the YAML help, through the real workbench UI (code-server + headless Chromium,
// this repo as the development extension): Run on a file with an error is refused with a toast whose
// "Show Problems" button opens the Problems panel at the error; F8 then Ctrl+. offers the
// did-you-mean quick fix, which fixes the line in the editor. Needs `npm run build`.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT, codeServerBin, runInHost } from '../vscode/host';
import { codeLens, quickOpen, until } from '../vscode/ui';

const skip =
  !codeServerBin() && !process.env.CI
    ? 'code-server is not installed (run `bash scripts/install-test-deps.sh`); required when CI is set'
    : false;

const FLOW = [
  'apiVersion: flowctl/v1',
  'kind: Pipeline',
  'metadata:',
  '  name: ui-lang',
  'spec:',
  '  sources:',
  '    - id: ticker',
  '      command: ["sh", "-c", "sleep 60"]',
  '  sinks:',
  '    - id: out',
  '      command: ["sh", "-c", "sleep 60"]',
  '      inputs: [tickr]',
  '',
].join('\n');

test('refusal toast → Show Problems → the error; F8 and Ctrl+. apply the did-you-mean fix in the editor', { skip, timeout: 480_000 }, async (t) => {
  assert.ok(fs.existsSync(path.join(REPO_ROOT, 'dist', 'extension.js')), 'dist/extension.js is built (npm run build)');
  const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'fvh-lang-ui-'));
  t.after(() => fs.rmSync(workspace, { recursive: true, force: true }));
  const file = path.join(workspace, 'flow.yml');
  fs.writeFileSync(file, FLOW);
  const steps: string[] = [];
  const step = (s: string) => {
    steps.push(s);
    t.diagnostic(s);
  };
  await runInHost({
    workspace,
    extensionDevelopmentPath: REPO_ROOT,
    timeoutMs: 420_000,
    name: 'vscode-lang-ui',
    onPage: async (page) => {
      // The file search behind Ctrl+P can take a while on a busy machine: give it time.
      await quickOpen(page, 'flow.yml', 120_000);
      const run = codeLens(page, 'Run Pipeline');
      await run.waitFor({ timeout: 30_000 });
      await run.click();

      // The refusal toast, with its button.
      const toast = page.locator('.notifications-toasts .notification-toast', { hasText: 'flow.yml has 1 error; fix it before running.' });
      await toast.waitFor({ timeout: 30_000 });
      const button = toast.locator('.monaco-button', { hasText: 'Show Problems' });
      await button.waitFor({ timeout: 5_000 });
      step('toast: "flow.yml has 1 error; fix it before running." with a Show Problems button');
      await button.click();
      const problem = page.locator('.markers-panel .monaco-list-row', { hasText: 'sink out references unknown input tickr' });
      await problem.waitFor({ timeout: 20_000 });
      step(`Problems panel: ${(await problem.first().textContent())?.trim()}`);

      // Back in the editor: F8 goes to the problem, Escape closes its peek, Ctrl+. lists the fixes.
      await page.locator('.editor-instance .view-lines .view-line').first().click();
      const applied = await until(
        'the quick fix to be applied from the Ctrl+. menu',
        async () => {
          await page.keyboard.press('Escape');
          await page.keyboard.press('F8');
          await page.waitForTimeout(400);
          await page.keyboard.press('Escape');
          await page.keyboard.press('Control+Period');
          const item = page.locator('.action-widget .monaco-list-row', { hasText: 'Change to ticker' });
          await item.first().waitFor({ timeout: 30_000 });
          step(`quick fix menu: ${(await page.locator('.action-widget .monaco-list-row').allTextContents()).map((s) => s.trim()).join(' | ')}`);
          // The preferred fix is the focused row: Enter applies it, as a user would.
          await page.keyboard.press('Enter');
          return until(
            'the edited line',
            async () => {
              const lines = await page.locator('.editor-instance .view-lines .view-line').allTextContents();
              return lines.map((l) => l.replace(/\u00a0/g, ' ')).find((l) => l.includes('inputs: [ticker]'));
            },
            10_000,
          );
        },
        120_000,
        500,
      );
      step(`editor line after the fix: "${applied.trim()}"`);
      // The error is gone from the Problems panel once the buffer is revalidated.
      await until('the problem to disappear', async () => (await problem.count()) === 0, 20_000);
      step('Problems panel: no error');
    },
  });
  assert.equal(steps.length, 5, steps.join(' | '));
});
