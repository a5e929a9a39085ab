// `flowctl list`: registered services through the legacy ListServices (detailed by default, `-t` table,
// `--json`). Unlike flowctl, health, last heartbeat and metrics are real.
import { ServiceType } from '../../core/controlplane/model';
import { call, connect, type EndpointFlags } from '../client';
import { formatLastHeartbeat, table, timestampMs } from '../render/format';
import { jsonForTerminal, sanitizeField as f } from '../../core/text/terminal';
import { defineCommand } from '../command';
import type { ParsedArgs } from '../args';
import { endpointFlagSpecs } from './status';

const flags = {
  ...endpointFlagSpecs,
  endpoint: { type: 'string', short: 'e', description: 'control plane host:port (default: the running one, else localhost:8080)' },
  table: { type: 'boolean', short: 't', default: false, description: 'print a table' },
  wait: { type: 'boolean', default: true, description: 'kept for flowctl compatibility (no effect: the running control plane is found through its endpoint file)' },
  json: { type: 'boolean', default: false, description: 'print JSON' },
} as const;

export const command = defineCommand({
  summary: 'List registered services (legacy API)',
  usage: 'flowctl list [flags]',
  flags,
  run: listCommand,
});

interface WireService {
  service_id: string;
  service_type: number;
  is_healthy: boolean;
  last_heartbeat: { seconds: number; nanos: number } | null;
  metrics: Record<string, number>;
  component_id: string;
}

const TYPE_NAMES: Record<number, string> = {
  [ServiceType.UNSPECIFIED]: 'UNSPECIFIED',
  [ServiceType.SOURCE]: 'SOURCE',
  [ServiceType.PROCESSOR]: 'PROCESSOR',
  [ServiceType.SINK]: 'SINK',
  [ServiceType.PIPELINE]: 'PIPELINE',
};

export async function listCommand(args: ParsedArgs<typeof flags>): Promise<number> {
  const flags = { ...args.flags } as EndpointFlags & Record<string, unknown>;
  const endpoint = args.flags.endpoint;
  if (endpoint) flags.endpoint = endpoint.replace(/^https?:\/\//, '');
  const clients = await connect(flags);
  try {
    const res = await call<{ services: WireService[] }>(clients.legacy, 'ListServices', {});
    const services = res.services;
    if (args.flags.json) {
      process.stdout.write(jsonForTerminal(services) + '\n');
      return 0;
    }
    if (args.flags.table) {
      const rows = [['ID', 'TYPE', 'STATUS', 'LAST HEARTBEAT'], ['--', '----', '------', '--------------']];
      for (const s of services) {
        const hb = timestampMs(s.last_heartbeat);
        rows.push([f(s.service_id), TYPE_NAMES[s.service_type] ?? String(s.service_type), s.is_healthy ? 'HEALTHY' : 'UNHEALTHY', hb ? new Date(hb).toISOString() : '']);
      }
      process.stdout.write(table(rows, 3) + '\n');
      return 0;
    }
    const out: string[] = [`Registered Services (${services.length}):`, '========================'];
    for (const s of services) {
      out.push('');
      out.push(`ID: ${f(s.service_id)}`);
      if (s.component_id && s.component_id !== s.service_id) out.push(`Component: ${f(s.component_id)}`);
      out.push(`Type: ${TYPE_NAMES[s.service_type] ?? f(s.service_type)}`);
      out.push(`Status: ${s.is_healthy ? '🟢 HEALTHY' : '🔴 UNHEALTHY'}`);
      const hb = timestampMs(s.last_heartbeat);
      if (hb) out.push(`Last Heartbeat: ${new Date(hb).toISOString()} (${formatLastHeartbeat(hb)})`);
      const keys = Object.keys(s.metrics ?? {}).sort();
      if (keys.length) {
        out.push('Metrics:');
        for (const k of keys) out.push(`  ${f(k)}: ${f(s.metrics[k])}`);
      }
    }
    process.stdout.write(out.join('\n') + '\n');
    return 0;
  } finally {
    clients.close();
  }
}
