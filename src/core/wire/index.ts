// Hand-written wire codecs for hot messages, and the clients that use them.
export { decodeListComponentsResponse, WireDecodeError } from './listComponents';
export type { WireComponentInfo, WireComponentStatus, WireListComponentsResponse, WireTimestamp } from './listComponents';
export { checkListComponentsShape, fastV1ControlPlaneClient, fastV1ServiceDefinition } from './fastClient';
