// Playwright helpers for what a user sees in the VS Code workbench (code-server in Chromium):
// quick open, CodeLens, status bar items, tree rows, terminal text. Selectors are VS Code 1.100's.
import type { Locator, Page } from 'playwright-core';

/** Opens a workspace file the way a user does: Ctrl+P, type its name, Enter; waits for its tab. */
export async function quickOpen(page: Page, relPath: string, timeoutMs = 90_000): Promise<void> {
  const name = relPath.split('/').pop()!;
  const tab = page.locator('.tabs-container .tab', { hasText: name });
  const deadline = Date.now() + timeoutMs;
  // The first Ctrl+P can land before the workbench listens to keys; retry until the tab shows.
  while (!(await tab.first().isVisible())) {
    if (Date.now() > deadline) throw new Error(`quickOpen: no editor tab for ${relPath} after ${timeoutMs} ms`);
    await page.keyboard.press('Escape');
    await page.keyboard.press('Control+P');
    const input = page.locator('.quick-input-widget input');
    if (!(await input.isVisible().catch(() => false))) {
      await page.waitForTimeout(300);
      continue;
    }
    await input.fill(relPath);
    await page.locator('.quick-input-list .monaco-list-row', { hasText: name }).first().waitFor({ timeout: 5000 }).catch(() => undefined);
    await page.keyboard.press('Enter');
    await tab.first().waitFor({ timeout: 3000 }).catch(() => undefined);
  }
}

/** A CodeLens link in the active editor whose text matches. */
export function codeLens(page: Page, text: string | RegExp): Locator {
  return page.locator('.editor-instance .codelens-decoration a', { hasText: text });
}

/** A status bar item contributed by an extension (`<extension id>.<item id>`). */
export function statusBarItem(page: Page, extensionId: string, itemId: string): Locator {
  return page.locator(`[id="${extensionId}.${itemId}"]`);
}

/** Rows of the visible tree in the side bar pane whose header title is `viewName`. */
export function treeRows(page: Page, viewName: string): Locator {
  const pane = page.locator('.part.sidebar .pane', { has: page.locator('.pane-header', { hasText: new RegExp(`^\\s*${viewName}`, 'i') }) });
  return pane.locator('.monaco-list-row');
}

export interface TreeRow {
  label: string;
  description: string;
  icon: string | undefined;
  ariaLabel: string;
}

export async function readTreeRows(rows: Locator): Promise<TreeRow[]> {
  return rows.evaluateAll((els) =>
    els.map((el) => {
      const icon = [...el.querySelectorAll('.custom-view-tree-node-item-icon, .codicon')]
        .flatMap((i) => [...i.classList])
        .find((c) => c.startsWith('codicon-') && c !== 'codicon-tree-item-expanded' && !c.startsWith('codicon-chevron'));
      return {
        label: el.querySelector('.label-name')?.textContent?.trim() ?? '',
        description: el.querySelector('.label-description')?.textContent?.trim() ?? '',
        icon: icon?.slice('codicon-'.length),
        ariaLabel: el.getAttribute('aria-label') ?? '',
      };
    }),
  );
}

/** The text of the terminal shown in the panel (DOM renderer: terminal.integrated.gpuAcceleration off). */
export async function activeTerminalText(page: Page): Promise<string> {
  const rows = page.locator('.terminal-wrapper.active .xterm-rows');
  if ((await rows.count()) === 0) return '';
  return rows.first().evaluate((el) => [...el.children].map((r) => (r.textContent ?? '').replace(/\u00a0/g, ' ').trimEnd()).join('\n'));
}

/** Names in the terminal tabs list (one per terminal). */
export async function terminalNames(page: Page): Promise<string[]> {
  return page.locator('.terminal-tabs-entry .monaco-icon-label .label-name, .terminal-tabs-entry .label-name').allTextContents();
}

