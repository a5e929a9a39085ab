// A deployment plan → a compose file: `-o compose` for `docker-compose up` on one engine, `-o swarm` for
// `docker stack deploy` (overlay network, `endpoint_mode: dnsrr` and host-mode published ports, which
// also work where the kernel has no IPVS, and the pipeline file as a swarm config).
import { HOME_TOKEN } from './plan';
import { INSTANCE_ENV, TLS_FILES } from './env';
import { HUB_USER, IN_CONTAINER, type DeployPlan, type RestartPolicy, type ServicePlan } from './types';

/** Labels on everything a deployment creates (not the docker driver's `flowctl.managed`: its sweeps must never take these). */
export const DEPLOY_LABELS = {
  pipeline: 'flowctl.deploy.pipeline',
  component: 'flowctl.deploy.component',
  role: 'flowctl.deploy.role',
} as const;

const NETWORK = 'flowctl';
const SWARM_RESTART: Record<RestartPolicy, string> = { no: 'none', 'on-failure': 'on-failure', always: 'any', 'unless-stopped': 'any' };

type Obj = Record<string, unknown>;

/**
 * compose interpolates `$VAR` in every value: a literal `$` is written `$$`. Our own `${HOME}` (in bind
 * sources) is put in after this escaping.
 */
function escapeComposeStrings(value: unknown): unknown {
  if (typeof value === 'string') return value.replace(/\$/g, '$$$$').split(HOME_TOKEN).join('${HOME}');
  if (Array.isArray(value)) return value.map((v) => escapeComposeStrings(v));
  if (value && typeof value === 'object') {
    const out: Obj = {};
    for (const [k, v] of Object.entries(value)) out[k] = escapeComposeStrings(v);
    return out;
  }
  return value;
}

/** Swarm expands Go templates (`{{.Task.Slot}}`) in env values and mount sources: a literal `{{` becomes a template printing it. */
function escapeSwarmTemplate(s: string, swarm: boolean): string {
  return swarm ? s.replace(/\{\{/g, '{{"{{"}}') : s;
}

/** Kubernetes-style amounts → docker's: cpu "500m" → "0.5"; memory "512Mi" → "512M" (docker's units are binary). */
export function dockerCpu(cpu: string): string | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)(m?)\s*$/.exec(cpu);
  if (!m) return undefined;
  const n = m[2] === 'm' ? Number(m[1]) / 1000 : Number(m[1]);
  return String(Math.round(n * 1000) / 1000);
}

export function dockerMemory(memory: string): string | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(Ki|Mi|Gi|Ti|K|M|G|T|k|m|g|t|b|B)?\s*$/.exec(memory);
  if (!m) return undefined;
  const unit = (m[2] ?? '').replace(/i$/, '').toUpperCase();
  const num = m[1];
  if (unit === '' || unit === 'B') return num;
  return `${num}${unit}`;
}

function resources(s: ServicePlan): Obj | undefined {
  if (!s.resources) return undefined;
  const convert = (a?: { cpu?: string; memory?: string }): Obj | undefined => {
    if (!a) return undefined;
    const out: Obj = {};
    const cpus = a.cpu !== undefined ? dockerCpu(a.cpu) : undefined;
    const memory = a.memory !== undefined ? dockerMemory(a.memory) : undefined;
    if (cpus !== undefined) out.cpus = cpus;
    if (memory !== undefined) out.memory = memory;
    return Object.keys(out).length ? out : undefined;
  };
  const out: Obj = {};
  const limits = convert(s.resources.limits);
  const reservations = convert(s.resources.requests);
  if (limits) out.limits = limits;
  if (reservations) out.reservations = reservations;
  return Object.keys(out).length ? out : undefined;
}

function labelsOf(plan: DeployPlan, component: string, role: string): Record<string, string> {
  return { [DEPLOY_LABELS.pipeline]: plan.pipelineName, [DEPLOY_LABELS.component]: component, [DEPLOY_LABELS.role]: role };
}

