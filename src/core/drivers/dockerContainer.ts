// One component run as a container: each start is a new container (`docker create`, labelled, docker's
// restart policy off), started with `docker start --attach` (the CLI attaches before the start, so no
// output is missed, and ends after the last of it; stdout and stderr arrive apart, are split into lines,
// timestamped and written ANSI-free to the log file like a process's). Its exit status is read with
// `docker inspect`, and the container is removed once its exit is handled. Restarts follow the
// component's restart_policy with our backoff, like ManagedProcess. Stop = `docker stop -t <grace>`
// (SIGTERM, SIGKILL after the grace period), then the container is removed.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LineSplitter } from '../supervisor/lines';
import { delay, within, type BackoffOptions } from '../supervisor/restartPolicy';
import { SupervisedHandle } from '../supervisor/supervisedHandle';
import type { ComponentRunSpec } from './types';
import { cliErrorText, type DockerCli, type Follower } from './dockerCli';
import { containerEnvironment, envFileText, imageReferenceProblem, planEnv, runArgs, type RunnerIdentity } from './dockerArgs';

/** What a container handle needs from its driver. */
export interface ContainerContext {
  cli: DockerCli;
  runner: RunnerIdentity;
  /** Private (0700) folder for cid files and env files. */
  tmpDir(): string;
  /** A container of this run exists (ownsProcess, sweeps) / is gone. */
  track(containerId: string): void;
  untrack(containerId: string): void;
  backoff?: BackoffOptions;
  maxRestarts?: number;
  tailLines?: number;
  /** Longest a `docker create`, or the wait for the container to run, may take (default 120 s). */
  startTimeoutMs?: number;
}

interface Attempt {
  n: number;
  containerId?: string;
  pid?: number;
  startedAt: number;
  /** Resolves once the container is known to run (or failed to be created or started). */
  launched: Promise<void>;
  /** Resolves once the exit has been handled (state/events updated). */
  exited: Promise<void>;
  hasExited: boolean;
  follower?: Follower;
  killRequested?: boolean;
  /** stop()/restart() came while the container was being created: do not start it. */
  cancelled?: boolean;
}

/** Characters waiting for the log file's disk write beyond which the container's output is read no further. */
const LOG_BACKLOG_LIMIT = 8 * 1024 * 1024;

/** `docker inspect` format for an exit: running|exit code|oom killed|error. */
const EXIT_FORMAT = '{{.State.Running}}|{{.State.ExitCode}}|{{.State.OOMKilled}}|{{.State.Error}}';

/** Signal names by number (tini and docker report a death by signal N as exit code 128+N). */
const SIGNAL_NAMES = new Map<number, string>(Object.entries(os.constants.signals).map(([name, n]) => [n as number, name]));

/** The text of /proc/<pid>/cgroup ('' when unreadable). A container's processes carry its full id there. */
export function cgroupText(pid: number): string {
  if (!Number.isInteger(pid) || pid <= 0) return '';
  try {
    return fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8');
  } catch {
    return '';
  }
}

/** True when host process `pid` runs inside container `containerId` (cgroup v1 and v2, cgroupfs and systemd). */
export function processInContainer(pid: number, containerId: string): boolean {
  return /^[0-9a-f]{64}$/.test(containerId) && cgroupText(pid).includes(containerId);
}

export class ContainerHandle extends SupervisedHandle<Attempt> {
  readonly spec: Readonly<ComponentRunSpec>;
  private readonly removals = new Set<Promise<void>>();

  constructor(
    spec: ComponentRunSpec,
    private readonly ctx: ContainerContext,
  ) {
    if (!spec || typeof spec.id !== 'string' || !spec.id) throw new Error('docker driver: component id is required');
    const imageProblem = imageReferenceProblem(spec.image ?? '');
    if (imageProblem) throw new Error(`component ${spec.id}: ${spec.image ? imageProblem : 'a container component needs an image'}`);
    if (spec.command && (spec.command.length === 0 || !spec.command[0])) {
      throw new Error(`component ${spec.id}: command must be a non-empty array of strings (or left out to use the image's entrypoint)`);
    }
    super(spec.id, { restartPolicy: spec.restartPolicy, backoff: ctx.backoff, maxRestarts: ctx.maxRestarts, tailLines: ctx.tailLines, logFile: spec.logFile });
    this.spec = { ...spec, restartPolicy: this.policy };
  }

