// `flowctl health`: asks a control plane's gRPC health service (grpc.health.v1.Health/Check) whether it
// serves. Exit 0 when SERVING, 1 otherwise: what container health checks and probes run (the hub's image
// has no other tool for it).
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { protoPath as healthProtoPath } from 'grpc-health-check';
import { credentials, resolveEndpoint, type EndpointFlags } from '../client';
import { endpointFlagSpecs } from './status';
import { LOADER_OPTIONS } from '../../core/proto';
import { defineCommand } from '../command';

const STATUS_NAMES = ['UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN'];

const flags = {
  ...endpointFlagSpecs,
  service: { type: 'string', default: '', description: 'service to ask about ("" = the server as a whole)' },
  timeout: { type: 'duration', default: 3000, description: 'how long to wait for an answer' },
} as const;

export const command = defineCommand({
  summary: 'Check that a control plane serves (gRPC health), for container health checks',
  usage: 'flowctl health [--control-plane-address A --control-plane-port P] [flags]',
  description: 'Asks the control plane\'s grpc.health.v1 service. Prints SERVING and exits 0, or says why not and exits 1.',
  flags,
  async run(args) {
    const f = args.flags;
    const { target } = resolveEndpoint(f as EndpointFlags);
    const def = protoLoader.loadSync(healthProtoPath, LOADER_OPTIONS);
    const Health = (grpc.loadPackageDefinition(def) as any).grpc.health.v1.Health as typeof grpc.Client;
    const options: grpc.ChannelOptions = {};
    if (f['tls-server-name']) options['grpc.ssl_target_name_override'] = f['tls-server-name'];
    const client = new Health(target, credentials(f as EndpointFlags), options) as grpc.Client & Record<string, any>;
    try {
      const res = await new Promise<{ status: number | string }>((resolve, reject) =>
        client.Check({ service: f.service }, { deadline: Date.now() + f.timeout }, (err: grpc.ServiceError | null, r: { status: number | string }) =>
          err ? reject(err) : resolve(r),
        ),
      );
      const status = typeof res.status === 'number' ? (STATUS_NAMES[res.status] ?? String(res.status)) : res.status;
      process.stdout.write(`${status}\n`);
      return status === 'SERVING' ? 0 : 1;
    } catch (err) {
      const e = err as grpc.ServiceError;
      process.stderr.write(`control plane at ${target} did not answer the health check: ${e.details || e.message}\n`);
      return 1;
    } finally {
      client.close();
    }
  },
});