/** Polls `check` until it returns a truthy value; throws with `what` and the last value seen. */
export async function until<T>(what: string, check: () => Promise<T>, timeoutMs: number, intervalMs = 250): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      last = await check();
      if (last) return last as NonNullable<T>;
    } catch (err) {
      last = err instanceof Error ? err.message : err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last: ${JSON.stringify(last)?.slice(0, 2000)}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Runs a command from the command palette by its title (F1, type, Enter on the first match). */
export async function runCommand(page: Page, title: string, timeoutMs = 60_000): Promise<void> {
  const input = page.locator('.quick-input-widget input.input');
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 0; ; attempt++) {
    if (attempt > 0) {
      // A webview may hold the keyboard: click a neutral spot of the workbench (the status bar's middle).
      const bar = await page.locator('.part.statusbar').boundingBox();
      if (bar) await page.mouse.click(bar.x + bar.width / 2, bar.y + bar.height / 2);
    }
    await page.keyboard.press('Escape');
    await page.keyboard.press('F1');
    try {
      await input.waitFor({ state: 'visible', timeout: 3000 });
      await input.fill(`>${title}`, { timeout: 5000 });
      const row = page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first();
      await row.waitFor({ timeout: 10_000 });
      // The list can re-render under the pointer (a slow host adds rows late): a bounded click, then Enter on the
      // focused row when it is the one we want, then another try — never one 30 s click.
      const clicked = await row.click({ timeout: 5000 }).then(() => true, () => false);
      if (clicked) return;
      const focused = page.locator('.quick-input-list .monaco-list-row.focused', { hasText: title });
      if ((await focused.count()) > 0) {
        await page.keyboard.press('Enter');
        await input.waitFor({ state: 'hidden', timeout: 3000 });
        return;
      }
      throw new Error(`the "${title}" row could not be clicked and is not the focused row`);
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`runCommand: could not run "${title}" from the command palette: ${(err as Error).message.split('\n')[0]}`);
    }
  }
}

/**
 * Runs a command that shows a quick pick and picks its row matching `hasText`; returns the row's text.
 * A quick pick closes when the focus leaves it (a webview that held the keyboard can take it back), so
 * when the picker is gone before the click lands, the command is run again — bounded by `timeoutMs`.
 */
export async function pickFromCommand(page: Page, title: string, hasText: string | RegExp, timeoutMs = 60_000): Promise<string> {
  const widget = page.locator('.quick-input-widget');
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    await runCommand(page, title, Math.max(5000, deadline - Date.now()));
    const row = page.locator('.quick-input-list .monaco-list-row', { hasText }).first();
    try {
      await row.waitFor({ state: 'visible', timeout: 15_000 });
      const text = (await row.textContent({ timeout: 2000 })) ?? '';
      await row.click({ timeout: 5000 });
      await widget.waitFor({ state: 'hidden', timeout: 5000 });
      return text;
    } catch (err) {
      last = (err as Error).message.split('\n')[0];
      if (Date.now() > deadline) throw new Error(`pickFromCommand: no "${String(hasText)}" picked after "${title}": ${last}`);
    }
  }
}

/** Brings the terminal named `name` forward by clicking its entry in the terminal tabs list. */
export async function selectTerminal(page: Page, name: string): Promise<void> {
  const tab = page.locator('.terminal-tabs-entry', { has: page.locator('.label-name', { hasText: new RegExp(`^\\s*${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*$`) }) });
  await tab.first().click();
}

/** The name of the terminal shown in the panel. */
export async function activeTerminalName(page: Page): Promise<string> {
  return ((await page.locator('.terminal-tabs-entry.is-active .label-name, .terminal-tabs-entry[aria-selected="true"] .label-name').first().textContent({ timeout: 2000 }).catch(() => '')) ?? '').trim();
}

/** The webview frame of an open webview panel whose page has `selector` (VS Code nests two iframes). */
export function webviewFrame(page: Page, selector: string) {
  return page.frameLocator('iframe.webview.ready').frameLocator('iframe#active-frame').locator(selector);
}
