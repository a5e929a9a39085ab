// A pipeline → a deployment plan: the hub and one service per component, with every problem that
// stops a translation reported at its place in the pipeline file (file:line:column).
import * as crypto from 'node:crypto';
import * as os from 'node:os';
import * as path from 'node:path';
import type { DiagnosticBag } from '../pipeline/diagnostics';
import { allComponents, locAt, SECTION_OF_ROLE, type ComponentSpec, type Pipeline, type Range } from '../pipeline/model';
import { imageReferenceProblem } from '../drivers/dockerArgs';
import { clusterEnv, TLS_FILES, tlsPathInContainer } from './env';
import { assignNames, dnsLabel, prefixed, slug as slugOf } from './names';
import {
  CLUSTER_DEFAULTS,
  IN_CONTAINER,
  type DeployPlan,
  type HealthPlan,
  type MountPlan,
  type PortPlan,
  type RestartPolicy,
  type SecretPlan,
  type ServicePlan,
  type TranslateOptions,
} from './types';

/** Stands for `${HOME}` in a compose bind source until the compose writer has escaped every other `$`. */
export const HOME_TOKEN = '\uE000HOME\uE000';

const HUB_NAME = 'flowctl-hub';

function fieldOf(c: ComponentSpec, ...rest: (string | number)[]): string {
  let f = `spec.${SECTION_OF_ROLE[c.role]}[${c.index}]`;
  for (const r of rest) f += typeof r === 'number' ? `[${r}]` : `.${r}`;
  return f;
}

/** The item's `- id:` line. */
function headOf(c: ComponentSpec): Range {
  const first = Object.values(c.loc.entries ?? {})[0]?.key;
  if (first && first.line === c.range.line) return { ...c.range, endLine: first.endLine, endColumn: first.endColumn };
  return { ...c.range, endLine: c.range.line, endColumn: c.range.column + 1 };
}

function valueAt(c: ComponentSpec, ...p: (string | number)[]): Range {
  for (let n = p.length; n > 0; n--) {
    const loc = locAt(c.loc, ...p.slice(0, n));
    if (loc) return loc.value;
  }
  return headOf(c);
}

function label(c: ComponentSpec): string {
  return `${c.role} "${c.id}"`;
}

/** A path relative to the output folder, written so compose reads it as relative (`./x`, `../x`). */
function relativeTo(dir: string, file: string): string {
  const rel = path.relative(dir, file).split(path.sep).join('/');
  if (rel === '') return '.';
  return rel.startsWith('../') || rel === '..' ? rel : `./${rel}`;
}

export interface PlanInput {
  pipeline: Pipeline;
  /** The pipeline file's text (the hub gets it unchanged). */
  text: string;
  bag: DiagnosticBag;
  options: TranslateOptions;
}