  /** Host pid of the container's init process while it runs. */
  get pid(): number | undefined {
    const a = this.current;
    return a && !a.hasExited ? a.pid : undefined;
  }
  /** Id of the latest container (kept after it exited, until the next start). */
  get containerId(): string | undefined {
    return this.current?.containerId;
  }
  get image(): string {
    return this.spec.image!;
  }

  /** SIGKILL now (`docker kill`); a stop() in progress then finishes at once. */
  kill(): void {
    const att = this.current;
    if (!att || att.hasExited) return;
    att.killRequested = true;
    if (att.containerId) void this.ctx.cli.exec(['kill', att.containerId], { timeoutMs: 30_000 });
  }

  /** Ends of `docker rm` calls still running for this component. */
  removalsDone(): Promise<void> {
    return Promise.all([...this.removals]).then(() => undefined);
  }

  // --- internals -------------------------------------------------------------------------------

  protected override nothingLeft(): boolean {
    return super.nothingLeft() && this.removals.size === 0;
  }

  /** A stop() resolves once the containers of ended attempts are removed too. */
  protected override cleanedUp(forStop: boolean): Promise<unknown> {
    return forStop ? this.removalsDone() : Promise.resolve();
  }

  protected override launched(): Promise<void> {
    return this.current?.launched ?? Promise.resolve();
  }

  protected async terminate(att: Attempt, graceMs: number): Promise<void> {
    if (!att.containerId) att.cancelled = true;
    await att.launched;
    if (att.hasExited || !att.containerId) {
      await att.exited;
      return;
    }
    const seconds = Math.max(0, Math.ceil(graceMs / 1000));
    const r = await this.ctx.cli.exec(['stop', '--time', String(seconds), att.containerId], { timeoutMs: seconds * 1000 + 30_000 });
    if (r.exitCode !== 0 && !/no such container/i.test(r.stderr)) {
      this.log?.write(`--- ${new Date().toISOString()} docker stop failed (${cliErrorText(r)}); killing ---`);
      await this.ctx.cli.exec(['kill', att.containerId], { timeoutMs: 30_000 });
    }
    if (!(await within(att.exited, 15_000))) {
      // The attached CLI did not notice the exit (engine trouble): end it, which makes runAttempt inspect.
      att.follower?.kill();
      await within(att.exited, 15_000);
    }
  }

  protected launch(): void {
    this.attempt++;
    let resolveLaunched!: () => void;
    let resolveExited!: () => void;
    const att: Attempt = {
      n: this.attempt,
      startedAt: Date.now(),
      launched: new Promise<void>((r) => (resolveLaunched = r)),
      exited: new Promise<void>((r) => (resolveExited = r)),
      hasExited: false,
    };
    this.current = att;
    this._state = 'running';
    this._exitCode = null;
    this._exitSignal = null;
    void this.runAttempt(att, resolveLaunched).finally(() => {
      resolveLaunched();
      resolveExited();
    });
  }

