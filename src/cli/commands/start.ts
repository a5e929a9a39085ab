// `flowctl start <component-id>`: starts a component of a live run that was stopped (or has exited).
import { defineCommand } from '../command';
import { componentCommand, controlFlags } from '../control';

export const command = defineCommand({
  summary: 'Start a stopped component of the running pipeline',
  usage: 'flowctl start <component-id> [-f pipeline-file] [flags]',
  description:
    'Starts a component of a live run that was stopped (flowctl stop <component-id>) or has exited, and waits until\n' +
    'it has registered. The run is found like for flowctl restart. Only the run\'s owner may do this.',
  flags: controlFlags,
  run: (args) => componentCommand('start', args),
});
