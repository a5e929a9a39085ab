// flowctl translate's core: the compose/swarm document and the Kubernetes manifests a pipeline becomes,
// the environment contract in a cluster, escaping of what the orchestrators would interpolate, names,
// and errors at their place in the pipeline file. Kubernetes output is validated against the API schemas
// (kubernetes-models); docker-compose's own check is in test/integration/deploy-translate.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { parseAllDocuments, parse } from 'yaml';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Service } from 'kubernetes-models/v1/Service';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import {
  assignNames,
  dnsLabel,
  dockerCpu,
  dockerMemory,
  translatePipelineText,
  type DeployTarget,
  type TranslateOptions,
} from '../../src/core/deploy';

const DIR = '/work/pipelines';
const FILE = path.join(DIR, 'flow.yml');
const IMAGE = 'registry.example/demo:1.2';

const PIPELINE = [
  'apiVersion: flowctl/v1', // 1
  'kind: Pipeline',
  'metadata:',
  '  name: Trades_Demo',
  '  namespace: data',
  'spec:',
  '  sources:',
  '    - id: ticker',
  `      image: ${IMAGE}`,
  '      command: ["node", "/app/ticker.js"]', // 10
  '      env:',
  '        RATE: "20"',
  '        PRICE: "$5 {{x}} $(HOME)"',
  '      config:',
  '        batchSize: 10',
  '  processors:',
  '    - id: enrich',
  `      image: ${IMAGE}`,
  '      args: ["--fast"]',
  '      inputs: [ticker]', // 20
  '      replicas: 3',
  '      restart_policy: always',
  '      volumes:',
  '        - host_path: $HOME/data',
  '          container_path: /data',
  '          readonly: true',
  '        - host_path: ./cache',
  '          container_path: /cache',
  '        - name: scratch',
  '          container_path: /scratch', // 30
  '      resources:',
  '        limits: {cpu: 500m, memory: 256Mi}',
  '        requests: {cpu: "0.25", memory: 64Mi}',
  '  sinks:',
  '    - id: Counter_Sink',
  `      image: ${IMAGE}`,
  '      inputs: [enrich]',
  '      health_check: /health',
  '      health_port: 8090',
  '      env:', // 40
  '        PORT: ":7000"',
  '      ports:',
  '        - containerPort: 9100',
  '          hostPort: 19100',
  '',
].join('\n');

function translate(target: DeployTarget, text = PIPELINE, extra: Partial<TranslateOptions> = {}) {
  return translatePipelineText(text, FILE, { target, version: '9.9.9', outputDir: DIR, home: '/home/u', ...extra });
}

function composeDoc(target: 'compose' | 'swarm', text = PIPELINE, extra: Partial<TranslateOptions> = {}) {
  const r = translate(target, text, extra);
  assert.equal(r.ok, true, JSON.stringify(r.diagnostics));
  return { r, doc: parse(r.text!, { version: '1.1' }) as any };
}

test('names: DNS labels, distinct for ids that clean up the same way, never the hub', () => {
  assert.equal(dnsLabel('ticker'), 'ticker');
  assert.match(dnsLabel('Counter_Sink'), /^counter-sink-[0-9a-f]{6}$/);
  assert.notEqual(dnsLabel('a_b'), dnsLabel('a.b'));
  assert.ok(dnsLabel('x'.repeat(100)).length <= 40);
  assert.match(dnsLabel('___'), /^c-[0-9a-f]{6}$/);
  const names = assignNames(['flowctl-hub', 'ticker', 'TICKER'], ['flowctl-hub']);
  assert.notEqual(names.get('flowctl-hub'), 'flowctl-hub');
  assert.notEqual(names.get('ticker'), names.get('TICKER'));
  for (const n of names.values()) assert.match(n, /^[a-z0-9][a-z0-9-]*[a-z0-9]$/);
});

test('resource amounts: Kubernetes units become docker units', () => {
  assert.equal(dockerCpu('500m'), '0.5');
  assert.equal(dockerCpu('2'), '2');
  assert.equal(dockerCpu('lots'), undefined);
  assert.equal(dockerMemory('256Mi'), '256M');
  assert.equal(dockerMemory('1Gi'), '1G');
  assert.equal(dockerMemory('1024'), '1024');
  assert.equal(dockerMemory('much'), undefined);
});

