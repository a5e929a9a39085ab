// "Deploy to Swarm" / "Remove from Swarm": the core's deploy (translate -o swarm, docker stack deploy,
// watch the hub until every component is healthy) with its progress in a notification and the output
// channel, then Connect… to the hub's published port, so the Services view shows the deployed pipeline.
import * as vscode from 'vscode';
import { version } from '../../package.json';
import { deployToSwarm, undeployFromSwarm, STACK_NAME_RE, DeployError } from '../core/deploy/swarm';
import { slug } from '../core/deploy/names';
import { joinHostPort } from '../core/hostPort';
import { formatLocation } from '../core/pipeline/diagnostics';
import type { FlowctlContext } from './context';
import { pickPipelineFile } from './commands';
import { parseDocument, openPipelineDocument } from './pipelineDocs';

interface DeploySettings {
  hubImage: string;
  hubPort: number;
  waitSeconds: number;
  resolveImage: 'always' | 'changed' | 'never';
}

function deploySettings(): DeploySettings {
  const c = vscode.workspace.getConfiguration('flowctl.deploy');
  const resolve = c.get<string>('resolveImage', 'always');
  return {
    hubImage: c.get<string>('hubImage', '') ?? '',
    hubPort: c.get<number>('hubPort', 8080) ?? 8080,
    waitSeconds: c.get<number>('waitSeconds', 300) ?? 300,
    resolveImage: resolve === 'changed' || resolve === 'never' ? resolve : 'always',
  };
}

async function askStack(file: string): Promise<string | undefined> {
  const parsed = await parseDocument(await openPipelineDocument(file));
  const name = parsed.pipeline?.metadata.name;
  return vscode.window.showInputBox({
    prompt: 'Swarm stack name',
    value: slug(name || 'pipeline'),
    validateInput: (v) => (STACK_NAME_RE.test(v.trim()) ? undefined : 'Letters, digits, "-" and "_", starting with a letter or digit'),
  });
}

export function registerDeployCommands(ctx: FlowctlContext, register: (id: string, fn: (...args: any[]) => unknown) => void): void {
  // Arguments: the pipeline file (Uri or path; asked when absent) and, from scripts and tests, { stack } (asked when absent).
  register('flowctl.deployToSwarm', async (arg?: unknown, given?: { stack?: string }) => {
    const file = await pickPipelineFile(ctx, arg, 'run');
    if (!file) return undefined;
    const stack = (typeof given?.stack === 'string' ? given.stack : await askStack(file))?.trim();
    if (!stack) return undefined;
    const s = deploySettings();
    const record = ctx.deploys.begin(stack, 'deploying', file);
    ctx.output.show(true);
    ctx.output.info(`Deploying ${file} to Docker Swarm as stack ${stack}…`);
    try {
      const out = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `flowctl: deploying ${stack}`, cancellable: false },
        (progress) =>
          deployToSwarm(
            {
              file,
              stack,
              version,
              hubPort: s.hubPort,
              waitMs: s.waitSeconds * 1000,
              resolveImage: s.resolveImage,
              ...(s.hubImage ? { hubImage: s.hubImage } : {}),
            },
            (e) => {
              const text = e.type === 'progress' ? e.line : e.message;
              if (e.type === 'warning') ctx.output.warn(text);
              else ctx.output.info(text);
              ctx.deploys.progress(record, text);
              progress.report({ message: text });
            },
          ),
      );
      record.hubAddress = joinHostPort(out.hubAddress, out.hubPort);
      const name = out.translation.plan?.pipelineName;
      ctx.output.info(`${stack} is deployed: every component is healthy. Stack file: ${out.stackFile}`);
      ctx.deploys.progress(record, `${stack} is deployed: every component is healthy`);
      // The Services view shows the hub under the pipeline's name, in the file's order.
      await vscode.commands.executeCommand('flowctl.connect', { address: record.hubAddress, file, ...(name ? { pipeline: name } : {}) });
      record.state = 'deployed';
      void ctx.notifications.show('deployed', 'info', `flowctl: ${stack} is deployed to Docker Swarm; its hub (${record.hubAddress}) is shown in the Services view.`);
      return out;
    } catch (err) {
      record.state = 'failed';
      record.error = String((err as Error)?.message ?? err);
      if (err instanceof DeployError && err.translation) {
        const errors = err.translation.diagnostics.filter((x) => x.severity === 'error');
        for (const d of errors) ctx.output.error(`${formatLocation(d)}: ${d.message}`);
        // The notification names the first problem where it is; the output channel lists them all.
        if (errors.length) {
          const more = errors.length > 1 ? ` (and ${errors.length - 1} more: see the flowctl output)` : '';
          throw new DeployError(`${err.message}: ${formatLocation(errors[0])}: ${errors[0].message}${more}`, err.translation);
        }
      }
      throw err;
    }
  });

  // Argument: the stack name, or a pipeline file (Uri or path) whose stack name is asked (as is everything when absent).
  register('flowctl.undeployFromSwarm', async (arg?: unknown) => {
    let stack = typeof arg === 'string' && STACK_NAME_RE.test(arg) ? arg : undefined;
    if (!stack) {
      const file = await pickPipelineFile(ctx, arg, 'run');
      if (!file) return undefined;
      stack = (await askStack(file))?.trim();
    }
    if (!stack) return undefined;
    const record = ctx.deploys.begin(stack, 'removing');
    try {
      await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `flowctl: removing ${stack}` }, (progress) =>
        undeployFromSwarm({ stack: stack! }, (e) => {
          if (e.type !== 'progress') {
            ctx.output.info(e.message);
            ctx.deploys.progress(record, e.message);
            progress.report({ message: e.message });
          }
        }),
      );
    } catch (err) {
      record.state = 'failed';
      record.error = String((err as Error)?.message ?? err);
      throw err;
    }
    record.state = 'removed';
    // Only a view connected to this stack's hub is disconnected (another connection stays).
    const hub = record.hubAddress ?? joinHostPort('127.0.0.1', deploySettings().hubPort); // deployed from another window: the usual place
    if (ctx.connected?.target.address === hub) ctx.disconnect();
    ctx.output.info(`stack ${stack} removed`);
    void ctx.notifications.show('removed', 'info', `flowctl: stack ${stack} removed.`);
    return stack;
  });
}
