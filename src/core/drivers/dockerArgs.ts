// Pure parts of the docker driver: the labels every container carries, image reference checks, and the
// `docker create` command line for one component. Nothing here talks to an engine.
import * as crypto from 'node:crypto';
import * as path from 'node:path';
import { listenOnEveryInterface } from '../dataplane/endpoint';
import type { ComponentRunSpec, PortMapping, VolumeMount } from './types';

/** Label keys on every container a flowctl run starts. `flowctl.managed=true` marks them as ours. */
export const LABELS = {
  managed: 'flowctl.managed',
  run: 'flowctl.run',
  pipeline: 'flowctl.pipeline',
  component: 'flowctl.component',
  attempt: 'flowctl.attempt',
  /** pid of the runner (in the pid namespace named by runner.ns). */
  runnerPid: 'flowctl.runner.pid',
  /** /proc start time of the runner, so a reused pid is not taken for a live runner. */
  runnerStart: 'flowctl.runner.start',
  /** boot id + pid namespace of the runner: a pid means nothing in another namespace or after a reboot. */
  runnerNs: 'flowctl.runner.ns',
  /** Random id of the driver instance that created it (its final sweep removes exactly its own). */
  driver: 'flowctl.driver',
  /** Hash of the runner's state folder (FLOWCTL_HOME): leftovers are reaped per home, like process state files. */
  scope: 'flowctl.scope',
} as const;

/** Who started a container: what reapLeftovers needs to tell a dead runner from a live one. */
export interface RunnerIdentity {
  pid: number;
  startTicks?: number;
  ns: string;
  scope: string;
  /** Random id of the driver instance. */
  instance?: string;
}

/** The scope label value for a state folder. */
export function scopeOf(stateDir: string): string {
  return crypto.createHash('sha256').update(path.resolve(stateDir)).digest('hex').slice(0, 16);
}

// Docker's reference grammar (distribution/reference): [domain[:port]/]path[:tag][@digest].
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*(?::[0-9]+)?)`;
const PATH_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*';
const TAG = '[\\w][\\w.-]{0,127}';
const DIGEST = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';
const REFERENCE_RE = new RegExp(`^(?:${DOMAIN}/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*(?::${TAG})?(?:@${DIGEST})?$`);
export const MAX_IMAGE_REFERENCE = 512;

/** Why `ref` is not an image reference docker accepts, or undefined when it is fine. */
export function imageReferenceProblem(ref: string): string | undefined {
  if (typeof ref !== 'string' || ref.trim() === '') return 'the image is empty';
  if (ref.length > MAX_IMAGE_REFERENCE) return `image reference is longer than ${MAX_IMAGE_REFERENCE} characters`;
  if (/\s/.test(ref)) return `image "${ref}" contains whitespace`;
  if (ref.startsWith('-')) return `image "${ref}" starts with "-"`;
  if (REFERENCE_RE.test(ref)) return undefined;
  // Say why when it is the usual mistake: capitals in the repository (a registry host may have them).
  const name = ref.replace(/@.*$/, '').replace(/:[^/]*$/, '');
  const parts = name.split('/');
  if (parts.length > 1 && (/[.:]/.test(parts[0]) || parts[0] === 'localhost')) parts.shift();
  if (parts.some((p) => /[A-Z]/.test(p))) return `image "${ref}": repository names must be lowercase`;
  return `"${ref}" is not a valid image reference (expected [registry/]name[:tag][@digest])`;
}

/** Environment variable names the docker CLI reads itself: their values go through a private env file instead. */
const CLI_ENV = /^(?:DOCKER_.*|HOME|PATH|TMPDIR|USER|XDG_.*|SSH_AUTH_SOCK|(?:HTTPS?|NO|ALL)_PROXY|(?:https?|no|all)_proxy)$/;

export interface EnvPlan {
  /** Passed as `-e NAME`, the value taken from the CLI's own environment (values never appear in argv). */
  inherit: Record<string, string>;
  /** Names the CLI itself reads; written to a 0600 env file (`--env-file`). */
  file: Record<string, string>;
  problems: string[];
}

/** Splits the component environment between `-e NAME` (value in the CLI's env) and an env file. */
export function planEnv(env: Record<string, string>): EnvPlan {
  const plan: EnvPlan = { inherit: {}, file: {}, problems: [] };
  for (const [name, value] of Object.entries(env)) {
    if (!name || name.includes('=') || name.includes('\0') || /\s/.test(name)) {
      plan.problems.push(`environment variable name ${JSON.stringify(name)} is not valid (no "=", spaces or NUL)`);
      continue;
    }
    if (typeof value !== 'string' || value.includes('\0')) {
      plan.problems.push(`environment variable ${name} has a NUL byte in its value`);
      continue;
    }
    if (CLI_ENV.test(name)) {
      if (/[\r\n]/.test(value)) {
        plan.problems.push(`environment variable ${name} cannot hold a line break in a container (docker reads it from an env file)`);
        continue;
      }
      plan.file[name] = value;
    } else {
      plan.inherit[name] = value;
    }
  }
  return plan;
}

/** The text of an env file for `--env-file` (one NAME=value per line, nothing interpreted). */
export function envFileText(vars: Record<string, string>): string {
  return Object.entries(vars)
    .map(([k, v]) => `${k}=${v}\n`)
    .join('');
}

/** One field of a `--mount` value: quoted CSV when it holds a comma or a quote. */
function csvField(field: string): string {
  return /[",\r\n]/.test(field) || field !== field.trim() ? `"${field.replace(/"/g, '""')}"` : field;
}

