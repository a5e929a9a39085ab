// `flowctl stop <component-id>`: stops one component of a live run (the run keeps running);
// `flowctl stop`: stops the whole run (like Ctrl+C in its terminal, or `flowctl pipelines stop`).
import { defineCommand } from '../command';
import { componentCommand, controlFlags, stopRunCommand } from '../control';

export const command = defineCommand({
  summary: 'Stop one component, or the whole running pipeline',
  usage: 'flowctl stop [component-id] [-f pipeline-file] [flags]',
  description:
    'With a component id: stops that component of a live run; it shows as stopped and the run keeps running\n' +
    '(flowctl start <component-id> starts it again). Without one: stops the whole run and waits until it has ended.\n' +
    'The run is found like for flowctl restart. Only the run\'s owner (same user and FLOWCTL_HOME) may do this.',
  flags: controlFlags,
  run: (args) => (args.positionals.length ? componentCommand('stop', args) : stopRunCommand(args)),
});
