// Messages between bench/controlplane.ts (driver) and bench/controlplane-server.ts (server child).
export type ToServer = { type: 'stats'; gc?: boolean } | { type: 'stop' };

export interface ServerReady {
  type: 'ready';
  port: number;
}

export interface ServerStats {
  type: 'stats';
  cpu: NodeJS.CpuUsage;
  rss: number;
  heapUsed: number;
}

export type FromServer = ServerReady | ServerStats;
