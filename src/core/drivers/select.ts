// Which driver runs each component (pure: no engine, no file system).
//
//   - The pipeline's mode comes from `--orchestrator` when given, else `spec.driver`:
//     docker/container → docker mode; process/local/nothing → process mode. flowctl ignores
//     kubernetes/k8s/nomad in `flowctl run` (its orchestrator flag decides); so do we, with a warning.
//   - docker mode: every component with an `image` runs as a container (a `command` then overrides the
//     image's entrypoint); components with only a command run as processes.
//   - process mode: a component with a `command` runs as a process (its image is not used); one with an
//     `image` and no command runs as a container (mixed pipelines).
//   - spec.pipelines entries are black boxes: a container when they have an image and no command.
// Each problem comes with file:line:column from the positions the pipeline model carries.
import * as path from 'node:path';
import { DiagnosticBag, type Diagnostic } from '../pipeline/diagnostics';
import { allComponents, isRegistryReference, locAt, SECTION_OF_ROLE, type ComponentSpec, type Pipeline, type Range } from '../pipeline/model';
import { expandHostPath, imageReferenceProblem } from './dockerArgs';
import type { DriverKind, PortMapping, VolumeMount } from './types';

export type PipelineMode = 'process' | 'docker';

/** `--orchestrator` / `spec.driver` values and the mode each means (undefined: not one we run). */
export function modeOf(value: string | undefined): PipelineMode | undefined {
  switch ((value ?? '').trim().toLowerCase()) {
    case '':
    case 'process':
    case 'local':
      return 'process';
    case 'docker':
    case 'container':
      return 'docker';
    default:
      return undefined;
  }
}

export const ORCHESTRATORS = ['process', 'local', 'docker', 'container'] as const;

/** The error for a bad `--orchestrator` value (flowctl: "unknown orchestrator type: <t>"), or undefined when fine. */
export function orchestratorFlagProblem(value: string): string | undefined {
  if (modeOf(value)) return undefined;
  return `unknown orchestrator type: ${value} (use process or docker; "container" is the same as docker)`;
}

export interface SelectOptions {
  /** `--orchestrator` (overrides spec.driver). */
  orchestrator?: string;
  /** Container networking for every container component (default host, like flowctl). */
  network?: 'host' | 'bridge';
}

export interface DriverSelection {
  mode: PipelineMode;
  /** Where the mode came from, for messages. */
  modeFrom: 'flag' | 'spec.driver' | 'default';
  /** The driver of each runnable component (components with nothing to run are absent). */
  drivers: Map<string, DriverKind>;
  /** Ids that run as containers, in YAML order. */
  containers: string[];
  diagnostics: Diagnostic[];
}

const hasCommand = (c: ComponentSpec) => (c.command?.length ?? 0) > 0 && !!c.command![0];

function fieldOf(c: ComponentSpec, ...rest: (string | number)[]): string {
  let f = `spec.${SECTION_OF_ROLE[c.role]}[${c.index}]`;
  for (const r of rest) f += typeof r === 'number' ? `[${r}]` : `.${r}`;
  return f;
}

/** The value at path, or the closest located ancestor, or the item itself. */
function at(c: ComponentSpec, ...p: (string | number)[]): Range {
  for (let n = p.length; n > 0; n--) {
    const loc = locAt(c.loc, ...p.slice(0, n));
    if (loc) return loc.value;
  }
  return { ...c.range, endLine: c.range.line, endColumn: c.range.column + 1 };
}

export function selectDrivers(pipeline: Pipeline, opts: SelectOptions = {}): DriverSelection {
  const bag = new DiagnosticBag(pipeline.file);
  const flag = opts.orchestrator?.trim();
  const driver = pipeline.spec.driver?.trim();
  let mode: PipelineMode = 'process';
  let modeFrom: DriverSelection['modeFrom'] = 'default';
  if (flag) {
    // A bad flag is the caller's to report (orchestratorFlagProblem): it has no place in the file.
    mode = modeOf(flag) ?? 'process';
    modeFrom = 'flag';
  } else if (driver) {
    const m = modeOf(driver);
    modeFrom = 'spec.driver';
    if (m) mode = m;
    else {
      const loc = locAt(pipeline.loc, 'spec', 'driver');
      bag.warning({
        code: 'driver-unsupported',
        message: `driver "${driver}" is not run here: components with a command run as processes, those with only an image as containers`,
        at: loc?.value ?? { line: 1, column: 1, endLine: 1, endColumn: 1 },
        field: 'spec.driver',
        hint: 'flowctl run ignores spec.driver too (its --orchestrator flag decides); write driver: docker or driver: process',
      });
    }
  }

  const drivers = new Map<string, DriverKind>();
  const containers: string[] = [];
  for (const c of allComponents(pipeline)) {
    const cmd = hasCommand(c);
    const image = !!c.image;
    let kind: DriverKind | undefined;
    if (image && (!cmd || mode === 'docker')) kind = 'docker';
    else if (cmd) kind = 'process';
    if (!kind) {
      if (c.id) {
        const what = isRegistryReference(c.type) ? `registry component ${c.type}` : c.type ? `type ${c.type}` : 'nothing';
        bag.error({
          code: 'nothing-to-run',
          message: `${c.role} ${c.id} has nothing to run (${what}, no command and no image)`,
          at: c.type ? at(c, 'type') : at(c, 'id'),
          field: fieldOf(c, 'command'),
          fix: 'give it a `command` that starts a local build, or an `image` to run as a container',
        });
      }
      continue;
    }
    if (c.id) drivers.set(c.id, kind);
    if (kind === 'docker') {
      if (c.id) containers.push(c.id);
      checkContainer(bag, c, opts.network ?? 'host');
    } else {
      checkProcess(bag, c);
    }
  }
  return { mode, modeFrom, drivers, containers, diagnostics: bag.items };
}

