// `flowctl deploy --to swarm` / `flowctl undeploy`: translate -o swarm, `docker stack deploy`, then watch
// the hub (through its published port) until every component registered and is healthy; `docker stack
// rm` and wait until nothing of the stack remains. The engine is reached through the docker CLI.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DockerCli, checkEngine, cliErrorText, engineProblemMessage } from '../drivers/dockerCli';
import { flowctlHome } from '../paths';
import { joinHostPort } from '../hostPort';
import { translatePipelineFile, type TranslateResult } from './translate';
import { allHealthy, describeProgress, HubWatcher, summarize, type ComponentProgress } from './hubWatch';
import type { DeployTls } from './types';

export const STACK_NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_-]{0,40}$/;

export interface SwarmDeployOptions {
  file: string;
  /** Stack name (default: the pipeline's name as a DNS label). */
  stack?: string;
  version: string;
  hubImage?: string;
  hubPort?: number;
  /** Host port the hub is published on (default = hubPort). */
  publishPort?: number;
  tls?: DeployTls;
  /** `docker stack deploy --resolve-image` (default always, as docker). */
  resolveImage?: 'always' | 'changed' | 'never';
  /** How long to wait for every component to be healthy (default 5 min; 0 = do not wait). */
  waitMs?: number;
  /** Where the hub's published port is reached from here (default 127.0.0.1). */
  hubAddress?: string;
  /** Where the stack file is kept (default $FLOWCTL_HOME/deploy/<stack>/). */
  stateDir?: string;
  docker?: DockerCli;
  /** Poll interval while watching (default 1 s). */
  pollMs?: number;
}

export type DeployEvent =
  | { type: 'step'; message: string }
  | { type: 'warning'; message: string }
  | { type: 'progress'; components: ComponentProgress[]; line: string; hubReachable: boolean };

export interface DeployOutcome {
  stack: string;
  stackFile: string;
  /** Where `flowctl status` reaches the hub. */
  hubAddress: string;
  hubPort: number;
  /** Every component healthy (false with waitMs 0). */
  ready: boolean;
  components: ComponentProgress[];
  translation: TranslateResult;
}

/** Thrown for a deploy that cannot proceed; `diagnostics` when the pipeline itself is the problem. */
export class DeployError extends Error {
  constructor(
    message: string,
    readonly translation?: TranslateResult,
  ) {
    super(message);
    this.name = 'DeployError';
  }
}

interface StackTask {
  Name: string;
  Image: string;
  CurrentState: string;
  DesiredState: string;
  Error: string;
}

/** Is this engine a swarm manager? Says what to do when not. */
async function requireSwarmManager(docker: DockerCli): Promise<void> {
  const engine = await checkEngine(docker);
  if (!engine.ok) throw new DeployError(engineProblemMessage(engine, 'deploying to Docker Swarm'));
  const r = await docker.exec(['info', '--format', '{{.Swarm.LocalNodeState}}|{{.Swarm.ControlAvailable}}']);
  if (r.exitCode !== 0) throw new DeployError(`cannot ask the Docker engine about its swarm: ${cliErrorText(r)}`);
  const [state, manager] = r.stdout.trim().split('|');
  if (state !== 'active') {
    throw new DeployError(
      `this Docker engine is not part of a swarm (state: ${state || 'unknown'}): run \`docker swarm init\` to make a single-node swarm, or join one`,
    );
  }
  if (manager !== 'true') throw new DeployError('this Docker engine is a swarm worker: deploy from a manager node (docker node ls shows them)');
}

async function stackTasks(docker: DockerCli, stack: string): Promise<StackTask[]> {
  const r = await docker.exec(['stack', 'ps', stack, '--no-trunc', '--format', '{{json .}}']);
  if (r.exitCode !== 0) return [];
  return r.stdout
    .split('\n')
    .filter((l) => l.trim().startsWith('{'))
    .map((l) => JSON.parse(l) as StackTask);
}

