// Runs a REAL VS Code extension host: code-server 4.100.3 (VS Code 1.100.3, installed by
// scripts/install-test-deps.sh into .cache/code-server) driven by Debian's headless Chromium
// through playwright-core. Used by test/integration/vscode-*.test.ts; see
// shared/reference/vscode-test-host.md for why it is done this way.
//
// Every run gets a throwaway profile in a temp dir (user data, extensions, XDG dirs, TMPDIR), a
// really free loopback port, and is torn down completely: browser closed, code-server's process
// group killed, leftover descendants (found by an environment marker) killed, temp dir removed.
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { killMarked } from './procs';
import { findRepoRoot } from './repoRoot';

export const CODE_SERVER_VERSION = '4.100.3';
export const CHROMIUM_PATH = '/usr/bin/chromium';
/** The repo root (found from this bundle's location, wherever esbuild put it). */
export const REPO_ROOT = findRepoRoot(__dirname);
/** Environment variable set on code-server; every process it starts inherits it. */
export const MARKER_VAR = 'FLOWCTL_VSCODE_TEST_HOST';

export interface HostOptions {
  /** Folder opened in the workbench. */
  workspace: string;
  /** Extension folder loaded as a development extension (its package.json `main` must be built). */
  extensionDevelopmentPath?: string;
  /** A packaged .vsix installed into the throwaway extensions dir before start. */
  vsix?: string;
  /** Absolute path of a module exporting `run(): Promise<void>` (mocha inside the host). */
  testsEntry?: string;
  /** Extra user settings (merged over the defaults below). */
  settings?: Record<string, unknown>;
  /** UI checks: called once the workbench has loaded; the run fails if it throws. */
  onPage?: (page: Page, host: HostInfo) => Promise<void>;
  /** Upper bound for the whole run (start, tests or onPage, not teardown). */
  timeoutMs: number;
  /** Receives progress and host log lines as they come (default: nothing). */
  onLog?: (line: string) => void;
  /** Name used for failure screenshots (default: `host`). */
  name?: string;
  /** Extra environment for code-server and so for the extension host and what it starts. */
  env?: NodeJS.ProcessEnv;
}

export interface HostInfo {
  port: number;
  /** PID of code-server (the leader of its own process group: `-serverPid` signals the whole server). */
  serverPid: number;
  /** Value of the environment marker every process of this host inherits (see componentPids). */
  marker: string;
  baseUrl: string;
  /** Temp dir holding the profile; removed after the run. */
  root: string;
  /** Lines logged so far (code-server output, extension host console, browser console). */
  logs: string[];
}

export interface HostResult {
  /** Exit code reported by the tests entry (0 = all passed); null for onPage runs. */
  exitCode: number | null;
  logs: string[];
  /** Screenshot saved because the run failed, if any. */
  screenshot?: string;
  /** The temp profile folder the run used (already removed when runInHost returns). */
  root: string;
}

/** Path of the locally installed code-server, or undefined when it is not installed. */
export function codeServerBin(root = REPO_ROOT): string | undefined {
  const bin = path.join(root, '.cache', 'code-server', 'node_modules', '.bin', 'code-server');
  return fs.existsSync(bin) ? bin : undefined;
}

export const DEFAULT_SETTINGS: Record<string, unknown> = {
  'remote.autoForwardPorts': false,
  'terminal.integrated.gpuAcceleration': 'off',
  'security.workspace.trust.enabled': false,
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'git.enabled': false,
  'window.restoreWindows': 'none',
  'files.hotExit': 'off',
};

const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

/** A loopback port nobody listens on right now (bound and released, then checked once more). */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = await new Promise<number>((resolve, reject) => {
      const srv = net.createServer();
      srv.once('error', reject);
      srv.listen(0, '127.0.0.1', () => {
        const addr = srv.address() as net.AddressInfo;
        srv.close(() => resolve(addr.port));
      });
    });
    if (!(await somethingListens(port))) return port;
  }
  throw new Error('freePort: no free loopback port found in 20 attempts');
}