  private async runAttempt(att: Attempt, launched: () => void): Promise<void> {
    const spec = this.spec;
    const plan = planEnv(containerEnvironment(spec));
    if (plan.problems.length) return this.spawnFailed(att, plan.problems.join('; '));
    let dir: string;
    try {
      dir = this.ctx.tmpDir();
    } catch (err) {
      return this.spawnFailed(att, `cannot create a private temp folder: ${(err as Error).message}`);
    }
    const base = path.join(dir, `${spec.id.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 60)}-${att.n}-${process.hrtime.bigint()}`);
    const cidFile = `${base}.cid`;
    const envFile = Object.keys(plan.file).length ? `${base}.env` : undefined;

    // 1. Create (labels, mounts, env…): errors here are about the spec or the engine, not the component.
    let result!: Awaited<ReturnType<DockerCli['exec']>>;
    try {
      if (envFile) fs.writeFileSync(envFile, envFileText(plan.file), { mode: 0o600, flag: 'wx' });
      for (let tries = 0; ; tries++) {
        // Names are for people (docker ps); a clash with another run's container gets a random suffix.
        const nameSuffix = tries === 0 ? undefined : crypto.randomBytes(3).toString('hex');
        const args = runArgs({ spec, attempt: att.n, runner: this.ctx.runner, cidFile, envFile, envPlan: plan, nameSuffix });
        result = await this.ctx.cli.exec(args, { env: plan.inherit, timeoutMs: this.ctx.startTimeoutMs ?? 120_000 });
        if (result.exitCode === 0 || tries >= 2 || !/name .* is already in use/i.test(result.stderr) || fs.existsSync(cidFile)) break;
      }
    } catch (err) {
      return this.spawnFailed(att, `docker create failed: ${(err as Error).message}`);
    } finally {
      if (envFile) fs.rmSync(envFile, { force: true });
    }
    let cid = '';
    try {
      cid = fs.readFileSync(cidFile, 'utf8').trim();
    } catch {
      // not created
    }
    fs.rmSync(cidFile, { force: true });
    const id = (result.exitCode === 0 ? result.stdout.trim().split(/\s+/).pop() : '') || cid;
    if (id) {
      att.containerId = id;
      this.ctx.track(id);
    }
    if (result.exitCode !== 0 || !id) {
      if (id) this.remove(att);
      const why = result.exitCode !== 0 ? cliErrorText(result, this.ctx.cli.command) : 'it printed no container id';
      return this.spawnFailed(att, `docker could not create a container from image ${spec.image}: ${why}`);
    }
    if (att.cancelled) {
      // Stopped while it was being created: it never starts.
      att.hasExited = true;
      this.remove(att);
      return;
    }

    // 2. Start attached: the CLI attaches before it starts the container, so no output is missed, and it
    // ends only after the container's last output. Lines are held until the start is confirmed (until
    // then, stderr may also carry docker's own start error).
    const held: Array<['stdout' | 'stderr', string]> = [];
    let holding = true;
    const emit = (stream: 'stdout' | 'stderr', line: string) => {
      if (holding && held.length < 1000) held.push([stream, line]);
      else this.onLine(stream, line);
    };
    const splitters = {
      stdout: new LineSplitter((line) => emit('stdout', line)),
      stderr: new LineSplitter((line) => emit('stderr', line)),
    };
    let paused = false;
    const take = (splitter: LineSplitter, chunk: Buffer) => {
      splitter.push(chunk);
      // The log file cannot keep up (slow disk): read no further until it has caught up (docker then
      // holds the container's output back); memory here stays bounded.
      const log = this.log;
      if (log && !paused && log.backlog > LOG_BACKLOG_LIMIT) {
        paused = true;
        att.follower?.pause();
        log.whenDrained(() => {
          paused = false;
          att.follower?.resume();
        });
      }
    };
    const follower = this.ctx.cli.follow(['start', '--attach', id], {
      onStdout: (c) => take(splitters.stdout, c),
      onStderr: (c) => take(splitters.stderr, c),
    });
    att.follower = follower;
    let followerDone = false;
    void follower.done.then(() => (followerDone = true));

    // 3. Confirm the start and read the pid.
    const started = await this.waitStarted(id, () => followerDone);
    if (!started) {
      await follower.done;
      splitters.stdout.end();
      splitters.stderr.end();
      const docker = held.filter(([s]) => s === 'stderr').map(([, l]) => l).join(' ').replace(/^Error response from daemon: /, '');
      const state = await this.ctx.cli.exec(['inspect', '--format', '{{.State.Error}}', id], { timeoutMs: 30_000 });
      this.remove(att);
      return this.spawnFailed(att, `container of image ${spec.image} did not start: ${state.stdout.trim() || docker || 'no reason given by docker'}`);
    }
    // Only a pid of this machine's process table (a remote engine's pids mean nothing here).
    if (started.pid > 0 && processInContainer(started.pid, id)) att.pid = started.pid;
    att.startedAt = started.startedAt || att.startedAt;
    this._startedAt = att.startedAt;
    this.log?.write(
      `--- ${new Date(att.startedAt).toISOString()} started container ${id.slice(0, 12)} (image ${spec.image}, ${spec.network ?? 'host'} network, attempt ${att.n}) ---`,
    );
    if (att.killRequested) void this.ctx.cli.exec(['kill', id], { timeoutMs: 30_000 });
    launched();
    this.events.emit({ type: 'spawned', pid: att.pid ?? 0, attempt: att.n });
    holding = false;
    for (const [stream, line] of held.splice(0)) this.onLine(stream, line);

    // 4. Run to the end, then the exit status from the engine.
    await follower.done;
    splitters.stdout.end();
    splitters.stderr.end();
    const exit = await this.waitExit(id);
    const signal = exit.signal;
    const how = signal ? `by signal ${signal}` : `with code ${exit.code}`;
    this.onExit(att, exit.code, signal, `container ${att.containerId?.slice(0, 12)} exited ${how}${exit.note ? ` (${exit.note})` : ''}`);
    this.remove(att);
  }

