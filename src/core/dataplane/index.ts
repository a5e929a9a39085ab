export { DataPlane } from './dataPlane';
export { DataPlaneManager } from './manager';
export { DEFAULT_BUFFER_LIMITS, type BufferLimits, type HoldPolicy } from './edge';
export { normalizeEndpoint, type DialTarget } from './endpoint';
export { dataPlaneTls, type DataPlaneTls } from './tls';
export type {
  DataPlaneNode,
  DataPlaneOptions,
  DataPlaneManagerOptions,
  DataPlaneEvent,
  DataPlaneRole,
  NodeCounts,
  NodeDrops,
  EdgeCounts,
  ConsumeResult,
} from './types';
