// `flowctl restart <component-id>`: restarts one component of a live run (like process-compose's
// `process restart`) and waits until it has registered again.
import { defineCommand } from '../command';
import { componentCommand, controlFlags } from '../control';

export const command = defineCommand({
  summary: 'Restart one component of the running pipeline',
  usage: 'flowctl restart <component-id> [-f pipeline-file] [flags]',
  description:
    'Restarts one component of a live run (flowctl run, or a run in VS Code) with the run\'s grace period and waits\n' +
    'until it has registered again. The run is found through $FLOWCTL_HOME/endpoint.json (the run of -f, the\n' +
    'flow.yml in this folder, or the only live run) or --control-plane-address/--control-plane-port.\n' +
    'Only the run\'s owner (same user and FLOWCTL_HOME) may do this.',
  flags: controlFlags,
  run: (args) => componentCommand('restart', args),
});