/** `$HOME`, `${HOME}`, `~`, `$PWD`, `${PWD}` expanded; relative paths resolve against `cwd`. */
export function expandHostPath(p: string, cwd: string, home: string): string {
  let out = p.replace(/\$\{HOME\}|\$HOME(?![A-Za-z0-9_])/g, home).replace(/\$\{PWD\}|\$PWD(?![A-Za-z0-9_])/g, cwd);
  if (out === '~') out = home;
  else if (out.startsWith('~/')) out = path.join(home, out.slice(2));
  return path.resolve(cwd, out);
}

export function mountArg(v: VolumeMount): string {
  const fields = ['type=bind', `source=${v.hostPath}`, `target=${v.containerPath}`];
  if (v.readonly) fields.push('readonly');
  return fields.map(csvField).join(',');
}

/** `-p` value: published on loopback only (a component's port is not opened to the network unless asked). */
export function publishArg(p: PortMapping): string {
  return `127.0.0.1:${p.hostPort ?? p.containerPort}:${p.containerPort}/${p.protocol ?? 'tcp'}`;
}

const LOOPBACK_ENDPOINT = /^(?:127(?:\.\d{1,3}){3}|localhost|\[::1\]|::1)(:\d+)$/;

/** In bridge mode the control plane is reached through the host gateway name instead of loopback. */
export function bridgeEndpoint(endpoint: string): string {
  const m = LOOPBACK_ENDPOINT.exec(endpoint.trim());
  return m ? `${HOST_GATEWAY_NAME}${m[1]}` : endpoint;
}
export const HOST_GATEWAY_NAME = 'host.docker.internal';

/** Where a bridge container finds the control plane's unix socket (mounted from the host). */
export const CONTAINER_CONTROL_SOCKET = '/run/flowctl/control.sock';

/**
 * The environment as the container gets it. In bridge mode a loopback FLOWCTL_ENDPOINT cannot be reached
 * from the container: it becomes the mounted control socket (`unix:///run/flowctl/control.sock`, which
 * grpc-go and grpc-js dial as is) when the runner gives one, else the host gateway name (the control
 * plane must then listen on an address the bridge reaches, e.g. --control-plane-address 0.0.0.0). A PORT
 * without a host becomes 0.0.0.0:port there, so that the published port reaches the data plane.
 */
export function containerEnvironment(spec: Pick<ComponentRunSpec, 'env' | 'network' | 'controlSocket'>): Record<string, string> {
  const endpoint = spec.env.FLOWCTL_ENDPOINT;
  if ((spec.network ?? 'host') !== 'bridge') return spec.env;
  // On a bridge the published port reaches the container's own interface, not its loopback.
  const env = spec.env.PORT === undefined ? spec.env : { ...spec.env, PORT: listenOnEveryInterface(spec.env.PORT) };
  if (endpoint === undefined) return env;
  if (spec.controlSocket && LOOPBACK_ENDPOINT.test(endpoint.trim())) return { ...env, FLOWCTL_ENDPOINT: `unix://${CONTAINER_CONTROL_SOCKET}` };
  return { ...env, FLOWCTL_ENDPOINT: bridgeEndpoint(endpoint) };
}