function tlsSecretName(key: keyof typeof TLS_FILES): string {
  return `flowctl-tls-${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/**
 * The TLS files as secrets. The hub's image runs as uid 1000 (Dockerfile): its files are that user's, 0400 (swarm
 * mounts secrets as root otherwise, and the hub could not read its key). A component image's user is not known:
 * its files are readable by whoever it runs as (0444, inside its own container only).
 */
function tlsSecretRefs(keys: (keyof typeof TLS_FILES)[], owner: 'hub' | 'component'): Obj[] {
  return keys.map((k) => ({
    source: tlsSecretName(k),
    target: `${IN_CONTAINER.tlsDir}/${TLS_FILES[k]}`,
    ...(owner === 'hub' ? { uid: String(HUB_USER.uid), gid: String(HUB_USER.gid), mode: 0o400 } : { mode: 0o444 }),
  }));
}

function componentService(plan: DeployPlan, s: ServicePlan, swarm: boolean): Obj {
  const svc: Obj = { image: s.image };
  if (s.command?.length) svc.entrypoint = s.command;
  if (s.args?.length) svc.command = s.args;
  svc.environment = Object.fromEntries(Object.entries(s.env).map(([k, v]) => [k, escapeSwarmTemplate(v, swarm)]));
  svc.labels = labelsOf(plan, s.id, s.role);
  svc.networks = [NETWORK];
  const volumes: Obj[] = s.mounts.map((m) =>
    m.kind === 'bind'
      ? { type: 'bind', source: escapeSwarmTemplate(m.source, swarm), target: m.target, read_only: m.readonly }
      : { type: 'volume', source: m.source, target: m.target, read_only: m.readonly },
  );
  if (volumes.length) svc.volumes = volumes;
  const secrets: Obj[] = s.secrets.map((x) => ({ source: x.name, target: x.target, ...(x.mode !== undefined ? { mode: x.mode } : {}) }));
  if (plan.tls && s.registers) secrets.push(...tlsSecretRefs(['ca', 'clientCert', 'clientKey'], 'component'));
  if (secrets.length) svc.secrets = secrets;
  if (s.ports.length) {
    svc.ports = s.ports.map((p) =>
      swarm
        ? { target: p.target, ...(p.published !== undefined ? { published: p.published } : {}), protocol: p.protocol, mode: 'host' }
        : p.published !== undefined
          ? `127.0.0.1:${p.published}:${p.target}/${p.protocol}`
          : `${p.target}/${p.protocol}`,
    );
  }
  if (s.health) {
    const url = `http://127.0.0.1:${s.health.port}${s.health.path}`;
    // Needs a shell and wget or curl in the image; declared only for components that ask for a health check.
    svc.healthcheck = {
      test: ['CMD-SHELL', `wget -q -O /dev/null ${url} || curl -fsS -o /dev/null ${url}`],
      interval: '10s',
      timeout: '5s',
      retries: 3,
      start_period: '20s',
    };
  }
  const deploy: Obj = { replicas: s.replicas };
  const res = resources(s);
  if (res) deploy.resources = res;
  if (swarm) {
    deploy.endpoint_mode = 'dnsrr';
    deploy.restart_policy = { condition: SWARM_RESTART[s.restart], delay: '2s' };
    deploy.labels = labelsOf(plan, s.id, s.role);
  } else {
    svc.restart = s.restart;
    if (s.dependsOn.length) svc.depends_on = s.dependsOn;
  }
  svc.deploy = deploy;
  return svc;
}

/** A node one-liner that exits 0 when something accepts a TCP connection on 127.0.0.1:port. */
export function tcpProbe(port: number): string {
  return `require('net').connect(${port},'127.0.0.1').on('connect',()=>process.exit(0)).on('error',()=>process.exit(1))`;
}