function somethingListens(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ host: '127.0.0.1', port });
    sock.once('connect', () => { sock.destroy(); resolve(true); });
    sock.once('error', () => resolve(false));
  });
}

function remoteUri(port: number, absPath: string): string {
  return `vscode-remote://127.0.0.1:${port}${path.resolve(absPath)}`;
}

export function workbenchUrl(port: number, o: Pick<HostOptions, 'workspace' | 'extensionDevelopmentPath' | 'testsEntry'>): string {
  const payload: [string, string][] = [];
  if (o.extensionDevelopmentPath) payload.push(['extensionDevelopmentPath', remoteUri(port, o.extensionDevelopmentPath)]);
  if (o.testsEntry) payload.push(['extensionTestsPath', remoteUri(port, o.testsEntry)]);
  let url = `http://127.0.0.1:${port}/?folder=${encodeURIComponent(path.resolve(o.workspace))}`;
  if (payload.length) url += `&payload=${encodeURIComponent(JSON.stringify(payload))}`;
  return url;
}

interface Profile { root: string; env: NodeJS.ProcessEnv; args: string[] }

function makeProfile(settings: Record<string, unknown> | undefined, extraEnv: NodeJS.ProcessEnv = {}): Profile {
  // Short base path: VS Code puts unix sockets into TMPDIR/XDG_RUNTIME_DIR (108-byte limit).
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'fvh-'));
  const dirs = { ud: 'ud', exts: 'exts', config: 'config', data: 'data', cache: 'cache', run: 'run', tmp: 'tmp' };
  for (const d of Object.values(dirs)) fs.mkdirSync(path.join(root, d), { recursive: true, mode: 0o700 });
  fs.mkdirSync(path.join(root, 'ud', 'User'), { recursive: true });
  fs.writeFileSync(
    path.join(root, 'ud', 'User', 'settings.json'),
    JSON.stringify({ ...DEFAULT_SETTINGS, ...settings }, null, 2),
  );
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    [MARKER_VAR]: root,
    XDG_CONFIG_HOME: path.join(root, 'config'),
    XDG_DATA_HOME: path.join(root, 'data'),
    XDG_CACHE_HOME: path.join(root, 'cache'),
    XDG_RUNTIME_DIR: path.join(root, 'run'),
    TMPDIR: path.join(root, 'tmp'),
    // flowctl's per-user state (endpoint files of runs) stays in the profile, not in ~/.flowctl.
    FLOWCTL_HOME: path.join(root, 'flowctl-home'),
    // Let the host's own Node find nothing from a surrounding test runner.
    NODE_OPTIONS: '',
    ...extraEnv,
  };
  delete env.NODE_TEST_CONTEXT; // set by `node --test` in its children; not meant for the host
  delete env.VSCODE_IPC_HOOK_CLI;
  const args = [
    '--auth', 'none',
    '--user-data-dir', path.join(root, 'ud'),
    '--extensions-dir', path.join(root, 'exts'),
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--ignore-last-opened',
  ];
  return { root, env, args };
}

