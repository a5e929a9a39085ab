// The process supervisor: env contract, output lines, one managed process per component, the run's
// supervisor, and the pid state file used to reap leftovers of a killed runner.
export { buildComponentEnv, freePort, toUpperSnake, envValue, type ComponentEnvSpec, type ComponentEnvOptions } from './env';
export { LineSplitter, stripAnsi, MAX_LINE } from './lines';
export {
  ManagedProcess,
  RESTART_POLICIES,
  type ManagedProcessSpec,
  type ProcessEvent,
  type ProcessState,
  type RestartPolicy,
  type BackoffOptions,
} from './process';
export { Supervisor, type SupervisorEvent, type SupervisorOptions } from './supervisor';
export { RunStateFile, reapLeftovers, processStartTime, runsDir, type RunState, type RunStateChild, type ReapResult } from './stateFile';
export { isProcessAlive, isGroupAlive, groupMembers } from './procfs';