/** Errors of tasks the engine could not start (a missing image, a bad mount), one line each. */
function taskProblems(tasks: StackTask[]): string[] {
  const seen = new Set<string>();
  for (const t of tasks) {
    if (!t.Error || (t.DesiredState === 'Shutdown' && !/image|mount|bind|invalid|no such/i.test(t.Error))) continue;
    seen.add(`${t.Name.replace(/\.\d+$/, '')} (${t.Image.replace(/@sha256:.*$/, '')}): ${t.Error}`);
  }
  return [...seen];
}

/** How many times the hub's task may exit with an error before the deploy stops waiting for it. */
const HUB_EXITS_BEFORE_GIVING_UP = 3;

/** Why the hub's task exits: the last error line of its log (bounded), or the last line. */
async function hubFailure(docker: DockerCli, service: string): Promise<string> {
  const r = await docker.exec(['service', 'logs', '--raw', '--tail', '40', service], { timeoutMs: 30_000 });
  const lines = `${r.stdout}\n${r.stderr}`.split('\n').map((l) => l.trim()).filter(Boolean);
  const error = [...lines].reverse().find((l) => /^✗|\berror\b|failed/i.test(l)) ?? lines[lines.length - 1] ?? 'its log is empty';
  return error.replace(/^✗\s*/, '').slice(0, 500);
}