function runToEnd(bin: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const timer = setTimeout(() => {
      killGroup(child, 'SIGKILL');
      reject(new Error(`${path.basename(bin)} ${args.join(' ')} did not finish in ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    child.once('error', (e) => { clearTimeout(timer); reject(e); });
    child.once('exit', (code) => { clearTimeout(timer); resolve({ code, output }); });
  });
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try { process.kill(-child.pid, signal); } catch { /* already gone */ }
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

async function stopServer(child: ChildProcess): Promise<void> {
  killGroup(child, 'SIGTERM');
  const gone = await Promise.race([exited(child).then(() => true), delay(5000).then(() => false)]);
  // Its children (extension host, pty host, file watcher) may outlive the parent by a moment.
  await delay(gone ? 300 : 0);
  killGroup(child, 'SIGKILL');
  await exited(child);
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Starts code-server on a free port; retries on a port race. Resolves once /healthz answers. */
async function startServer(bin: string, profile: Profile, log: (l: string) => void, deadline: number): Promise<{ child: ChildProcess; port: number }> {
  let lastError: Error | undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const child = spawn(bin, ['--bind-addr', `127.0.0.1:${port}`, ...profile.args], {
      env: profile.env,
      cwd: profile.root,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // own process group, killed as a whole
    });
    let listening = false;
    const onData = (d: Buffer) => {
      for (const line of d.toString().split('\n')) {
        if (!line.trim()) continue;
        log(`[code-server] ${line}`);
        if (line.includes(`HTTP server listening on http://127.0.0.1:${port}`)) listening = true;
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('error', (e) => (lastError = e));
    while (Date.now() < deadline && child.exitCode === null && child.signalCode === null) {
      if (listening && (await healthy(port))) return { child, port };
      await delay(100);
    }
    await stopServer(child);
    lastError ??= new Error(
      child.exitCode !== null ? `code-server exited with code ${child.exitCode} before listening on ${port}` : 'code-server did not start in time',
    );
    if (Date.now() >= deadline) break;
  }
  throw lastError ?? new Error('code-server did not start');
}

async function healthy(port: number): Promise<boolean> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(2000) });
    return res.ok;
  } catch {
    return false;
  }
}

