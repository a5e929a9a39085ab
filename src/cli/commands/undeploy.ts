// `flowctl undeploy [--stack NAME]`: docker stack rm, then wait until the engine holds nothing of the
// stack (services, containers, network, configs, secrets; named volumes with --volumes).
import * as path from 'node:path';
import { undeployFromSwarm, STACK_NAME_RE } from '../../core/deploy/swarm';
import { loadPipelineFileSync } from '../../core/pipeline/load';
import { slug } from '../../core/deploy/names';
import { colorEnabled, palette } from '../render/color';
import { UsageError } from '../args';
import { defineCommand } from '../command';
import { pipelineFileArg } from '../pipelineFile';

const flags = {
  stack: { type: 'string', description: "stack name (default: the name of the pipeline in -f / flow.yml)" },
  file: { type: 'string', short: 'f', valueName: 'file', description: 'pipeline file whose name is the stack name (default flow.yml)' },
  volumes: { type: 'boolean', default: false, description: 'also remove the stack\'s named volumes (their data)' },
  wait: { type: 'duration', default: 120_000, description: 'how long to wait until nothing of the stack remains' },
} as const;

export const command = defineCommand({
  summary: 'Remove a pipeline deployed with flowctl deploy',
  usage: 'flowctl undeploy [--stack NAME | -f flow.yml] [flags]',
  flags,
  async run(args) {
    const f = args.flags;
    let stack = f.stack;
    if (!stack) {
      const file = pipelineFileArg('undeploy -f', f.file ?? args.positionals[0]);
      const parsed = loadPipelineFileSync(file, { checkCommands: false });
      if (!parsed.pipeline?.metadata.name) throw new UsageError(`give --stack NAME (no pipeline name found in ${path.basename(file)})`);
      stack = slug(parsed.pipeline.metadata.name);
    }
    if (!STACK_NAME_RE.test(stack)) throw new UsageError(`--stack ${stack}: letters, digits, "-" and "_", starting with a letter or digit`);
    const p = palette(colorEnabled(process.stderr));
    await undeployFromSwarm({ stack, volumes: f.volumes, waitMs: f.wait }, (e) => {
      if (e.type === 'step') process.stderr.write(`${p.dim('→')} ${e.message}\n`);
      else if (e.type === 'warning') process.stderr.write(`${p.yellow('!')} ${e.message}\n`);
    });
    process.stdout.write(`${p.green('✓')} stack ${stack} removed: no service, container, network, config or secret of it remains\n`);
    return 0;
  },
});
