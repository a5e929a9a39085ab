// A deployment plan → Kubernetes manifests: a ConfigMap with the pipeline file, the hub (Deployment +
// Service), and a Deployment per component. Components advertise their pod IP (downward API) as the
// host of their data-plane endpoint and their pod name as their instance, so the hub dials every replica.
import * as path from 'node:path';
import type { IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import type { IService } from 'kubernetes-models/v1/Service';
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { IIoK8sApiCoreV1Container as Container } from 'kubernetes-models/v1/Container';
import type { IIoK8sApiCoreV1EnvVar as EnvVar } from 'kubernetes-models/v1/EnvVar';
import type { IIoK8sApiCoreV1Volume as Volume } from 'kubernetes-models/v1/Volume';
import type { IIoK8sApiCoreV1VolumeMount as VolumeMount } from 'kubernetes-models/v1/VolumeMount';
import type { IIoK8sApiCoreV1Probe as Probe } from 'kubernetes-models/v1/Probe';
import { INSTANCE_ENV, TLS_FILES } from './env';
import { prefixed } from './names';
import { HUB_USER, IN_CONTAINER, type DeployPlan, type ServicePlan } from './types';

export type KubernetesObject = IConfigMap | IService | IDeployment;

/** Kubernetes expands `$(VAR)` in command, args and env values: a literal one is written `$$(VAR)`. */
function literal(s: string): string {
  return s.replace(/\$\(/g, '$$$$(');
}

function labels(plan: DeployPlan, name: string, component: string): Record<string, string> {
  return {
    'app.kubernetes.io/name': name,
    'app.kubernetes.io/instance': plan.slug,
    'app.kubernetes.io/component': component,
    'app.kubernetes.io/part-of': plan.slug,
    'app.kubernetes.io/managed-by': 'flowctl',
  };
}

function selector(plan: DeployPlan, name: string): Record<string, string> {
  return { 'app.kubernetes.io/name': name, 'app.kubernetes.io/instance': plan.slug };
}

function meta(plan: DeployPlan, name: string, component: string) {
  return {
    name,
    ...(plan.namespace ? { namespace: plan.namespace } : {}),
    labels: labels(plan, name, component),
    annotations: { 'flowctl.deploy/pipeline': plan.pipelineName },
  };
}

const RESTRICTED = {
  allowPrivilegeEscalation: false,
  capabilities: { drop: ['ALL'] },
};

function envList(env: Record<string, string>): EnvVar[] {
  return Object.entries(env).map(([name, value]) => ({ name, value: literal(value) }));
}

/**
 * The TLS Secret as files: the hub's pod sets fsGroup to its image's group (the files are the hub's, 0440); a
 * component image's user is not known, so its files are readable by whoever it runs as (0444, in its pod only).
 */
function tlsVolume(plan: DeployPlan, keys: (keyof typeof TLS_FILES)[], owner: 'hub' | 'component'): Volume {
  return {
    name: 'flowctl-tls',
    secret: { secretName: prefixed(plan.slug, 'tls'), defaultMode: owner === 'hub' ? 0o440 : 0o444, items: keys.map((k) => ({ key: TLS_FILES[k], path: TLS_FILES[k] })) },
  };
}

function componentDeployment(plan: DeployPlan, s: ServicePlan): IDeployment {
  const volumes: Volume[] = [];
  const mounts: VolumeMount[] = [];
  s.mounts.forEach((m, i) => {
    const name = `volume-${i + 1}`;
    volumes.push(m.kind === 'bind' ? { name, hostPath: { path: m.source } } : { name, persistentVolumeClaim: { claimName: m.source, readOnly: m.readonly } });
    mounts.push({ name, mountPath: m.target, readOnly: m.readonly });
  });
  s.secrets.forEach((x, i) => {
    const name = `secret-${i + 1}`;
    volumes.push({ name, secret: { secretName: prefixed(plan.slug, x.name), ...(x.mode !== undefined ? { defaultMode: x.mode } : {}) } });
    mounts.push({ name, mountPath: x.target, subPath: 'value', readOnly: true });
  });
  if (plan.tls && s.registers) {
    volumes.push(tlsVolume(plan, ['ca', 'clientCert', 'clientKey'], 'component'));
    mounts.push({ name: 'flowctl-tls', mountPath: IN_CONTAINER.tlsDir, readOnly: true });
  }
  const env = envList(s.env);
  if (s.registers) {
    // The hub dials each replica at the address it advertises; the pod name tells replicas apart.
    env.push({ name: INSTANCE_ENV.advertiseHost, valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } });
    env.push({ name: INSTANCE_ENV.instance, valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } });
  }
  let probe: Probe | undefined;
  if (s.health) {
    // The kubelet probes from outside the pod: the health server must listen on the pod's address.
    if (!('HEALTH_HOST' in s.env)) env.push({ name: 'HEALTH_HOST', value: '0.0.0.0' });
    probe = { httpGet: { path: s.health.path, port: s.health.port }, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3 };
  }
  const ports: NonNullable<Container['ports']> = [];
  if (s.dataPort !== undefined) ports.push({ name: 'grpc', containerPort: s.dataPort, protocol: 'TCP' });
  for (const p of s.ports) {
    if (p.target === s.dataPort) continue;
    ports.push({ containerPort: p.target, protocol: p.protocol.toUpperCase() as 'TCP' | 'UDP' | 'SCTP', ...(p.published !== undefined ? { hostPort: p.published } : {}) });
  }
  const container: Container = {
    name: s.name,
    image: s.image,
    ...(s.command?.length ? { command: s.command.map(literal) } : {}),
    ...(s.args?.length ? { args: s.args.map(literal) } : {}),
    env,
    ...(ports.length ? { ports } : {}),
    ...(mounts.length ? { volumeMounts: mounts } : {}),
    ...(probe ? { readinessProbe: { ...probe, initialDelaySeconds: 5 }, livenessProbe: { ...probe, initialDelaySeconds: 20 } } : {}),
    ...(s.resources ? { resources: { ...(s.resources.limits ? { limits: { ...s.resources.limits } } : {}), ...(s.resources.requests ? { requests: { ...s.resources.requests } } : {}) } } : {}),
    securityContext: RESTRICTED,
  };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: meta(plan, s.name, s.role),
    spec: {
      replicas: s.replicas,
      selector: { matchLabels: selector(plan, s.name) },
      template: {
        metadata: { labels: labels(plan, s.name, s.role), annotations: { 'flowctl.deploy/component': s.id } },
        spec: { containers: [container], ...(volumes.length ? { volumes } : {}) },
      },
    },
  };
}