export function buildPlan(input: PlanInput): DeployPlan | undefined {
  const { pipeline, text, bag, options } = input;
  const target = options.target;
  const outputDir = path.resolve(options.outputDir ?? process.cwd());
  const home = options.home ?? os.homedir();
  const slug = slugOf(pipeline.metadata.name || 'pipeline', 22);
  const notes: string[] = [];
  const components = allComponents(pipeline).filter((c) => c.id);
  const hubName = target === 'kubernetes' ? prefixed(slug, 'hub') : HUB_NAME;
  const names = assignNames(
    components.map((c) => c.id),
    [HUB_NAME, 'hub'],
  );
  const objectName = (id: string) => (target === 'kubernetes' ? prefixed(slug, names.get(id)!) : names.get(id)!);
  const hubPort = options.hubPort ?? CLUSTER_DEFAULTS.hubPort;
  const hubEndpoint = `${hubName}:${hubPort}`;
  let errors = 0;
  const error = (c: ComponentSpec, message: string, at: Range, field: string, fix: string) => {
    errors++;
    bag.error({ code: 'translate', message, at, field, fix });
  };
  const warn = (c: ComponentSpec, message: string, at: Range, field: string, hint: string) =>
    bag.warning({ code: 'translate', message: `${label(c)}: ${message}`, at, field, hint });

  // TLS files: compose/swarm secrets name them relative to the output file; Kubernetes notes name them absolutely.
  const tlsPath = (f: string) => (target === 'kubernetes' ? path.resolve(f) : relativeTo(outputDir, path.resolve(f)));
  const tls = options.tls
    ? {
        ...options.tls,
        certFile: tlsPath(options.tls.certFile),
        keyFile: tlsPath(options.tls.keyFile),
        caFile: tlsPath(options.tls.caFile),
        clientCertFile: tlsPath(options.tls.clientCertFile),
        clientKeyFile: tlsPath(options.tls.clientKeyFile),
        files: {
          cert: tlsPathInContainer(TLS_FILES.cert),
          key: tlsPathInContainer(TLS_FILES.key),
          ca: tlsPathInContainer(TLS_FILES.ca),
          clientCert: tlsPathInContainer(TLS_FILES.clientCert),
          clientKey: tlsPathInContainer(TLS_FILES.clientKey),
        },
      }
    : undefined;
  const serverName = options.tls?.serverName ?? hubName;

  const services: ServicePlan[] = [];
  for (const c of components) {
    if (!c.image) {
      error(
        c,
        `${label(c)} has no image: a cluster runs every component from an image`,
        headOf(c),
        fieldOf(c, 'image'),
        c.command?.length
          ? 'add `image: …` with the program in it; its `command` then runs inside that image'
          : 'add `image: …` (e.g. a docker.io/withobsrvr/… image for a flowctl registry component)',
      );
      continue;
    }
    const imageProblem = imageReferenceProblem(c.image);
    if (imageProblem) {
      error(c, `${label(c)}: ${imageProblem}`, valueAt(c, 'image'), fieldOf(c, 'image'), 'write a reference such as registry.example/team/name:tag');
      continue;
    }
    const { env, dataPort, healthPort } = clusterEnv(c, {
      hubEndpoint,
      tls: tls ? { caFile: tls.files.ca, certFile: tls.files.clientCert, keyFile: tls.files.clientKey, serverName } : undefined,
    });

    const replicas = c.replicas ?? 1;
    if (replicas === 0) {
      warn(c, 'replicas: 0 deploys it stopped', valueAt(c, 'replicas'), fieldOf(c, 'replicas'), 'the hub reports it as waiting until it is scaled up');
    }
    const restart = (c.restart_policy ?? 'on-failure') as RestartPolicy;
    if (target === 'kubernetes' && (restart === 'no' || restart === 'on-failure') && c.restart_policy !== undefined) {
      warn(
        c,
        `restart_policy "${restart}" cannot be kept: a Kubernetes Deployment always restarts its pods`,
        valueAt(c, 'restart_policy'),
        fieldOf(c, 'restart_policy'),
        'a component that is meant to finish (a batch source) belongs in a Job; edit the generated manifest',
      );
    }

    const mounts: MountPlan[] = [];
    (c.volumes ?? []).forEach((v, i) => {
      const targetPath = v.container_path ?? v.mountPath;
      if (!targetPath) {
        error(c, `${label(c)}: volume ${i + 1} has no container_path`, valueAt(c, 'volumes', i), fieldOf(c, 'volumes', i, 'container_path'), 'add `container_path: /path/in/the/container`');
        return;
      }
      if (v.host_path) {
        mounts.push({ kind: 'bind', source: hostPath(v.host_path, target, pipeline.dir, outputDir, home), target: targetPath, readonly: !!v.readonly });
      } else if (v.name) {
        mounts.push({ kind: 'volume', source: dnsLabel(v.name), target: targetPath, readonly: !!v.readonly });
      } else {
        error(c, `${label(c)}: volume ${i + 1} has neither host_path nor name`, valueAt(c, 'volumes', i), fieldOf(c, 'volumes', i, 'host_path'), 'add `host_path: …` (a bind mount) or `name: …` (a named volume)');
      }
    });

    const secrets: SecretPlan[] = [];
    (c.secrets ?? []).forEach((s, i) => {
      const type = s.type ?? 'file';
      if (type !== 'file' && type !== 'dir') {
        warn(c, `secret ${s.name ?? i + 1} of type "${type}" is not translated`, valueAt(c, 'secrets', i), fieldOf(c, 'secrets', i, 'type'), 'set it with the orchestrator\'s own secret store');
        return;
      }
      if (!s.container_path || (!s.host_path && (target !== 'kubernetes' || type === 'dir'))) {
        error(c, `${label(c)}: secret ${s.name ?? i + 1} needs host_path and container_path`, valueAt(c, 'secrets', i), fieldOf(c, 'secrets', i), 'add `host_path: …` and `container_path: …`');
        return;
      }
      const name = dnsLabel(`${c.id}-${s.name ?? `secret-${i + 1}`}`);
      if (type === 'dir') {
        // A folder cannot be a compose secret: mounted read-only, as flowctl does with file and dir secrets.
        mounts.push({ kind: 'bind', source: hostPath(s.host_path!, target, pipeline.dir, outputDir, home), target: s.container_path, readonly: true });
        return;
      }
      const plan: SecretPlan = { name, target: s.container_path };
      if (s.host_path) plan.file = target === 'kubernetes' ? s.host_path : relativeTo(outputDir, path.resolve(pipeline.dir, s.host_path));
      if (s.mode && /^0?[0-7]{3}$/.test(s.mode)) plan.mode = parseInt(s.mode, 8);
      secrets.push(plan);
    });

    const ports: PortPlan[] = [];
    (c.ports ?? []).forEach((p, i) => {
      if (p.containerPort === undefined) {
        error(c, `${label(c)}: port ${i + 1} has no containerPort`, valueAt(c, 'ports', i), fieldOf(c, 'ports', i, 'containerPort'), 'add `containerPort: <port>`');
        return;
      }
      const protocol = (p.protocol ?? 'TCP').toLowerCase();
      const port: PortPlan = { target: p.containerPort, protocol: protocol === 'udp' ? 'udp' : protocol === 'sctp' ? 'sctp' : 'tcp' };
      if (p.hostPort !== undefined) {
        port.published = p.hostPort;
        if (replicas > 1 && target !== 'kubernetes') {
          warn(c, `port ${p.hostPort} is published on the host by ${replicas} replicas`, valueAt(c, 'ports', i, 'hostPort'), fieldOf(c, 'ports', i, 'hostPort'), 'only one replica per node can publish it; drop hostPort or run one replica');
        }
      }
      ports.push(port);
    });

    const health = healthOf(c, healthPort);
    const service: ServicePlan = {
      id: c.id,
      name: objectName(c.id),
      role: c.role,
      image: c.image,
      env,
      replicas,
      restart,
      registers: c.role !== 'pipeline',
      mounts,
      secrets,
      ports,
      dependsOn: [],
    };
    if (c.command?.length) service.command = [...c.command];
    if (c.args?.length) service.args = [...c.args];
    if (dataPort !== undefined && c.role !== 'pipeline') service.dataPort = dataPort;
    if (health) service.health = health;
    if (c.resources) service.resources = { ...c.resources };
    services.push(service);
  }
  if (errors > 0) return undefined;

  // Start order for compose: after the hub and after what it depends on (the hub wires data whatever the order).
  const byId = new Map(services.map((s) => [s.id, s]));
  for (const c of components) {
    const s = byId.get(c.id);
    if (!s) continue;
    const deps = new Set<string>(s.registers ? [hubName] : []);
    for (const d of c.depends_on ?? []) if (byId.has(d) && d !== c.id) deps.add(byId.get(d)!.name);
    s.dependsOn = [...deps];
  }

  const pipelineHash = crypto.createHash('sha256').update(text).digest('hex').slice(0, 10);
  const args = [
    'run',
    IN_CONTAINER.pipelineFile,
    '--components',
    'external',
    '--control-plane-address',
    '0.0.0.0',
    '--control-plane-port',
    String(hubPort),
    '--no-persistence',
    '--log-dir',
    '/tmp/flowctl/logs',
  ];
  const healthArgs = ['health', '--control-plane-address', '127.0.0.1', '--control-plane-port', String(hubPort)];
  if (tls) {
    args.push('--tls-cert', tls.files.cert, '--tls-key', tls.files.key, '--tls-ca-cert', tls.files.ca);
    healthArgs.push('--tls-ca-cert', tls.files.ca, '--tls-cert', tls.files.clientCert, '--tls-key', tls.files.clientKey, '--tls-server-name', serverName);
  } else {
    args.push('--insecure-no-mtls');
    notes.push(
      'the hub runs without mutual TLS (--insecure-no-mtls): anything that reaches its port can register components or ' +
        'read the pipeline. Give translate --tls-cert/--tls-key/--tls-ca-cert/--tls-client-cert/--tls-client-key to require client certificates.',
    );
  }

  const plan: DeployPlan = {
    target,
    pipelineName: pipeline.metadata.name,
    slug,
    hub: {
      name: hubName,
      image: options.hubImage ?? `flowctl:${options.version}`,
      port: hubPort,
      publish: options.publishPort ?? hubPort,
      args,
      env: { FLOWCTL_HOME: '/tmp/flowctl' },
      pipelinePath: IN_CONTAINER.pipelineFile,
      pipelineText: text,
      pipelineFile: relativeTo(outputDir, pipeline.file),
      pipelineHash,
      healthArgs,
    },
    services,
    notes,
  };
  const ns = options.namespace ?? pipeline.metadata.namespace;
  if (target === 'kubernetes' && ns) plan.namespace = slugOf(ns, 63);
  if (tls) plan.tls = tls;
  return plan;
}