function checkContainer(bag: DiagnosticBag, c: ComponentSpec, network: 'host' | 'bridge'): void {
  const problem = imageReferenceProblem(c.image!);
  if (problem) {
    bag.error({ code: 'image-reference', message: `${c.id}: ${problem}`, at: at(c, 'image'), field: fieldOf(c, 'image'), fix: 'write it as [registry/]name[:tag], e.g. docker.io/org/name:1.0' });
  }
  (c.volumes ?? []).forEach((v, i) => {
    const target = v.container_path ?? v.mountPath;
    if (!v.host_path) {
      bag.error({
        code: 'volume-host-path',
        message: `${c.id}: volume ${v.name ? `"${v.name}" ` : ''}has no host_path; only host folders and files can be mounted`,
        at: at(c, 'volumes', i),
        field: fieldOf(c, 'volumes', i, 'host_path'),
        fix: 'add `host_path: ./data` (relative to the pipeline folder; $HOME and $PWD are expanded)',
      });
    }
    if (!target) {
      bag.error({
        code: 'volume-container-path',
        message: `${c.id}: volume ${v.host_path ?? v.name ?? `#${i + 1}`} has no container_path`,
        at: at(c, 'volumes', i),
        field: fieldOf(c, 'volumes', i, 'container_path'),
        fix: 'add `container_path: /data` (where it appears inside the container)',
      });
    } else if (!target.startsWith('/')) {
      const key = v.container_path !== undefined ? 'container_path' : 'mountPath';
      bag.error({
        code: 'volume-container-path',
        message: `${c.id}: container_path "${target}" must be an absolute path`,
        at: at(c, 'volumes', i, key),
        field: fieldOf(c, 'volumes', i, key),
        fix: `write /${target.replace(/^\.?\/*/, '')}`,
      });
    }
  });
  (c.ports ?? []).forEach((p, i) => {
    if (network === 'host') {
      // Not a mistake (flowctl's files list ports for its other orchestrators): a hint, not a warning.
      bag.hint({
        code: 'ports-host-network',
        message: `${c.id}: ports are not published with host networking (the container uses the host's ports directly)`,
        at: at(c, 'ports', i),
        field: fieldOf(c, 'ports', i),
        hint: 'nothing to do: the component listens on this machine as a process would',
      });
      return;
    }
    if (p.containerPort === undefined) {
      bag.error({ code: 'port-container', message: `${c.id}: port #${i + 1} has no containerPort`, at: at(c, 'ports', i), field: fieldOf(c, 'ports', i, 'containerPort'), fix: 'add `containerPort: 50051`' });
    }
    if (p.protocol && !['tcp', 'udp'].includes(p.protocol.toLowerCase())) {
      bag.error({ code: 'port-protocol', message: `${c.id}: only TCP and UDP ports can be published, not ${p.protocol}`, at: at(c, 'ports', i, 'protocol'), field: fieldOf(c, 'ports', i, 'protocol'), fix: 'use protocol: TCP or UDP' });
    }
  });
}

function checkProcess(bag: DiagnosticBag, c: ComponentSpec): void {
  for (const key of ['volumes', 'ports'] as const) {
    if ((c[key]?.length ?? 0) === 0) continue;
    bag.warning({
      code: `${key}-process`,
      message: `${c.id}: ${key} are ignored: it runs as a process${c.image ? ' (its command wins over its image)' : ''}`,
      at: at(c, key),
      field: fieldOf(c, key),
      hint: c.image ? 'run with --orchestrator docker (or spec.driver: docker) to run it as a container' : 'a process uses the host folders and ports directly',
    });
  }
}

/** The component's volumes as mounts (host paths expanded: $HOME, $PWD, ~, relative to `cwd`), plus file/dir secrets read-only. */
export function containerMounts(c: ComponentSpec, cwd: string, home: string): VolumeMount[] {
  const out: VolumeMount[] = [];
  for (const v of c.volumes ?? []) {
    const target = v.container_path ?? v.mountPath;
    if (!v.host_path || !target) continue;
    out.push({ hostPath: expandHostPath(v.host_path, cwd, home), containerPath: path.posix.normalize(target), readonly: v.readonly === true });
  }
  for (const s of c.secrets ?? []) {
    if (!s.host_path || !s.container_path) continue;
    if (s.type !== undefined && s.type !== 'file' && s.type !== 'dir') continue;
    out.push({ hostPath: expandHostPath(s.host_path, cwd, home), containerPath: path.posix.normalize(s.container_path), readonly: true });
  }
  return out;
}

/** The component's ports as published ports (hostPort defaults to containerPort; bound to 127.0.0.1). */
export function containerPorts(c: ComponentSpec): PortMapping[] {
  const out: PortMapping[] = [];
  for (const p of c.ports ?? []) {
    if (p.containerPort === undefined) continue;
    const protocol = (p.protocol ?? 'tcp').toLowerCase();
    if (protocol !== 'tcp' && protocol !== 'udp') continue;
    out.push({ containerPort: p.containerPort, ...(p.hostPort !== undefined ? { hostPort: p.hostPort } : {}), protocol });
  }
  return out;
}