export async function deployToSwarm(opts: SwarmDeployOptions, onEvent: (e: DeployEvent) => void = () => undefined): Promise<DeployOutcome> {
  const docker = opts.docker ?? new DockerCli();
  const hubPort = opts.hubPort ?? 8080;
  const publish = opts.publishPort ?? hubPort;
  if (publish === 0) throw new DeployError('deploy watches the hub through its published port: --publish 0 is for translate only');
  const pipelineFile = path.resolve(opts.file);

  // 1. Translate (into a private folder: the stack file may name secrets).
  const probe = translatePipelineFile(opts.file, { target: 'swarm', version: opts.version, outputDir: path.dirname(pipelineFile) });
  if (!probe.ok || !probe.plan) throw new DeployError(`cannot deploy ${opts.file}: it does not translate`, probe);
  const stack = opts.stack ?? probe.plan.slug;
  if (!STACK_NAME_RE.test(stack)) throw new DeployError(`stack name "${stack}" is not valid: letters, digits, "-" and "_", starting with a letter or digit, at most 41 characters`);
  const dir = opts.stateDir ?? path.join(flowctlHome(), 'deploy', stack);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  fs.chmodSync(dir, 0o700);
  const translation = translatePipelineFile(opts.file, {
    target: 'swarm',
    version: opts.version,
    outputDir: dir,
    hubPort,
    publishPort: publish,
    ...(opts.hubImage ? { hubImage: opts.hubImage } : {}),
    ...(opts.tls ? { tls: opts.tls } : {}),
  });
  if (!translation.ok || !translation.plan || translation.text === undefined) throw new DeployError(`cannot deploy ${opts.file}: it does not translate`, translation);
  const plan = translation.plan;
  const stackFile = path.join(dir, 'stack.yml');
  fs.writeFileSync(stackFile, translation.text, { mode: 0o600 });
  fs.chmodSync(stackFile, 0o600);
  for (const n of translation.notes) onEvent({ type: 'warning', message: n });

  // 2. The engine must be a swarm manager.
  onEvent({ type: 'step', message: 'checking the Docker engine' });
  await requireSwarmManager(docker);

  // 3. docker stack deploy.
  onEvent({ type: 'step', message: `docker stack deploy -c ${stackFile} ${stack}` });
  const deploy = await docker.exec(['stack', 'deploy', '--resolve-image', opts.resolveImage ?? 'always', '--prune', '-c', stackFile, stack], { timeoutMs: 300_000 });
  if (deploy.exitCode !== 0) throw new DeployError(`docker stack deploy failed: ${cliErrorText(deploy)}`, translation);

  const hubAddress = opts.hubAddress ?? '127.0.0.1';
  const outcome: DeployOutcome = { stack, stackFile, hubAddress, hubPort: publish, ready: false, components: [], translation };
  const waitMs = opts.waitMs ?? 300_000;
  if (waitMs <= 0) return outcome;

  // 4. Watch the hub until every component is healthy.
  const wanted = plan.services.filter((s) => s.registers).map((s) => ({ id: s.id, replicas: s.replicas }));
  const tls = opts.tls;
  const watcher = new HubWatcher(joinHostPort(hubAddress, publish), tls ? { caFile: tls.caFile, certFile: tls.clientCertFile, keyFile: tls.clientKeyFile, serverName: tls.serverName ?? plan.hub.name } : undefined);
  const deadline = Date.now() + waitMs;
  const pollMs = opts.pollMs ?? 1000;
  let lastLine = '';
  const problemsSince = new Map<string, number>();
  try {
    for (;;) {
      const entries = await watcher.list();
      const components = summarize(wanted, entries ?? []);
      outcome.components = components;
      const line = entries === undefined ? `waiting for the hub at ${watcher.target}` : describeProgress(components);
      if (line !== lastLine) {
        onEvent({ type: 'progress', components, line, hubReachable: entries !== undefined });
        lastLine = line;
      }
      if (entries !== undefined && allHealthy(components)) {
        outcome.ready = true;
        return outcome;
      }
      // Tasks the engine keeps failing to start (a missing image) will not fix themselves.
      const now = Date.now();
      const tasks = await stackTasks(docker, stack);
      // A hub that keeps exiting (a TLS file it cannot read, a key that does not match its certificate) will not come
      // up either: say why from its own log instead of waiting out the deadline.
      const hubService = `${stack}_${plan.hub.name}`;
      const hubExits = tasks.filter((t) => t.Name.startsWith(`${hubService}.`) && /non-zero exit/.test(t.Error)).length;
      if (entries === undefined && hubExits >= HUB_EXITS_BEFORE_GIVING_UP) {
        throw new DeployError(
          `the hub of ${stack} keeps exiting (${hubExits} times): ${await hubFailure(docker, hubService)}. It stays deployed: fix it and deploy again, ` +
            `or \`flowctl undeploy --stack ${stack}\` (its log: \`docker service logs ${hubService}\`)`,
        );
      }
      const problems = taskProblems(tasks);
      for (const p of problems) {
        if (!problemsSince.has(p)) {
          problemsSince.set(p, now);
          onEvent({ type: 'warning', message: p });
        }
      }
      const stuck = problems.filter((p) => /no such image|image .* not found|pull access denied|manifest unknown|invalid mount|bind source path does not exist/i.test(p) && now - problemsSince.get(p)! >= 15_000);
      if (stuck.length) {
        const hint = stuck.some((p) => p.includes(plan.hub.image)) ? ` (the hub's image: build it with \`npm run image\` or give --hub-image)` : '';
        throw new DeployError(`the stack ${stack} cannot start: ${stuck.join('; ')}${hint}. It stays deployed: fix it and deploy again, or \`flowctl undeploy --stack ${stack}\``);
      }
      if (now >= deadline) {
        throw new DeployError(
          `not every component became healthy within ${Math.round(waitMs / 1000)} s: ${line}. The stack stays deployed; look with ` +
            `\`docker stack ps ${stack}\` and \`flowctl status --control-plane-address ${hubAddress} --control-plane-port ${publish}\``,
        );
      }
      await new Promise((r) => setTimeout(r, pollMs));
    }
  } finally {
    watcher.close();
  }
}

export interface SwarmUndeployOptions {
  stack: string;
  docker?: DockerCli;
  /** Also remove the stack's named volumes (their data). */
  volumes?: boolean;
  /** How long to wait for everything to be gone (default 2 min). */
  waitMs?: number;
}