function withDeadline<T>(p: Promise<T>, deadline: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: timed out`)), Math.max(0, deadline - Date.now()));
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

export const SCREENS_DIR = path.join(REPO_ROOT, 'out', 'vscode', 'screens');

/**
 * Runs one session in a fresh code-server + Chromium and tears everything down.
 * With `testsEntry`: resolves with the exit code the tests reported (rejects if none came in time).
 * With `onPage`: resolves once it returns (rejects with its error, after a screenshot).
 */
export async function runInHost(opts: HostOptions): Promise<HostResult> {
  if (!opts.testsEntry && !opts.onPage) throw new Error('runInHost: give testsEntry and/or onPage');
  if (!fs.existsSync(opts.workspace)) throw new Error(`runInHost: workspace ${opts.workspace} does not exist`);
  if (opts.testsEntry && !fs.existsSync(opts.testsEntry)) throw new Error(`runInHost: tests entry ${opts.testsEntry} does not exist (built?)`);
  if (opts.vsix && !fs.existsSync(opts.vsix)) throw new Error(`runInHost: vsix ${opts.vsix} does not exist`);
  const bin = codeServerBin();
  if (!bin) throw new Error('runInHost: code-server is not installed; run `bash scripts/install-test-deps.sh`');
  if (!fs.existsSync(CHROMIUM_PATH)) throw new Error(`runInHost: ${CHROMIUM_PATH} missing; run \`bash scripts/install-test-deps.sh\``);

  const started = Date.now();
  const deadline = started + opts.timeoutMs;
  const logs: string[] = [];
  const log = (line: string) => {
    const l = `[+${((Date.now() - started) / 1000).toFixed(1)}s] ${line}`;
    logs.push(l);
    opts.onLog?.(l);
  };
  const profile = makeProfile(opts.settings, opts.env);
  let server: { child: ChildProcess; port: number } | undefined;
  let browser: Browser | undefined;
  let page: Page | undefined;
  let screenshot: string | undefined;
  try {
    if (opts.vsix) {
      const r = await runToEnd(bin, [...profile.args, '--install-extension', path.resolve(opts.vsix)], profile.env, Math.max(1000, deadline - Date.now()));
      log(`[install] ${r.output.trim()}`);
      if (r.code !== 0) throw new Error(`code-server --install-extension ${opts.vsix} exited ${r.code}:\n${r.output}`);
    }
    server = await startServer(bin, profile, log, deadline);
    const port = server.port;
    log(`code-server ready on 127.0.0.1:${port}`);

    // Chromium's crash reporter writes under XDG_CONFIG_HOME/chromium: keep it in the profile too.
    const browserEnv = { ...process.env, TMPDIR: path.join(profile.root, 'tmp'), XDG_CONFIG_HOME: path.join(profile.root, 'config'), XDG_CACHE_HOME: path.join(profile.root, 'cache') };
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS, env: browserEnv });
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    page = await context.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') log(`[browser ${m.type()}] ${m.text()}`);
    });
    page.on('pageerror', (e) => log(`[browser pageerror] ${e.message}`));

    let resolveExit!: (code: number) => void;
    const exitCode = new Promise<number>((r) => (resolveExit = r));
    await page.exposeFunction('codeAutomationExit', (code: number) => {
      log(`[host] tests exited with ${code}`);
      resolveExit(Number(code));
    });
    await page.exposeFunction('codeAutomationLog', (type: string, message: unknown) => {
      for (const line of formatConsoleArgs(message).split('\n')) log(`[host ${type}] ${line}`);
    });

    const url = workbenchUrl(port, opts);
    log(`open ${url}`);
    await page.goto(url, { waitUntil: 'domcontentloaded', timeout: Math.max(1000, deadline - Date.now()) });

    let code: number | null = null;
    if (opts.testsEntry) {
      code = await withDeadline(exitCode, deadline, `runInHost: no exit code from the tests within ${opts.timeoutMs} ms`);
    }
    if (opts.onPage) {
      await page.locator('.monaco-workbench').waitFor({ timeout: Math.max(1000, deadline - Date.now()) });
      const info: HostInfo = { port, serverPid: server.child.pid!, marker: profile.root, baseUrl: `http://127.0.0.1:${port}`, root: profile.root, logs };
      await withDeadline(opts.onPage(page, info), deadline, `runInHost: UI checks did not finish within ${opts.timeoutMs} ms`);
    }
    if (code !== 0 && code !== null) screenshot = await snap(page, opts.name ?? 'host', log);
    return { exitCode: code, logs, screenshot, root: profile.root };
  } catch (err) {
    if (page) screenshot = await snap(page, opts.name ?? 'host', log);
    const e = err instanceof Error ? err : new Error(String(err));
    e.message += `\n--- host log (last 80 lines) ---\n${logs.slice(-80).join('\n')}${screenshot ? `\n--- screenshot: ${screenshot}` : ''}`;
    throw e;
  } finally {
    await browser?.close().catch(() => undefined);
    if (server) await stopServer(server.child);
    await killMarked(MARKER_VAR, profile.root);
    fs.rmSync(profile.root, { recursive: true, force: true, maxRetries: 3 });
  }
}

async function snap(page: Page, name: string, log: (l: string) => void): Promise<string | undefined> {
  try {
    fs.mkdirSync(SCREENS_DIR, { recursive: true });
    const file = path.join(SCREENS_DIR, `${name.replace(/[^\w.-]+/g, '_')}-${Date.now()}.png`);
    await page.screenshot({ path: file, timeout: 5000 });
    log(`screenshot: ${file}`);
    return file;
  } catch {
    return undefined;
  }
}

/** The workbench forwards console calls as a JSON array of printf-style arguments. */
export function formatConsoleArgs(message: unknown): string {
  let args: unknown[];
  if (typeof message === 'string') {
    try {
      const parsed: unknown = JSON.parse(message);
      args = Array.isArray(parsed) ? parsed : [message];
    } catch {
      args = [message];
    }
  } else {
    args = Array.isArray(message) ? message : [message];
  }
  const str = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));
  if (typeof args[0] !== 'string') return args.map(str).join(' ');
  let i = 1;
  const head = args[0].replace(/%[sdifoOc%]/g, (m) => {
    if (m === '%%') return '%';
    if (i >= args.length) return m;
    const v = args[i++];
    return m === '%c' ? '' : str(v);
  });
  return [head, ...args.slice(i).map(str)].join(' ');
}
