// Deploying a pipeline beyond one machine: translate (compose, swarm, Kubernetes) and deploy.
export * from './types';
export { translatePipelineFile, translatePipelineText, toYaml, type TranslateResult } from './translate';
export { composeDocument, DEPLOY_LABELS, dockerCpu, dockerMemory } from './compose';
export { kubernetesObjects, kubernetesNotes, type KubernetesObject } from './kubernetes';
export { clusterEnv, INSTANCE_ENV, TLS_ENV, TLS_FILES } from './env';
export { dnsLabel, assignNames, prefixed } from './names';