/** health_check (path) + health_port, or health_endpoint (a URL: its port and path; the host is the container itself). */
function healthOf(c: ComponentSpec, envHealthPort: number | undefined): HealthPlan | undefined {
  if (c.health_endpoint) {
    const m = /^[a-z]+:\/\/[^/:]+(?::(\d+))?(\/[^?#]*)?/i.exec(c.health_endpoint.trim());
    const port = m?.[1] ? Number(m[1]) : (c.health_port ?? envHealthPort);
    if (port) return { port, path: m?.[2] || c.health_check || '/health' };
  }
  if (c.health_check) {
    const port = c.health_port ?? envHealthPort;
    if (port) return { port, path: c.health_check.startsWith('/') ? c.health_check : `/${c.health_check}` };
  }
  return undefined;
}

/**
 * A volume's host path as the output needs it. Compose and swarm: `$HOME` / `~` stay for compose to
 * interpolate on the deploying machine, `$PWD` and relative paths resolve against the pipeline's folder
 * and are written relative to the output file. Kubernetes hostPath needs an absolute path now.
 */
function hostPath(p: string, target: TranslateOptions['target'], pipelineDir: string, outputDir: string, home: string): string {
  let out = p.replace(/\$\{PWD\}|\$PWD(?![A-Za-z0-9_])/g, pipelineDir);
  const homeValue = target === 'kubernetes' ? home : HOME_TOKEN;
  out = out.replace(/\$\{HOME\}|\$HOME(?![A-Za-z0-9_])/g, homeValue);
  if (out === '~') out = homeValue;
  else if (out.startsWith('~/')) out = `${homeValue}/${out.slice(2)}`;
  if (out.startsWith(HOME_TOKEN)) return out;
  const abs = path.resolve(pipelineDir, out);
  return target === 'kubernetes' ? abs : relativeTo(outputDir, abs);
}
