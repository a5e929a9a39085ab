// The process supervisor: env contract, output lines, one managed process per component, the run's
// supervisor, the run journal and run marker used to reap leftovers of a killed runner.
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
export { RunJournal, readJournal, type JournalContent, type JournalChild, type JournalHeader } from './journal';
export { RUN_MARKER_ENV, newRunMarker, isRunMarker, markerOf, findMarkedProcesses, sweepMarkedProcesses, type MarkedProcess, type SweepResult } from './marker';
export { isProcessAlive, isGroupAlive, groupAlive, groupExists, groupMembers, waitGroupGone } from './procfs';