export interface StackLeftovers {
  services: string[];
  containers: string[];
  networks: string[];
  configs: string[];
  secrets: string[];
  volumes: string[];
}

const NAMESPACE_LABEL = 'com.docker.stack.namespace';

/** Everything the engine still holds for a stack (by docker's stack label). */
export async function stackLeftovers(docker: DockerCli, stack: string): Promise<StackLeftovers> {
  const filter = ['--filter', `label=${NAMESPACE_LABEL}=${stack}`];
  const list = async (args: string[]) => {
    const r = await docker.exec([...args, ...filter]);
    return r.exitCode === 0 ? r.stdout.split('\n').map((s) => s.trim()).filter(Boolean) : [];
  };
  const [services, containers, networks, configs, secrets, volumes] = await Promise.all([
    list(['service', 'ls', '--format', '{{.Name}}']),
    list(['ps', '--all', '--format', '{{.Names}}']),
    list(['network', 'ls', '--format', '{{.Name}}']),
    list(['config', 'ls', '--format', '{{.Name}}']),
    list(['secret', 'ls', '--format', '{{.Name}}']),
    list(['volume', 'ls', '--format', '{{.Name}}']),
  ]);
  return { services, containers, networks, configs, secrets, volumes };
}

export function isEmptyStack(l: StackLeftovers, withVolumes: boolean): boolean {
  return !l.services.length && !l.containers.length && !l.networks.length && !l.configs.length && !l.secrets.length && (!withVolumes || !l.volumes.length);
}

export async function undeployFromSwarm(opts: SwarmUndeployOptions, onEvent: (e: DeployEvent) => void = () => undefined): Promise<StackLeftovers> {
  const docker = opts.docker ?? new DockerCli();
  if (!STACK_NAME_RE.test(opts.stack)) throw new DeployError(`stack name "${opts.stack}" is not valid`);
  await requireSwarmManager(docker);
  const before = await stackLeftovers(docker, opts.stack);
  if (isEmptyStack(before, !!opts.volumes)) throw new DeployError(`no stack named ${opts.stack} is deployed (docker stack ls lists the stacks)`);
  if (before.services.length) {
    onEvent({ type: 'step', message: `docker stack rm ${opts.stack}` });
    const rm = await docker.exec(['stack', 'rm', opts.stack], { timeoutMs: 120_000 });
    if (rm.exitCode !== 0) throw new DeployError(`docker stack rm failed: ${cliErrorText(rm)}`);
  }
  const deadline = Date.now() + (opts.waitMs ?? 120_000);
  let left = before;
  let lastLine = '';
  for (;;) {
    left = await stackLeftovers(docker, opts.stack);
    if (opts.volumes && left.volumes.length && !left.containers.length) {
      await docker.exec(['volume', 'rm', ...left.volumes]);
      left = await stackLeftovers(docker, opts.stack);
    }
    if (isEmptyStack(left, !!opts.volumes)) break;
    const line = `waiting for ${[
      left.services.length && `${left.services.length} service(s)`,
      left.containers.length && `${left.containers.length} container(s)`,
      left.networks.length && `network ${left.networks.join(', ')}`,
      left.configs.length && `${left.configs.length} config(s)`,
      left.secrets.length && `${left.secrets.length} secret(s)`,
    ]
      .filter(Boolean)
      .join(', ')} to go`;
    if (line !== lastLine) onEvent({ type: 'step', message: line });
    lastLine = line;
    if (Date.now() >= deadline) throw new DeployError(`${opts.stack} was removed, but the engine still holds: ${line.replace(/^waiting for | to go$/g, '')}`);
    await new Promise((r) => setTimeout(r, 500));
  }
  if (!opts.volumes && left.volumes.length) {
    onEvent({ type: 'warning', message: `named volumes kept (their data): ${left.volumes.join(', ')}; \`flowctl undeploy --stack ${opts.stack} --volumes\` removes them` });
  }
  return left;
}
