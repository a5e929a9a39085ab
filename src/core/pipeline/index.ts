// Pipeline files: model, loading with positions, validation, the component graph.
export * from './model';
export * from './diagnostics';
export { parsePipeline, loadPipelineFile, loadPipelineFileSync, isPipelineDocument, type ParseOptions, type ParseResult } from './load';
export { validatePipeline, parsePort, type ValidateOptions } from './validate';
export { buildGraph, formatCycle, type GraphNode, type PipelineGraph } from './graph';
export { findCommand, resolveCommandPath, type CommandLookup } from './commands';
export { RESTART_POLICIES, DRIVERS, PORT_PROTOCOLS } from './shape';
export { editDistance, suggestKey } from './suggest';
