// The docker driver: runs components as containers on a Docker engine (through the docker CLI, see
// dockerCli.ts). Every container carries labels naming the run, pipeline, component and the runner that
// started it (pid, start time, pid namespace) plus `flowctl.managed=true`; stopAll removes the run's
// containers, and reapLeftovers removes those of runners that died (only ours: same labels and state
// folder, never a live runner's). Processes inside the run's containers belong to the run (by cgroup).
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildComponentEnv, type ComponentEnvSpec } from '../supervisor/env';
import { isProcessAlive, processStartTime } from '../supervisor/procfs';
import type { BackoffOptions } from '../supervisor/process';
import type { ComponentDriver, ComponentRunSpec, LeftoverReport } from './types';
import { ContainerHandle, cgroupText } from './dockerContainer';
import { DockerCli, checkEngine, cliErrorText, engineProblemMessage, type DockerCliOptions, type EngineCheck } from './dockerCli';
import { LABELS, imageReferenceProblem, scopeOf, type RunnerIdentity } from './dockerArgs';
import { deadRecords, removeRecord, writeRecord } from './dockerRecord';

export { ContainerHandle, processInContainer } from './dockerContainer';
export { LABELS } from './dockerArgs';

/** When images are pulled: never (must be local), missing (pull what is not local; default), always. */
export type PullPolicy = 'never' | 'missing' | 'always';
export const PULL_POLICIES: readonly PullPolicy[] = ['never', 'missing', 'always'];

export interface DockerDriverOptions {
  /** The run's state folder (FLOWCTL_HOME): leftovers are reaped per folder, like process state files. */
  stateDir: string;
  pull?: PullPolicy;
  cli?: DockerCliOptions;
  /** Defaults to process.pid. */
  runnerPid?: number;
  backoff?: BackoffOptions;
  maxRestarts?: number;
  tailLines?: number;
  /** Progress of long work (image pulls), one line each. */
  onProgress?: (message: string) => void;
  /** Longest a single image pull may take (default 15 min). */
  pullTimeoutMs?: number;
  /** The pipeline file (kept in the leftover record, for messages). */
  runnerFile?: string;
}

/** Something that stops the run before it starts; `id` names the component when there is one. */
export interface DockerProblem {
  kind: 'engine' | 'image' | 'volume' | 'spec';
  message: string;
  ids: string[];
  image?: string;
}

/** A component's environment for a container: the flowctl contract without the host's environment (its PATH, HOME… would break the image). */
export function buildContainerEnv(
  spec: ComponentEnvSpec,
  options: { endpoint: string; extraEnv?: Record<string, string> },
): Promise<Record<string, string>> {
  return buildComponentEnv(spec, { endpoint: options.endpoint, parentEnv: {}, extraEnv: options.extraEnv });
}

/** Host name, boot id and pid namespace: a runner pid is only meaningful under the same three. */
export function runnerNamespace(): string {
  const read = (f: string, link = false) => {
    try {
      return link ? fs.readlinkSync(f) : fs.readFileSync(f, 'utf8').trim();
    } catch {
      return '';
    }
  };
  const boot = read('/proc/sys/kernel/random/boot_id');
  const pidNs = read('/proc/self/ns/pid', true).replace(/^pid:\[(\d+)\]$/, '$1');
  return `${os.hostname()}/${boot || '-'}/${pidNs || '-'}`;
}

/** The address of the docker0 bridge on this host (where `host.docker.internal:host-gateway` points by default). */
export function bridgeGatewayAddress(bridge = 'docker0'): string | undefined {
  return os.networkInterfaces()[bridge]?.find((a) => a.family === 'IPv4')?.address;
}

const MAX_PARALLEL_PULLS = 3;

/**
 * Driver instances of this process that may still have containers (created, stopAll not finished). A
 * long-lived process (the extension host) runs many pipelines: containers labelled with this process but
 * with an instance that is no longer here are leftovers of an earlier run of this same process.
 */
const liveInstances = new Set<string>();

export class DockerDriver implements ComponentDriver {
  readonly kind = 'docker' as const;
  readonly cli: DockerCli;
  readonly runner: RunnerIdentity;
  private readonly handles = new Map<string, ContainerHandle>();
  /** Handles forgotten by release() whose container removals may still run (stopAll waits for them). */
  private readonly released = new Set<ContainerHandle>();
  /** Full ids of containers of this driver that exist (created and not yet removed). */
  private readonly live = new Set<string>();
  private dir?: string;
  private engine?: Promise<EngineCheck>;
  /** This driver's leftover record (dockerRecord.ts), while it may have containers. */
  private record?: string;
  /** Why the record could not be written (then a killed runner's containers are found by the next run with containers only). */
  recordError?: string;

