// Placeholder until src/core/controlplane/server.ts exists (being written in parallel).
export async function startOurServer(_dbPath: string | undefined): Promise<{ port: number; stop(): Promise<void> }> {
  throw new Error('ControlPlaneServer (src/core/controlplane/server.ts) is not available yet');
}