  /** Polls `docker inspect` until the container runs (or ran): its pid and start time; undefined when it never started. */
  private async waitStarted(id: string, attachEnded: () => boolean): Promise<{ pid: number; startedAt: number } | undefined> {
    const deadline = Date.now() + (this.ctx.startTimeoutMs ?? 120_000);
    for (let wait = 25; ; wait = Math.min(500, wait * 2)) {
      const ended = attachEnded();
      const r = await this.ctx.cli.exec(['inspect', '--format', '{{.State.Status}}|{{.State.Pid}}|{{.State.StartedAt}}', id], { timeoutMs: 30_000 });
      if (r.exitCode !== 0 && /no such (container|object)/i.test(r.stderr)) return undefined;
      const [status, pidText, startedText] = r.stdout.trim().split('|');
      const startedAt = Date.parse(startedText ?? '');
      const ran = Number.isFinite(startedAt) && startedAt > Date.UTC(2000, 0, 1);
      if (status === 'running' || status === 'paused' || (ran && status !== 'created')) return { pid: Number(pidText) || 0, startedAt: ran ? startedAt : 0 };
      // Still "created": the start is under way, unless the attached start already gave up.
      if (ended || Date.now() > deadline) return undefined;
      await delay(wait);
    }
  }

  /** The container's exit status; waits (docker wait) if it still runs after its attached output ended. */
  private async waitExit(id: string): Promise<{ code: number | null; signal: string | null; note?: string }> {
    for (let round = 0; ; round++) {
      const r = await this.ctx.cli.exec(['inspect', '--format', EXIT_FORMAT, id], { timeoutMs: 30_000 });
      if (r.exitCode !== 0) {
        if (/no such (container|object)/i.test(r.stderr)) return { code: null, signal: null, note: 'the container was removed outside flowctl' };
        if (round >= 3) return { code: null, signal: null, note: `cannot read the container's exit: ${cliErrorText(r)}` };
        await delay(500);
        continue;
      }
      const [running, codeText, oom, error] = r.stdout.trim().split('|');
      if (running === 'true') {
        // The attached stream ended early (engine restart, the CLI killed…): wait for the container itself.
        await this.ctx.cli.exec(['wait', id], { timeoutMs: 365 * 24 * 3600_000 });
        continue;
      }
      const code = Number(codeText);
      const note = oom === 'true' ? 'killed: out of memory' : error ? error : undefined;
      if (code > 128 && code <= 128 + 64 && SIGNAL_NAMES.has(code - 128)) return { code: null, signal: SIGNAL_NAMES.get(code - 128)!, note };
      return { code: Number.isFinite(code) ? code : null, signal: null, note };
    }
  }

  private remove(att: Attempt): void {
    const id = att.containerId;
    if (!id) return;
    const p = this.ctx.cli
      .exec(['rm', '--force', '--volumes', id], { timeoutMs: 60_000 })
      .then((r) => {
        if (r.exitCode === 0 || /no such container/i.test(r.stderr)) this.ctx.untrack(id);
        else this.log?.write(`--- ${new Date().toISOString()} could not remove container ${id.slice(0, 12)}: ${cliErrorText(r)} ---`);
      })
      .finally(() => this.removals.delete(p));
    this.removals.add(p);
  }

  private spawnFailed(att: Attempt, message: string): void {
    att.hasExited = true;
    this.reportSpawnFailure(message);
  }
}