function hubService(plan: DeployPlan, swarm: boolean): Obj {
  const hub = plan.hub;
  const svc: Obj = {
    image: hub.image,
    command: hub.args,
    environment: { ...hub.env },
    labels: labelsOf(plan, 'flowctl-hub', 'hub'),
    networks: [NETWORK],
  };
  if (swarm) {
    svc.configs = [{ source: 'pipeline', target: hub.pipelinePath, mode: 0o444 }];
  } else {
    svc.volumes = [{ type: 'bind', source: hub.pipelineFile, target: hub.pipelinePath, read_only: true }];
  }
  if (plan.tls) svc.secrets = tlsSecretRefs(['cert', 'key', 'ca', 'clientCert', 'clientKey'], 'hub');
  if (hub.publish > 0) {
    svc.ports = swarm
      ? [{ target: hub.port, published: hub.publish, protocol: 'tcp', mode: 'host' }]
      : [`127.0.0.1:${hub.publish}:${hub.port}/tcp`];
  }
  // A TCP connect from node itself (no bundle to load): swarm puts a task into the service's DNS only once
  // it is healthy, so this check is what lets components find the hub and it runs often. Generous timeout
  // and retries: on a loaded machine starting node alone takes seconds, and an unhealthy hub is replaced.
  svc.healthcheck = {
    test: ['CMD', 'node', '-e', tcpProbe(hub.port)],
    interval: '5s',
    timeout: '15s',
    retries: 6,
    start_period: '60s',
  };
  if (swarm) {
    svc.deploy = {
      replicas: 1,
      endpoint_mode: 'dnsrr',
      restart_policy: { condition: 'any', delay: '2s' },
      // One hub at a time: a new one starts after the old one released the published port.
      update_config: { order: 'stop-first' },
      // On a manager: where `flowctl deploy` runs and finds the published port.
      placement: { constraints: ['node.role == manager'] },
      labels: labelsOf(plan, 'flowctl-hub', 'hub'),
    };
  } else {
    svc.restart = 'unless-stopped';
  }
  return svc;
}

/** The compose document (as plain data) for `plan`; `swarm` selects the `docker stack deploy` flavour. */
export function composeDocument(plan: DeployPlan): Obj {
  const swarm = plan.target === 'swarm';
  const services: Obj = { [plan.hub.name]: hubService(plan, swarm) };
  const namedVolumes = new Set<string>();
  const secrets: Obj = {};
  for (const s of plan.services) {
    services[s.name] = componentService(plan, s, swarm);
    for (const m of s.mounts) if (m.kind === 'volume') namedVolumes.add(m.source);
    for (const x of s.secrets) if (x.file) secrets[x.name] = { file: x.file };
  }
  const doc: Obj = { version: '3.8', services: escapeComposeStrings(services) };
  // Swarm: each replica may name itself by its task slot (the hub numbers them itself when it does not).
  if (swarm) {
    for (const s of plan.services) {
      if (!s.registers) continue;
      const env = ((doc.services as Obj)[s.name] as Obj).environment as Record<string, string>;
      env[INSTANCE_ENV.instance] = '{{.Task.Slot}}';
    }
  }
  doc.networks = { [NETWORK]: swarm ? { driver: 'overlay', attachable: true, labels: { [DEPLOY_LABELS.pipeline]: plan.pipelineName } } : { labels: { [DEPLOY_LABELS.pipeline]: plan.pipelineName } } };
  if (namedVolumes.size) doc.volumes = Object.fromEntries([...namedVolumes].map((v) => [v, {}]));
  if (plan.tls) {
    const t = plan.tls;
    const files: Record<keyof typeof TLS_FILES, string> = { cert: t.certFile, key: t.keyFile, ca: t.caFile, clientCert: t.clientCertFile, clientKey: t.clientKeyFile };
    for (const [k, file] of Object.entries(files)) secrets[tlsSecretName(k as keyof typeof TLS_FILES)] = { file };
  }
  if (Object.keys(secrets).length) doc.secrets = escapeComposeStrings(secrets);
  if (swarm) {
    // Swarm configs cannot change: a changed pipeline file gets a new name (and the hub restarts with it).
    doc.configs = escapeComposeStrings({ pipeline: { file: plan.hub.pipelineFile, name: `${plan.slug}-pipeline-${plan.hub.pipelineHash}` } });
  }
  return doc;
}
