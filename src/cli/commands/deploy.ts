// `flowctl deploy --to swarm [-f flow.yml] [--stack NAME]`: translate + docker stack deploy, then the hub is
// watched until every component registered and is healthy (progress on stderr). The core does the work.
import { version } from '../../../package.json';
import { deployToSwarm, DeployError, STACK_NAME_RE, type SwarmDeployOptions } from '../../core/deploy/swarm';
import { formatLocation, sortDiagnostics } from '../../core/pipeline/diagnostics';
import { sanitizeTerminalText } from '../../core/text/terminal';
import { colorEnabled, palette } from '../render/color';
import { UsageError } from '../args';
import { defineCommand } from '../command';
import { pipelineFileArg } from '../pipelineFile';
import { translateFlags, tlsOptions } from './translate';

const flags = {
  to: { type: 'string', default: 'swarm', description: 'where to deploy (swarm; for Kubernetes use flowctl translate -o kubernetes | kubectl apply -f -)' },
  file: translateFlags.file,
  stack: { type: 'string', description: "stack name (default: the pipeline's name)" },
  'hub-image': translateFlags['hub-image'],
  'hub-port': translateFlags['hub-port'],
  publish: { type: 'number', description: 'host port the hub is published on (default: --hub-port)' },
  'control-plane-address': { type: 'string', default: '127.0.0.1', description: "where the hub's published port is reached from here" },
  'resolve-image': { type: 'string', default: 'always', description: 'docker stack deploy --resolve-image: always, changed or never (never: local images only, no registry)' },
  wait: { type: 'duration', default: 300_000, description: 'how long to wait for every component to be healthy (0 = do not wait)' },
  'tls-cert': translateFlags['tls-cert'],
  'tls-key': translateFlags['tls-key'],
  'tls-ca-cert': translateFlags['tls-ca-cert'],
  'tls-client-cert': translateFlags['tls-client-cert'],
  'tls-client-key': translateFlags['tls-client-key'],
  'tls-server-name': translateFlags['tls-server-name'],
} as const;

export const command = defineCommand({
  summary: 'Deploy a pipeline to Docker Swarm and wait until it is healthy',
  usage: 'flowctl deploy --to swarm [-f flow.yml] [--stack NAME] [flags]',
  description:
    'Translates the pipeline (flowctl translate -o swarm), runs docker stack deploy, and watches the hub through its\n' +
    'published port until every component registered and is healthy. The stack file is kept under ~/.flowctl/deploy/<stack>/.',
  flags,
  async run(args) {
    const f = args.flags;
    if (args.positionals.length > 1) throw new UsageError(`accepts at most 1 arg(s), received ${args.positionals.length}`);
    if (f.to !== 'swarm') {
      throw new UsageError(
        f.to === 'kubernetes' || f.to === 'k8s'
          ? 'deploy --to kubernetes is not built in: flowctl translate -o kubernetes | kubectl apply -f -'
          : `unknown target "${f.to}": use --to swarm`,
      );
    }
    const resolve = f['resolve-image'];
    if (resolve !== 'always' && resolve !== 'changed' && resolve !== 'never') throw new UsageError(`--resolve-image ${resolve}: use always, changed or never`);
    if (f.stack !== undefined && !STACK_NAME_RE.test(f.stack)) throw new UsageError(`--stack ${f.stack}: letters, digits, "-" and "_", starting with a letter or digit`);
    const opts: SwarmDeployOptions = {
      file: pipelineFileArg('deploy --to swarm', f.file ?? args.positionals[0]),
      version,
      hubPort: f['hub-port'],
      hubAddress: f['control-plane-address'],
      resolveImage: resolve,
      waitMs: f.wait,
    };
    if (f.stack) opts.stack = f.stack;
    if (f['hub-image']) opts.hubImage = f['hub-image'];
    if (f.publish !== undefined) opts.publishPort = f.publish;
    const tls = tlsOptions(f);
    if (tls) opts.tls = tls;

    const p = palette(colorEnabled(process.stderr));
    const err = (s: string) => process.stderr.write(`${sanitizeTerminalText(s, { keepSgr: true })}\n`);
    try {
      const out = await deployToSwarm(opts, (e) => {
        if (e.type === 'step') err(`${p.dim('→')} ${e.message}`);
        else if (e.type === 'warning') err(`${p.yellow('!')} ${e.message}`);
        else err(`${p.dim('…')} ${e.line}`);
      });
      const where = `--control-plane-address ${out.hubAddress} --control-plane-port ${out.hubPort}`;
      const lines = [
        '',
        out.ready
          ? `${p.green('✓')} ${out.translation.plan!.pipelineName} is deployed as stack ${out.stack}: ${out.components.length} components healthy`
          : `${p.green('✓')} stack ${out.stack} deployed (not waiting for the components)`,
        '',
        'Next:',
        `  flowctl status ${where}`,
        `  docker stack ps ${out.stack}`,
        `  flowctl undeploy --stack ${out.stack}`,
        '',
        `Stack file: ${out.stackFile}`,
      ];
      process.stdout.write(lines.join('\n') + '\n');
      return 0;
    } catch (e) {
      if (e instanceof DeployError && e.translation) {
        for (const d of sortDiagnostics(e.translation.diagnostics).filter((x) => x.severity === 'error')) {
          err(`${formatLocation(d)}: error: ${d.message}${d.fix ? `\n  fix: ${d.fix}` : ''}`);
        }
      }
      throw e;
    }
  },
});