function hubObjects(plan: DeployPlan): KubernetesObject[] {
  const hub = plan.hub;
  const configMap = prefixed(plan.slug, 'pipeline');
  const volumes: Volume[] = [
    { name: 'pipeline', configMap: { name: configMap } },
    { name: 'tmp', emptyDir: {} },
  ];
  const mounts: VolumeMount[] = [
    { name: 'pipeline', mountPath: hub.pipelinePath, subPath: path.posix.basename(hub.pipelinePath), readOnly: true },
    { name: 'tmp', mountPath: '/tmp' },
  ];
  if (plan.tls) {
    volumes.push(tlsVolume(plan, ['cert', 'key', 'ca', 'clientCert', 'clientKey'], 'hub'));
    mounts.push({ name: 'flowctl-tls', mountPath: IN_CONTAINER.tlsDir, readOnly: true });
  }
  const deployment: IDeployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: meta(plan, hub.name, 'hub'),
    spec: {
      replicas: 1,
      // One hub at a time: components register with exactly one control plane.
      strategy: { type: 'Recreate' },
      selector: { matchLabels: selector(plan, hub.name) },
      template: {
        metadata: {
          labels: labels(plan, hub.name, 'hub'),
          // A changed pipeline file changes the pod template, so `kubectl apply` restarts the hub with it.
          annotations: { 'flowctl.deploy/pipeline-hash': hub.pipelineHash },
        },
        spec: {
          containers: [
            {
              name: 'hub',
              image: hub.image,
              args: hub.args.map(literal),
              env: envList(hub.env),
              ports: [{ name: 'grpc', containerPort: hub.port, protocol: 'TCP' }],
              volumeMounts: mounts,
              // Ready as soon as it accepts connections (the Service then routes components to it); alive while its
              // gRPC health service answers (`flowctl health`, with the client certificate under mutual TLS).
              readinessProbe: { tcpSocket: { port: 'grpc' }, periodSeconds: 5 },
              livenessProbe: { exec: { command: ['node', IN_CONTAINER.cli, ...hub.healthArgs] }, initialDelaySeconds: 20, periodSeconds: 30, timeoutSeconds: 10 },
              securityContext: { ...RESTRICTED, readOnlyRootFilesystem: true, runAsNonRoot: true, runAsUser: HUB_USER.uid, runAsGroup: HUB_USER.gid },
            },
          ],
          // The TLS Secret's files belong to the hub's group (they are root's otherwise: the hub could not read its key).
          securityContext: { fsGroup: HUB_USER.gid },
          volumes,
        },
      },
    },
  };
  const service: IService = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta(plan, hub.name, 'hub'),
    spec: {
      type: 'ClusterIP',
      selector: selector(plan, hub.name),
      ports: [{ name: 'grpc', port: hub.port, targetPort: 'grpc', protocol: 'TCP' }],
    },
  };
  const config: IConfigMap = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: meta(plan, configMap, 'pipeline'),
    data: { [path.posix.basename(hub.pipelinePath)]: hub.pipelineText },
  };
  return [config, service, deployment];
}

export function kubernetesObjects(plan: DeployPlan): KubernetesObject[] {
  return [...hubObjects(plan), ...plan.services.map((s) => componentDeployment(plan, s))];
}

/** What the user must create before `kubectl apply` (Secrets are never written into manifests). */
export function kubernetesNotes(plan: DeployPlan): string[] {
  const notes: string[] = [];
  const ns = plan.namespace ? ` -n ${plan.namespace}` : '';
  if (plan.tls) {
    const t = plan.tls;
    notes.push(
      `create the hub's TLS secret first: kubectl create secret generic ${prefixed(plan.slug, 'tls')}${ns} ` +
        `--from-file=${TLS_FILES.cert}=${t.certFile} --from-file=${TLS_FILES.key}=${t.keyFile} --from-file=${TLS_FILES.ca}=${t.caFile} ` +
        `--from-file=${TLS_FILES.clientCert}=${t.clientCertFile} --from-file=${TLS_FILES.clientKey}=${t.clientKeyFile}`,
    );
  }
  for (const s of plan.services) {
    for (const x of s.secrets) {
      notes.push(`create secret ${prefixed(plan.slug, x.name)} for ${s.id}: kubectl create secret generic ${prefixed(plan.slug, x.name)}${ns} --from-file=value=${x.file ?? '<file>'}`);
    }
    if (s.mounts.some((m) => m.kind === 'bind')) notes.push(`${s.id} mounts hostPath volumes: its pods only see the files of the node they run on`);
    if (s.mounts.some((m) => m.kind === 'volume')) notes.push(`${s.id} mounts named volumes as PersistentVolumeClaims of the same name: create them first`);
  }
  return notes;
}
