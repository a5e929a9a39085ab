export const CALL: string;
export const FAST: string;
export const HELPER: string;
export function withFastIPv6(text: string): string;
/** The esbuild plugin that routes grpc-js's net.isIPv6 calls through withFastIPv6's helper. */
export function grpcIPv6FastPathPlugin(): import('esbuild').Plugin;