/** A container name docker accepts, recognisable in `docker ps`: flowctl-<pipeline>-<component>-<run>-<attempt>. */
export function containerName(spec: Pick<ComponentRunSpec, 'pipeline' | 'id' | 'runId'>, attempt: number, suffix = ''): string {
  const slug = (s: string, max: number) =>
    s
      .toLowerCase()
      .replace(/[^a-z0-9_.-]+/g, '-')
      .replace(/^[^a-z0-9]+|-+$/g, '')
      .slice(0, max) || 'x';
  const run = spec.runId.replace(/[^a-zA-Z0-9]/g, '').slice(0, 8) || 'run';
  return `flowctl-${slug(spec.pipeline, 40)}-${slug(spec.id, 60)}-${run}-${attempt}${suffix ? `-${suffix}` : ''}`;
}

export interface RunArgsInput {
  spec: ComponentRunSpec;
  attempt: number;
  runner: RunnerIdentity;
  /** Where docker writes the new container's id (kept even when the command fails after creating it). */
  cidFile: string;
  /** An env file for the variables in EnvPlan.file (undefined when there are none). */
  envFile?: string;
  envPlan: EnvPlan;
  /** Appended to the container name (after a name conflict). */
  nameSuffix?: string;
}

/** The full `docker create` argument list (without "docker"); the values of env vars are not in it. The container is then started with `docker start --attach`. */
export function runArgs(input: RunArgsInput): string[] {
  const { spec, attempt, runner } = input;
  const network = spec.network ?? 'host';
  const labels: Record<string, string> = {
    [LABELS.managed]: 'true',
    [LABELS.run]: spec.runId,
    [LABELS.pipeline]: spec.pipeline,
    [LABELS.component]: spec.id,
    [LABELS.attempt]: String(attempt),
    [LABELS.runnerPid]: String(runner.pid),
    [LABELS.runnerStart]: runner.startTicks === undefined ? '' : String(runner.startTicks),
    [LABELS.runnerNs]: runner.ns,
    [LABELS.scope]: runner.scope,
    [LABELS.driver]: runner.instance ?? '',
  };
  const args = ['create', '--cidfile', input.cidFile, '--name', containerName(spec, attempt, input.nameSuffix)];
  for (const [k, v] of Object.entries(labels)) args.push('--label', `${k}=${v}`);
  args.push(
    // Restarts are ours (restart_policy with our backoff); docker's own policy stays off.
    '--restart',
    'no',
    // An init process forwards docker stop's SIGTERM to the component and reaps its zombies.
    '--init',
    // Images were pulled (or not) by preflight, by policy; a create never pulls behind the user's back.
    '--pull',
    'never',
    // `docker logs` must work whatever the engine's default driver is; bounded, and removed with the container.
    '--log-driver',
    'json-file',
    '--log-opt',
    'max-size=10m',
    '--log-opt',
    'max-file=2',
    '--network',
    network,
  );
  if (network === 'bridge') {
    args.push('--add-host', `${HOST_GATEWAY_NAME}:host-gateway`);
    for (const p of spec.ports ?? []) args.push('--publish', publishArg(p));
    if (spec.controlSocket) args.push('--mount', mountArg({ hostPath: spec.controlSocket, containerPath: CONTAINER_CONTROL_SOCKET }));
  }
  for (const v of spec.volumes ?? []) args.push('--mount', mountArg(v));
  if (input.envFile) args.push('--env-file', input.envFile);
  for (const name of Object.keys(input.envPlan.inherit)) args.push('--env', name);
  const command = spec.command ?? [];
  if (command.length > 0) args.push('--entrypoint', command[0]);
  args.push('--', spec.image ?? '');
  args.push(...command.slice(1), ...(spec.args ?? []));
  return args;
}
