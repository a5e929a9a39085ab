// What `flowctl translate` produces, independent of the target: one hub (the pipeline's control plane
// and data-plane relay, `flowctl run --components external` in the flowctl image) and one service per
// component, each started from its image with the flowctl environment contract.
import type { Role } from '../pipeline/model';
import type { RestartPolicy } from '../pipeline/shape';

export type DeployTarget = 'compose' | 'swarm' | 'kubernetes';

export const DEPLOY_TARGETS: readonly DeployTarget[] = ['compose', 'swarm', 'kubernetes'];

/** Other names people use for the targets (flowctl's own translate says `docker-compose`). */
export const TARGET_ALIASES: Record<string, DeployTarget> = {
  compose: 'compose',
  'docker-compose': 'compose',
  swarm: 'swarm',
  stack: 'swarm',
  'docker-swarm': 'swarm',
  kubernetes: 'kubernetes',
  k8s: 'kubernetes',
};

/** Mutual TLS between the components and the hub: files on the machine that translates. */
export interface DeployTls {
  /** The hub's server certificate and key. */
  certFile: string;
  keyFile: string;
  /** CA that signed the components' client certificates (and the hub's certificate). */
  caFile: string;
  /** Client certificate and key the components (and the hub's own health check) present. */
  clientCertFile: string;
  clientKeyFile: string;
  /** Name to verify in the hub's certificate (default: the hub's service name). */
  serverName?: string;
}

export interface TranslateOptions {
  target: DeployTarget;
  /** Image of the hub (default `flowctl:<version>`, built by `npm run image`). */
  hubImage?: string;
  /** Port the hub's control plane listens on inside the cluster (default 8080). */
  hubPort?: number;
  /** Port published on the host for `flowctl status` (default = hubPort; 0 = not published). Compose/swarm only. */
  publishPort?: number;
  /** Folder the output file will live in: relative paths in it (pipeline file, bind mounts, secrets) are relative to it. */
  outputDir?: string;
  /** Kubernetes namespace for every object (default: the pipeline's metadata.namespace, else none). */
  namespace?: string;
  /** Mutual TLS for the hub; without it the hub runs with the explicit `--insecure-no-mtls` opt-out. */
  tls?: DeployTls;
  /** Our version, for the default hub image and the header. */
  version: string;
  /** The user's HOME, for `$HOME` / `~` in host paths of Kubernetes hostPath volumes (default os.homedir()). */
  home?: string;
}

export type { RestartPolicy };

export interface MountPlan {
  /** bind: a host path; volume: a named volume (compose) / PersistentVolumeClaim (Kubernetes). */
  kind: 'bind' | 'volume';
  /** Host path (absolute, or `${HOME}/…` left to compose) or the volume name. */
  source: string;
  target: string;
  readonly: boolean;
}

export interface SecretPlan {
  /** Name within the pipeline (compose secret / Kubernetes Secret suffix). */
  name: string;
  /** File on the translating machine (compose `file:`), already relative to the output folder. */
  file?: string;
  target: string;
  mode?: number;
}

export interface PortPlan {
  target: number;
  published?: number;
  protocol: 'tcp' | 'udp' | 'sctp';
}

export interface HealthPlan {
  port: number;
  path: string;
}

export interface ResourcePlan {
  limits?: { cpu?: string; memory?: string };
  requests?: { cpu?: string; memory?: string };
}

export interface ServicePlan {
  /** The component id in the pipeline. */
  id: string;
  /** Service / object name (a DNS label). */
  name: string;
  role: Role;
  image: string;
  /** Replaces the image's entrypoint (the component's `command`). */
  command?: string[];
  /** Replaces the image's CMD (the component's `args`). */
  args?: string[];
  /** The environment contract plus the component's config/env (values as strings). */
  env: Record<string, string>;
  replicas: number;
  restart: RestartPolicy;
  /** False for black-box `spec.pipelines` entries: the hub does not wait for them. */
  registers: boolean;
  /** Port the component's data plane listens on inside its container (when known). */
  dataPort?: number;
  mounts: MountPlan[];
  secrets: SecretPlan[];
  ports: PortPlan[];
  health?: HealthPlan;
  resources?: ResourcePlan;
  /** Names of services started before this one (compose only). */
  dependsOn: string[];
}

export interface HubPlan {
  name: string;
  image: string;
  port: number;
  publish: number;
  /** Arguments after the image's `flowctl` entrypoint. */
  args: string[];
  env: Record<string, string>;
  /** Where the pipeline file is mounted in the hub container. */
  pipelinePath: string;
  /** The pipeline file as written (the hub's messages then point at the user's lines). */
  pipelineText: string;
  /** Its path relative to the output folder (compose/swarm config `file:`). */
  pipelineFile: string;
  /** First characters of its sha256 (swarm configs are immutable: a changed file gets a new name). */
  pipelineHash: string;
  /** Health check: `flowctl health` arguments (with the client certificate under mutual TLS). */
  healthArgs: string[];
}

export interface DeployPlan {
  target: DeployTarget;
  pipelineName: string;
  /** The pipeline name as a DNS label (Kubernetes object prefix, swarm config name). */
  slug: string;
  namespace?: string;
  hub: HubPlan;
  services: ServicePlan[];
  tls?: DeployTls & { files: { cert: string; key: string; ca: string; clientCert: string; clientKey: string } };
  /** Things the user must know or do before deploying (printed, and as comments in the output). */
  notes: string[];
}

/** Where things live inside the containers. */
export const IN_CONTAINER = {
  pipelineDir: '/etc/flowctl',
  pipelineFile: '/etc/flowctl/flow.yml',
  tlsDir: '/etc/flowctl/tls',
  /** Our image's CLI (the image's entrypoint runs it). */
  cli: '/opt/flowctl/dist/cli.js',
} as const;

/** The user the hub's image (Dockerfile: USER 1000:1000) runs as: its TLS files are made readable for it. */
export const HUB_USER = { uid: 1000, gid: 1000 } as const;

/** Defaults of the cluster environment contract. */
export const CLUSTER_DEFAULTS = {
  hubPort: 8080,
  /** The data-plane port a component listens on when its env does not say (the Go SDK's default). */
  dataPort: 50051,
  /** The health port when neither env nor health_port says (the Go SDK's default). */
  healthPort: 8088,
  heartbeat: '10s',
} as const;
