export { DataPlane } from './dataPlane';
export { normalizeEndpoint, type DialTarget } from './endpoint';
export type { DataPlaneNode, DataPlaneOptions, DataPlaneEvent, DataPlaneRole, NodeCounts, ConsumeResult } from './types';