test('compose: a hub running flowctl run --components external, one service per component with the env contract', () => {
  const { doc, r } = composeDoc('compose');
  assert.equal(doc.version, '3.8');
  const hub = doc.services['flowctl-hub'];
  assert.equal(hub.image, 'flowctl:9.9.9');
  assert.deepEqual(hub.command.slice(0, 4), ['run', '/etc/flowctl/flow.yml', '--components', 'external']);
  assert.ok(hub.command.includes('--insecure-no-mtls'), 'without TLS the opt-out is explicit in the file');
  assert.match(r.text!, /^# NOTE: the hub runs without mutual TLS/m);
  assert.deepEqual(hub.ports, ['127.0.0.1:8080:8080/tcp']);
  assert.deepEqual(hub.volumes, [{ type: 'bind', source: './flow.yml', target: '/etc/flowctl/flow.yml', read_only: true }]);
  assert.deepEqual(hub.healthcheck.test.slice(0, 3), ['CMD', 'node', '-e']);
  assert.match(hub.healthcheck.test[3], /connect\(8080,'127\.0\.0\.1'\)/);
  assert.equal(hub.restart, 'unless-stopped');

  const ticker = doc.services.ticker;
  assert.equal(ticker.image, IMAGE);
  assert.deepEqual(ticker.entrypoint, ['node', '/app/ticker.js']);
  assert.equal(ticker.command, undefined);
  const env = ticker.environment;
  assert.equal(env.ENABLE_FLOWCTL, 'true');
  assert.equal(env.FLOWCTL_ENDPOINT, 'flowctl-hub:8080');
  assert.equal(env.FLOWCTL_COMPONENT_ID, 'ticker');
  assert.equal(env.FLOWCTL_SERVICE_ID, 'ticker');
  assert.equal(env.FLOWCTL_HEARTBEAT_INTERVAL, '10s');
  assert.equal(env.PORT, '0.0.0.0:50051', 'the data plane listens on every interface of the container');
  assert.equal(env.HEALTH_PORT, '8088');
  assert.equal(env.BATCH_SIZE, '10', 'config becomes UPPER_SNAKE env');
  assert.equal(env.RATE, '20');
  // compose interpolates $: the literal dollar is doubled; {{ needs nothing outside swarm.
  assert.equal(env.PRICE, '$$5 {{x}} $$(HOME)');
  assert.equal(env.FLOWCTL_INSTANCE, undefined, 'compose has no task slot');
  assert.equal(ticker.restart, 'on-failure', 'default restart policy in a cluster');
  assert.deepEqual(ticker.depends_on, ['flowctl-hub']);
  assert.deepEqual(ticker.networks, ['flowctl']);
  assert.equal(ticker.labels['flowctl.deploy.component'], 'ticker');

  const enrich = doc.services.enrich;
  assert.deepEqual(enrich.command, ['--fast']);
  assert.equal(enrich.entrypoint, undefined, 'args alone keep the image entrypoint');
  assert.equal(enrich.deploy.replicas, 3);
  assert.equal(enrich.restart, 'always');
  assert.deepEqual(enrich.deploy.resources, { limits: { cpus: '0.5', memory: '256M' }, reservations: { cpus: '0.25', memory: '64M' } });
  assert.deepEqual(enrich.volumes, [
    { type: 'bind', source: '${HOME}/data', target: '/data', read_only: true },
    { type: 'bind', source: './cache', target: '/cache', read_only: false },
    { type: 'volume', source: 'scratch', target: '/scratch', read_only: false },
  ]);
  assert.deepEqual(doc.volumes, { scratch: {} });

  const sinkName = Object.keys(doc.services).find((n) => n.startsWith('counter-sink'))!;
  const sink = doc.services[sinkName];
  assert.equal(sink.environment.FLOWCTL_COMPONENT_ID, 'Counter_Sink');
  assert.equal(sink.environment.PORT, '0.0.0.0:7000', 'a port the component names keeps its number, on every interface of the container');
  assert.equal(sink.environment.HEALTH_PORT, '8090');
  assert.deepEqual(sink.ports, ['127.0.0.1:19100:9100/tcp']);
  assert.match(sink.healthcheck.test[1], /http:\/\/127\.0\.0\.1:8090\/health/);
});

test('swarm: dnsrr, host-mode ports, overlay network, the pipeline as a config named by its content, task slots, templates escaped', () => {
  const { doc } = composeDoc('swarm', PIPELINE, { publishPort: 18080 });
  const hub = doc.services['flowctl-hub'];
  assert.equal(hub.deploy.endpoint_mode, 'dnsrr');
  assert.deepEqual(hub.ports, [{ target: 8080, published: 18080, protocol: 'tcp', mode: 'host' }]);
  assert.deepEqual(hub.configs, [{ source: 'pipeline', target: '/etc/flowctl/flow.yml', mode: 0o444 }]);
  assert.equal(hub.volumes, undefined);
  assert.equal(hub.deploy.restart_policy.condition, 'any');
  assert.equal(doc.networks.flowctl.driver, 'overlay');
  assert.equal(doc.configs.pipeline.file, './flow.yml');
  assert.match(doc.configs.pipeline.name, /^trades-demo-pipeline-[0-9a-f]{10}$/);
  const other = composeDoc('swarm', PIPELINE.replace('RATE: "20"', 'RATE: "21"')).doc;
  assert.notEqual(other.configs.pipeline.name, doc.configs.pipeline.name, 'a changed pipeline file gets a new (immutable) config');
  for (const [name, svc] of Object.entries<any>(doc.services)) {
    assert.equal(svc.deploy.endpoint_mode, 'dnsrr', name);
    assert.equal(svc.restart, undefined, `${name}: swarm uses deploy.restart_policy`);
    assert.equal(svc.depends_on, undefined, `${name}: swarm ignores depends_on`);
  }
  const ticker = doc.services.ticker;
  assert.equal(ticker.environment.FLOWCTL_INSTANCE, '{{.Task.Slot}}');
  assert.equal(ticker.environment.PRICE, '$$5 {{"{{"}}x}} $$(HOME)', 'a literal {{ is not a swarm template');
  assert.equal(doc.services.enrich.deploy.restart_policy.condition, 'any');
  const sink = Object.entries<any>(doc.services).find(([n]) => n.startsWith('counter-sink'))![1];
  assert.deepEqual(sink.ports, [{ target: 9100, published: 19100, protocol: 'tcp', mode: 'host' }]);
  assert.equal(sink.deploy.restart_policy.condition, 'on-failure');
});

test('kubernetes: every object validates against the API schemas; pod IP and pod name advertised; $( escaped', () => {
  const r = translate('kubernetes');
  assert.equal(r.ok, true, JSON.stringify(r.diagnostics));
  const objs = parseAllDocuments(r.text!).map((d) => d.toJS());
  const kinds = objs.map((o) => `${o.kind}/${o.metadata.name}`);
  assert.deepEqual(kinds.slice(0, 3), ['ConfigMap/trades-demo-pipeline', 'Service/trades-demo-hub', 'Deployment/trades-demo-hub']);
  assert.equal(objs.length, 6);
  for (const o of objs) {
    const Model = { ConfigMap, Service, Deployment }[o.kind as 'ConfigMap' | 'Service' | 'Deployment'];
    assert.ok(Model, o.kind);
    new Model(o).validate();
    assert.equal(o.metadata.namespace, 'data');
  }
  assert.equal(objs[0].data['flow.yml'], PIPELINE, 'the hub reads the pipeline exactly as written');
  const hub = objs[2];
  assert.equal(hub.spec.strategy.type, 'Recreate');
  const hubC = hub.spec.template.spec.containers[0];
  assert.deepEqual(hubC.args.slice(0, 4), ['run', '/etc/flowctl/flow.yml', '--components', 'external']);
  assert.equal(hubC.securityContext.runAsNonRoot, true);
  assert.match(hub.spec.template.metadata.annotations['flowctl.deploy/pipeline-hash'], /^[0-9a-f]{10}$/);

  const ticker = objs.find((o) => o.metadata.name === 'trades-demo-ticker')!;
  const c = ticker.spec.template.spec.containers[0];
  const env = Object.fromEntries(c.env.map((e: any) => [e.name, e.value ?? e.valueFrom]));
  assert.equal(env.FLOWCTL_ENDPOINT, 'trades-demo-hub:8080');
  assert.deepEqual(env.FLOWCTL_ADVERTISE_HOST, { fieldRef: { fieldPath: 'status.podIP' } });
  assert.deepEqual(env.FLOWCTL_INSTANCE, { fieldRef: { fieldPath: 'metadata.name' } });
  assert.equal(env.PRICE, '$5 {{x}} $$(HOME)', 'Kubernetes expands $(VAR): a literal one is escaped');
  assert.deepEqual(c.ports, [{ name: 'grpc', containerPort: 50051, protocol: 'TCP' }]);
  assert.deepEqual(c.command, ['node', '/app/ticker.js']);

  const enrich = objs.find((o) => o.metadata.name === 'trades-demo-enrich')!;
  assert.equal(enrich.spec.replicas, 3);
  const vols = enrich.spec.template.spec.volumes;
  assert.deepEqual(vols[0], { name: 'volume-1', hostPath: { path: '/home/u/data' } });
  assert.deepEqual(vols[1], { name: 'volume-2', hostPath: { path: path.join(DIR, 'cache') } });
  assert.deepEqual(vols[2], { name: 'volume-3', persistentVolumeClaim: { claimName: 'scratch', readOnly: false } });
  assert.deepEqual(enrich.spec.template.spec.containers[0].resources, { limits: { cpu: '500m', memory: '256Mi' }, requests: { cpu: '0.25', memory: '64Mi' } });

  const sink = objs.find((o) => String(o.metadata.name).startsWith('trades-demo-counter-sink'))!;
  const sc = sink.spec.template.spec.containers[0];
  assert.deepEqual(sc.readinessProbe.httpGet, { path: '/health', port: 8090 });
  assert.ok(sc.env.some((e: any) => e.name === 'HEALTH_HOST' && e.value === '0.0.0.0'), 'probes come from outside the pod');
  assert.ok(r.notes.some((n) => /hostPath/.test(n)));
  assert.ok(r.notes.some((n) => /PersistentVolumeClaims/.test(n)));
});

test('the validator catches a broken manifest (so the check above can fail)', () => {
  const r = translate('kubernetes');
  const dep = parseAllDocuments(r.text!).map((d) => d.toJS())[2];
  dep.spec.replicas = 'three';
  assert.throws(() => new Deployment(dep).validate());
  delete dep.spec.selector;
  dep.spec.replicas = 1;
  assert.throws(() => new Deployment(dep).validate());
});

test('components without an image: an error for each, at the component, naming it; nothing is written', () => {
  const text = [
    'apiVersion: flowctl/v1',
    'kind: Pipeline',
    'metadata: {name: p}',
    'spec:',
    '  sources:',
    '    - id: src',
    '      command: [./src]',
    '  sinks:',
    '    - id: ok',
    `      image: ${IMAGE}`,
    '      inputs: [src]',
    '    - id: out',
    '      type: out',
    '      inputs: [src]',
    '',
  ].join('\n');
  for (const target of ['compose', 'swarm', 'kubernetes'] as const) {
    const r = translate(target, text);
    assert.equal(r.ok, false);
    assert.equal(r.text, undefined);
    const errs = r.diagnostics.filter((d) => d.severity === 'error');
    assert.deepEqual(
      errs.map((d) => `${d.line}:${d.column} ${d.message}`),
      ['6:7 source "src" has no image: a cluster runs every component from an image', '12:7 sink "out" has no image: a cluster runs every component from an image'],
    );
    assert.equal(errs[0].file, FILE);
    assert.equal(errs[0].field, 'spec.sources[0].image');
    assert.match(errs[0].fix!, /command. then runs inside that image/);
  }
});

test('an image reference docker would refuse is an error at the image', () => {
  const r = translate('swarm', PIPELINE.replace(`      image: ${IMAGE}\n      args:`, '      image: Registry/Bad Name\n      args:'));
  assert.equal(r.ok, false);
  const e = r.diagnostics.find((d) => d.severity === 'error')!;
  assert.equal(`${e.line}:${e.column}`, '18:14');
  assert.match(e.message, /processor "enrich": image "Registry\/Bad Name" contains whitespace/);
});

test('an invalid pipeline is reported with its own diagnostics, not translated', () => {
  const r = translate('swarm', PIPELINE.replace('inputs: [ticker]', 'inputs: [nope]'));
  assert.equal(r.ok, false);
  const e = r.diagnostics.find((d) => d.code === 'unknown-input')!;
  assert.equal(e.line, 20);
});

test('a volume without a target and a port without containerPort are errors at their place', () => {
  const text = PIPELINE.replace('          container_path: /data\n', '').replace('        - containerPort: 9100\n          hostPort: 19100', '        - hostPort: 19100');
  const r = translate('compose', text);
  assert.equal(r.ok, false);
  const msgs = r.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.line}: ${d.message}`);
  assert.ok(msgs.some((m) => /^24: processor "enrich": volume 1 has no container_path/.test(m)), msgs.join('\n'));
  assert.ok(msgs.some((m) => /^42: sink "Counter_Sink": port 1 has no containerPort/.test(m)), msgs.join('\n'));
});

test('warnings: restart_policy a Deployment cannot keep, hostPort with replicas', () => {
  const k = translate('kubernetes', PIPELINE.replace('restart_policy: always', 'restart_policy: "no"'));
  assert.equal(k.ok, true);
  assert.ok(k.diagnostics.some((d) => d.severity === 'warning' && /cannot be kept/.test(d.message) && d.line === 22));
  const s = translate('swarm', PIPELINE.replace('    - id: Counter_Sink', '    - id: Counter_Sink\n      replicas: 2'));
  assert.ok(s.diagnostics.some((d) => d.severity === 'warning' && /published on the host by 2 replicas/.test(d.message)));
});

test('mutual TLS: the hub serves with client certificates required, components and the health check present theirs', () => {
  const tls = { certFile: `${DIR}/tls/hub.crt`, keyFile: `${DIR}/tls/hub.key`, caFile: `${DIR}/tls/ca.crt`, clientCertFile: `${DIR}/tls/c.crt`, clientKeyFile: `${DIR}/tls/c.key` };
  const { doc, r } = composeDoc('swarm', PIPELINE, { tls });
  assert.ok(!r.text!.includes('--insecure-no-mtls'));
  const hub = doc.services['flowctl-hub'];
  const args = hub.command.join(' ');
  assert.match(args, /--tls-cert \/etc\/flowctl\/tls\/hub\.crt --tls-key \/etc\/flowctl\/tls\/hub\.key --tls-ca-cert \/etc\/flowctl\/tls\/ca\.crt/);
  const k8sHub = parseAllDocuments(translate('kubernetes', PIPELINE, { tls }).text!).map((d) => d.toJS())[2];
  assert.match(k8sHub.spec.template.spec.containers[0].livenessProbe.exec.command.join(' '), /health .*--tls-cert \/etc\/flowctl\/tls\/client\.crt .*--tls-server-name trades-demo-hub/);
  assert.equal(hub.secrets.length, 5);
  // The hub's image runs as uid 1000: its TLS files are that user's (swarm mounts secrets as root otherwise);
  // a component image's user is not known, so its files are readable by any user of its container.
  for (const x of hub.secrets) assert.deepEqual([x.uid, x.gid, x.mode], ['1000', '1000', 0o400], JSON.stringify(x));
  for (const x of doc.services.ticker.secrets) assert.equal(x.mode, 0o444, JSON.stringify(x));
  assert.equal(k8sHub.spec.template.spec.securityContext.fsGroup, 1000, 'the hub pod owns its TLS files through fsGroup');
  assert.equal(k8sHub.spec.template.spec.volumes.find((v: any) => v.name === 'flowctl-tls').secret.defaultMode, 0o440);
  assert.equal(doc.secrets['flowctl-tls-cert'].file, './tls/hub.crt');
  const env = doc.services.ticker.environment;
  assert.equal(env.FLOWCTL_TLS_CA_FILE, '/etc/flowctl/tls/ca.crt');
  assert.equal(env.FLOWCTL_TLS_CERT_FILE, '/etc/flowctl/tls/client.crt');
  assert.equal(env.FLOWCTL_TLS_SERVER_NAME, 'flowctl-hub');
  assert.deepEqual(
    doc.services.ticker.secrets.map((s: any) => s.source),
    ['flowctl-tls-ca', 'flowctl-tls-client-cert', 'flowctl-tls-client-key'],
  );
  const k = translate('kubernetes', PIPELINE, { tls });
  assert.ok(k.notes.some((n) => n.startsWith('create the hub\'s TLS secret first: kubectl create secret generic trades-demo-tls -n data')));
  for (const o of parseAllDocuments(k.text!).map((d) => d.toJS())) {
    if (o.kind === 'Deployment') new Deployment(o).validate();
  }
});

test('black-box pipelines: started, not registered; FLOWCTL_ENDPOINT only when they enable flowctl', () => {
  const text = [
    'apiVersion: flowctl/v1',
    'kind: Pipeline',
    'metadata: {name: p}',
    'spec:',
    '  pipelines:',
    '    - id: cdp',
    `      image: ${IMAGE}`,
    '      env: {A: "1"}',
    '    - id: cdp2',
    `      image: ${IMAGE}`,
    '      env: {ENABLE_FLOWCTL: "true"}',
    '',
  ].join('\n');
  const { doc } = composeDoc('swarm', text);
  assert.deepEqual(doc.services.cdp.environment, { A: '1' });
  assert.deepEqual(doc.services.cdp2.environment, { ENABLE_FLOWCTL: 'true', FLOWCTL_ENDPOINT: 'flowctl-hub:8080' });
});
