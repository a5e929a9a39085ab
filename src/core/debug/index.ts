// Debugging one component of a live run (issue 10): runtime detection, the debugger start, the attach
// configuration, and the controller that restarts a component under a debugger and back.
export { ComponentDebugger, type FinishResult, type Say } from './controller';
export { attachConfiguration, type AttachOptions, type DebugTarget } from './attach';
export { DebugError, LOOPBACK, planDebug, type DebugNeed, type DebugPlan, type PlanInput } from './plan';
export { detectLaunch, shebangCommand, type Detection, type Launch } from './detect';
export { programFacts, type ProgramFacts } from './probe';
export { parseInspectorLine, listeningPorts, portListens } from './listener';
export { checkNeeds, freeLoopbackPort } from './tools';
export { DEBUG_RUNTIMES, PORT_PLACEHOLDER, debugKeyProblems, isDebugRuntime, nonLoopbackListen, type DebugRuntime, type DebugSpec } from './spec';