  constructor(readonly options: DockerDriverOptions) {
    if (!options?.stateDir) throw new Error('DockerDriver: a state folder (stateDir) is required');
    if (options.pull !== undefined && !PULL_POLICIES.includes(options.pull)) {
      throw new Error(`unknown pull policy "${options.pull}" (use ${PULL_POLICIES.join(', ')})`);
    }
    this.cli = new DockerCli(options.cli);
    const pid = options.runnerPid ?? process.pid;
    this.runner = { pid, startTicks: processStartTime(pid), ns: runnerNamespace(), scope: scopeOf(options.stateDir), instance: crypto.randomUUID() };
  }

  get pullPolicy(): PullPolicy {
    return this.options.pull ?? 'missing';
  }

  /** The engine check, done once per driver. */
  checkEngine(): Promise<EngineCheck> {
    this.engine ??= checkEngine(this.cli);
    return this.engine;
  }

  async preflight(specs: ComponentRunSpec[]): Promise<DockerProblem[]> {
    return this.check(specs);
  }

  /** Everything that must stop the run before it starts: engine, image references, images (pulled by policy), mount sources. */
  async check(specs: ComponentRunSpec[]): Promise<DockerProblem[]> {
    if (specs.length === 0) return [];
    const problems: DockerProblem[] = [];
    const byImage = new Map<string, string[]>();
    for (const s of specs) {
      const bad = imageReferenceProblem(s.image ?? '');
      if (bad) {
        problems.push({ kind: 'spec', ids: [s.id], message: `component ${s.id}: ${s.image ? bad : 'a container component needs an image'}` });
        continue;
      }
      byImage.set(s.image!, [...(byImage.get(s.image!) ?? []), s.id]);
      for (const v of s.volumes ?? []) {
        if (!path.isAbsolute(v.containerPath)) {
          problems.push({ kind: 'volume', ids: [s.id], message: `component ${s.id}: container_path "${v.containerPath}" must be an absolute path` });
        }
        if (!fs.existsSync(v.hostPath)) {
          problems.push({
            kind: 'volume',
            ids: [s.id],
            message: `component ${s.id}: volume host_path ${v.hostPath} does not exist (to be mounted at ${v.containerPath}); create it first`,
          });
        }
      }
    }
    const engine = await this.checkEngine();
    if (!engine.ok) {
      const ids = specs.map((s) => s.id);
      const what =
        ids.length === 1
          ? `component ${ids[0]} (image ${specs[0].image})`
          : `${ids.length} container components (${ids.slice(0, 5).join(', ')}${ids.length > 5 ? ', …' : ''})`;
      problems.unshift({ kind: 'engine', ids, message: engineProblemMessage(engine, what, ids.length > 1) });
      return problems;
    }
    const queue = [...byImage.entries()];
    const worker = async () => {
      for (let next = queue.shift(); next; next = queue.shift()) {
        const [image, ids] = next;
        const message = await this.ensureImage(image, ids);
        if (message) problems.push({ kind: 'image', ids, image, message });
      }
    };
    await Promise.all(Array.from({ length: Math.min(MAX_PARALLEL_PULLS, queue.length) }, worker));
    return problems;
  }

  /** Makes `image` available by the pull policy; returns what went wrong, or undefined. */
  private async ensureImage(image: string, ids: string[]): Promise<string | undefined> {
    const who = `needed by ${ids.join(', ')}`;
    const policy = this.pullPolicy;
    const local = await this.cli.exec(['image', 'inspect', '--format', '{{.Id}}', image], { timeoutMs: 30_000 });
    const present = local.exitCode === 0;
    if (!present && local.exitCode !== 1 && !/no such (image|object)/i.test(local.stderr)) {
      return `cannot look up image ${image} (${who}): ${cliErrorText(local)}`;
    }
    if (policy === 'never') {
      return present
        ? undefined
        : `image ${image} (${who}) is not on this machine, and the pull policy "never" forbids pulling it: build or load it (docker build / docker load), or run with --pull missing`;
    }
    if (present && policy === 'missing') return undefined;
    const progress = this.options.onProgress;
    progress?.(`pulling image ${image} (${who})…`);
    const pulled = await this.cli.exec(['pull', '--', image], {
      timeoutMs: this.options.pullTimeoutMs ?? 15 * 60_000,
      onStdoutLine: progress ? (line) => progress(`${image}: ${line.trim()}`) : undefined,
    });
    if (pulled.exitCode === 0) {
      progress?.(`pulled image ${image}`);
      return undefined;
    }
    const why = cliErrorText(pulled);
    const hint = /no such host|dial tcp|timeout|connection refused|network is unreachable|i\/o timeout/i.test(why)
      ? 'the registry cannot be reached from here'
      : /denied|unauthorized|authentication required|not found|does not exist|manifest unknown/i.test(why)
        ? 'check the name and tag, or `docker login` to the registry'
        : '';
    const fallback = present ? ' (a local copy exists; run with --pull missing to use it)' : ' (build or load it locally, e.g. docker build -t <name> .)';
    return `could not pull image ${image} (${who}): ${why}${hint ? ` — ${hint}` : ''}${fallback}`;
  }

