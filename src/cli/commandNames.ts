// The CLI's command names, shared by the dispatcher (main.ts) and the launcher (launcher.ts: one code cache
// per command, and one for everything else, so that a typo cannot make a new cache file).
export const COMMAND_NAMES = ['run', 'status', 'validate', 'health', 'list', 'pipelines', 'restart', 'stop', 'start', 'server', 'translate', 'deploy', 'undeploy', 'version'] as const;

export type CommandName = (typeof COMMAND_NAMES)[number];
