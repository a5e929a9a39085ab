// `flowctl translate -o compose|swarm|kubernetes [-f flow.yml] [--to-file FILE]`: the pipeline as a
// compose file, a swarm stack file or Kubernetes manifests. The core (src/core/deploy) does the work;
// this maps flags and prints the result or the problems (file:line:column).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { version } from '../../../package.json';
import { TARGET_ALIASES, translatePipelineFile, type DeployTls, type TranslateOptions } from '../../core/deploy';
import { formatLocation, sortDiagnostics } from '../../core/pipeline/diagnostics';
import { sanitizeTerminalText } from '../../core/text/terminal';
import { UsageError } from '../args';
import { defineCommand } from '../command';
import { pipelineFileArg } from '../pipelineFile';

export const translateFlags = {
  output: { type: 'string', short: 'o', valueName: 'format', description: 'compose (docker-compose), swarm (docker stack deploy) or kubernetes' },
  file: { type: 'string', short: 'f', valueName: 'file', description: 'pipeline file (default flow.yml)' },
  'to-file': { type: 'string', valueName: 'file', description: 'write the result to this file (0600) instead of stdout' },
  'hub-image': { type: 'string', valueName: 'image', description: `image of the hub (default flowctl:${version}, built by npm run image)` },
  'hub-port': { type: 'number', default: 8080, description: "port of the hub's control plane in the cluster" },
  publish: { type: 'number', description: 'host port the hub is published on for flowctl status (compose/swarm; default: --hub-port, 0 = none)' },
  namespace: { type: 'string', description: "Kubernetes namespace (default: the pipeline's metadata.namespace)" },
  'tls-cert': { type: 'string', valueName: 'file', description: "the hub's TLS certificate (with --tls-key, --tls-ca-cert and the client pair: mutual TLS)" },
  'tls-key': { type: 'string', valueName: 'file', description: "the hub's TLS key" },
  'tls-ca-cert': { type: 'string', valueName: 'file', description: 'CA that signed the client certificates' },
  'tls-client-cert': { type: 'string', valueName: 'file', description: 'client certificate the components present' },
  'tls-client-key': { type: 'string', valueName: 'file', description: 'client key the components use' },
  'tls-server-name': { type: 'string', description: "name in the hub's certificate (default: the hub's service name)" },
} as const;

export const command = defineCommand({
  summary: 'Translate a pipeline into a compose file, a swarm stack or Kubernetes manifests',
  usage: 'flowctl translate -o compose|swarm|kubernetes [-f flow.yml] [--to-file FILE] [flags]',
  description:
    'Writes the pipeline as something a container orchestrator runs: a hub service (flowctl run --components external:\n' +
    'the control plane that components register with and that wires their data) and one service per component,\n' +
    'started from its image with the flowctl environment. Every component needs an `image`.',
  flags: translateFlags,
  async run(args) {
    const f = args.flags;
    if (args.positionals.length > 1) throw new UsageError(`accepts at most 1 arg(s), received ${args.positionals.length}`);
    if (f.file && args.positionals.length) throw new UsageError('give the pipeline file either as an argument or with -f, not both');
    if (!f.output) throw new UsageError('-o/--output is required: compose, swarm or kubernetes');
    const target = TARGET_ALIASES[f.output.toLowerCase()];
    if (!target) {
      const local = f.output === 'local' ? ' (flowctl translate -o local: use `flowctl run` to run the pipeline on this machine)' : '';
      throw new UsageError(`unknown output format "${f.output}": use compose, swarm or kubernetes${local}`);
    }
    const file = pipelineFileArg(`translate -o ${f.output}`, f.file ?? args.positionals[0]);
    const port = f['hub-port'];
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new UsageError(`--hub-port ${port}: use a port between 1 and 65535`);
    const publish = f.publish;
    if (publish !== undefined && (!Number.isInteger(publish) || publish < 0 || publish > 65535)) throw new UsageError(`--publish ${publish}: use a port between 0 and 65535`);
    const toFile = f['to-file'];
    const options: TranslateOptions = {
      target,
      version,
      hubPort: port,
      outputDir: toFile ? path.dirname(path.resolve(toFile)) : process.cwd(),
    };
    if (f['hub-image']) options.hubImage = f['hub-image'];
    if (publish !== undefined) options.publishPort = publish;
    if (f.namespace) options.namespace = f.namespace;
    const tls = tlsOptions(f);
    if (tls) options.tls = tls;

    const result = translatePipelineFile(file, options);
    const problems = sortDiagnostics(result.diagnostics).filter((d) => d.severity !== 'hint');
    for (const d of problems) {
      if (d.code === 'file-not-found' || d.code === 'file-read') throw new Error(d.message);
      const text = `${formatLocation(d)}: ${d.severity}: ${d.message}${d.fix ? `\n  fix: ${d.fix}` : d.hint ? `\n  hint: ${d.hint}` : ''}`;
      process.stderr.write(`${sanitizeTerminalText(text, { keepSgr: false })}\n`);
    }
    if (!result.ok || result.text === undefined) {
      const n = result.diagnostics.filter((d) => d.severity === 'error').length;
      throw new Error(`cannot translate ${file}: ${n} error(s)`);
    }
    for (const note of result.notes) process.stderr.write(`note: ${note}\n`);
    if (toFile) {
      // It may name secrets and hosts: private, like every file we write.
      try {
        fs.writeFileSync(toFile, result.text, { mode: 0o600 });
        fs.chmodSync(toFile, 0o600);
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        throw new Error(`cannot write ${toFile}: ${e.code === 'ENOENT' ? 'its folder does not exist' : e.message}`);
      }
      process.stderr.write(`wrote ${toFile} (${result.plan!.services.length} components + the hub ${result.plan!.hub.name})\n`);
    } else {
      process.stdout.write(result.text);
    }
    return 0;
  },
});

export function tlsOptions(f: Record<string, unknown>): DeployTls | undefined {
  const names = ['tls-cert', 'tls-key', 'tls-ca-cert', 'tls-client-cert', 'tls-client-key'] as const;
  const given = names.filter((n) => f[n] !== undefined);
  if (given.length === 0) {
    if (f['tls-server-name'] !== undefined) throw new UsageError('--tls-server-name needs the TLS files (--tls-cert, --tls-key, --tls-ca-cert, --tls-client-cert, --tls-client-key)');
    return undefined;
  }
  const missing = names.filter((n) => f[n] === undefined);
  if (missing.length) {
    throw new UsageError(`mutual TLS needs all five files: missing ${missing.map((m) => `--${m}`).join(', ')}`);
  }
  for (const n of names) {
    const p = f[n] as string;
    if (!fs.existsSync(p)) throw new UsageError(`--${n} ${p}: file does not exist`);
  }
  const tls: DeployTls = {
    certFile: f['tls-cert'] as string,
    keyFile: f['tls-key'] as string,
    caFile: f['tls-ca-cert'] as string,
    clientCertFile: f['tls-client-cert'] as string,
    clientKeyFile: f['tls-client-key'] as string,
  };
  if (f['tls-server-name']) tls.serverName = f['tls-server-name'] as string;
  return tls;
}