  create(spec: ComponentRunSpec): ContainerHandle {
    if (this.handles.has(spec.id)) throw new Error(`component ${spec.id} already has a container handle in this run`);
    this.writeRecord();
    const handle = new ContainerHandle(spec, {
      cli: this.cli,
      runner: this.runner,
      tmpDir: () => this.tmpDir(),
      track: (id) => this.live.add(id),
      untrack: (id) => this.live.delete(id),
      backoff: this.options.backoff,
      maxRestarts: this.options.maxRestarts,
      tailLines: this.options.tailLines,
    });
    this.handles.set(spec.id, handle);
    liveInstances.add(this.runner.instance!);
    return handle;
  }

  get(id: string): ContainerHandle | undefined {
    return this.handles.get(id);
  }

  /**
   * Forgets the stopped component `id`, so create() can make it again with a new spec (a changed pipeline
   * file, a one-time override). Its container removal, if still running, is finished by stopAll's sweep.
   */
  release(id: string): void {
    const h = this.handles.get(id);
    if (!h) return;
    if (h.state === 'running' || h.state === 'backoff' || h.state === 'stopping') {
      throw new Error(`component ${id} is still running as a container; stop it before it is made anew`);
    }
    this.handles.delete(id);
    this.released.add(h);
  }

  /** Ids of this run's containers that currently exist. */
  containers(): string[] {
    return [...this.live];
  }

  ownsProcess(pid: number): boolean {
    if (this.live.size === 0) return false;
    const text = cgroupText(pid);
    if (!text) return false;
    for (const id of this.live) if (text.includes(id)) return true;
    return false;
  }

  async stopAll(graceMs: number): Promise<void> {
    await Promise.all([...this.handles.values()].map((h) => h.stop(graceMs)));
    await Promise.all([...this.handles.values(), ...this.released].map((h) => h.removalsDone()));
    this.released.clear();
    // Anything of this run still there (a start that raced the stop, a failed removal): remove it now.
    if (this.handles.size > 0 || this.record) {
      const ids = await this.listIds([`label=${LABELS.driver}=${this.runner.instance}`]);
      if (ids.length) await this.cli.exec(['rm', '--force', '--volumes', ...ids], { timeoutMs: 120_000 });
      for (const id of ids) this.live.delete(id);
    }
    if (this.dir) fs.rmSync(this.dir, { recursive: true, force: true });
    this.dir = undefined;
    if (this.live.size === 0) {
      liveInstances.delete(this.runner.instance!);
      if (this.record) removeRecord(this.record);
      this.record = undefined;
    }
  }

  /** Before the first container: a record a later run finds if this runner dies (dockerRecord.ts). */
  private writeRecord(): void {
    if (this.record) return;
    try {
      this.record = writeRecord(this.options.stateDir, {
        version: 1,
        runnerPid: this.runner.pid,
        runnerStartTicks: this.runner.startTicks,
        instance: this.runner.instance!,
        file: this.options.runnerFile,
        createdAt: new Date().toISOString(),
      });
    } catch (err) {
      this.recordError = (err as Error).message;
    }
  }

  killAll(): void {
    for (const h of this.handles.values()) h.kill();
  }

  /**
   * Removes the containers of runners that died (same state folder, same machine and pid namespace, the
   * runner pid gone or reused). Containers of live runners are left alone; containers whose runner cannot
   * be judged from here (another machine or pid namespace) are reported as skipped.
   */
  async reapLeftovers(graceMs = 2_000): Promise<LeftoverReport> {
    const report: LeftoverReport = { reaped: [], skipped: [] };
    const engine = await this.checkEngine();
    if (!engine.ok) return report;
    // Records of dead runners are done with once the engine has been asked (what follows removes their containers).
    const records = deadRecords(this.options.stateDir);
    try {
      return await this.reapByLabel(graceMs, report);
    } finally {
      for (const file of records) removeRecord(file);
    }
  }

  private async reapByLabel(graceMs: number, report: LeftoverReport): Promise<LeftoverReport> {
    const ids = await this.listIds([`label=${LABELS.managed}=true`, `label=${LABELS.scope}=${this.runner.scope}`]);
    if (ids.length === 0) return report;
    const r = await this.cli.exec(['inspect', '--format', '{{.Id}}|{{.State.Running}}|{{json .Config.Labels}}', ...ids], { timeoutMs: 60_000 });
    const victims: Array<{ id: string; running: boolean; component: string; pid?: number }> = [];
    const [myHost, myBoot, myNs] = this.runner.ns.split('/');
    for (const line of r.stdout.split('\n')) {
      const first = line.indexOf('|');
      const second = line.indexOf('|', first + 1);
      if (first < 0 || second < 0) continue;
      const id = line.slice(0, first);
      const running = line.slice(first + 1, second) === 'true';
      let labels: Record<string, string>;
      try {
        labels = JSON.parse(line.slice(second + 1)) ?? {};
      } catch {
        continue;
      }
      if (labels[LABELS.managed] !== 'true' || labels[LABELS.scope] !== this.runner.scope) continue;
      const component = labels[LABELS.component] ?? '';
      const pid = Number(labels[LABELS.runnerPid]);
      const entry = { id: component, containerId: id, pid: Number.isInteger(pid) ? pid : undefined };
      if (this.live.has(id)) continue;
      const [host, boot, ns] = (labels[LABELS.runnerNs] ?? '').split('/');
      if (host !== myHost) {
        report.skipped.push({ ...entry, reason: `started by a runner on another machine (${host || 'unknown'}); remove it there, or with docker rm -f ${id.slice(0, 12)}` });
        continue;
      }
      if (boot === myBoot) {
        if (ns !== myNs) {
          report.skipped.push({ ...entry, reason: `started by a runner in another pid namespace (cannot tell whether it still runs); docker rm -f ${id.slice(0, 12)} removes it` });
          continue;
        }
        if (this.runnerAlive(pid, labels[LABELS.runnerStart])) {
          // A live runner's container is not a leftover, unless the runner is this process and the
          // driver that made it is gone (an earlier run of this same long-lived process).
          const mine = pid === this.runner.pid;
          if (!mine || liveInstances.has(labels[LABELS.driver] ?? '')) continue;
        }
      }
      // Same machine and the runner is gone (or the machine rebooted since).
      victims.push({ id, running, component, pid: entry.pid });
    }
    if (victims.length === 0) return report;
    const running = victims.filter((v) => v.running).map((v) => v.id);
    if (running.length) {
      await this.cli.exec(['stop', '--time', String(Math.max(0, Math.ceil(graceMs / 1000))), ...running], { timeoutMs: graceMs + 60_000 });
    }
    const rm = await this.cli.exec(['rm', '--force', '--volumes', ...victims.map((v) => v.id)], { timeoutMs: 120_000 });
    const gone = new Set(rm.stdout.split('\n').map((s) => s.trim()).filter(Boolean));
    for (const v of victims) {
      if (gone.has(v.id) || rm.exitCode === 0) report.reaped.push({ id: v.component, containerId: v.id, pid: v.pid });
      else report.skipped.push({ id: v.component, containerId: v.id, pid: v.pid, reason: `could not remove it: ${cliErrorText(rm)}` });
    }
    return report;
  }

  private runnerAlive(pid: number, startLabel: string | undefined): boolean {
    if (!Number.isInteger(pid) || pid <= 0) return false;
    if (pid === this.runner.pid && (startLabel ?? '') === String(this.runner.startTicks ?? '')) return true;
    if (!isProcessAlive(pid)) return false;
    if (!startLabel) return true; // no start time recorded: a live pid might be it, leave its containers alone
    return String(processStartTime(pid)) === startLabel;
  }

  private async listIds(filters: string[]): Promise<string[]> {
    const args = ['ps', '--all', '--quiet', '--no-trunc'];
    for (const f of filters) args.push('--filter', f);
    const r = await this.cli.exec(args, { timeoutMs: 60_000 });
    if (r.exitCode !== 0) return [];
    return r.stdout.split('\n').map((s) => s.trim()).filter((s) => /^[0-9a-f]{64}$/.test(s));
  }

  private tmpDir(): string {
    if (!this.dir || !fs.existsSync(this.dir)) this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flowctl-docker-'));
    return this.dir;
  }
}
