// flowctl.access.v1.AccessService (proto/flowctl/access/v1/access.proto): the owner-only way to let a
// component started by hand join a run at run time (the CLI flag does it at start: --allow-external).
import type * as grpc from '@grpc/grpc-js';
import type * as protoLoader from '@grpc/proto-loader';
import accessProtos from 'flowctl-protos:access';
import { embeddedPackageDefinition } from '../protoEmbed';
import { unary } from './grpcUtil';
import type { HandlerContext } from './handlerContext';
import { checkLength } from './limits';

export const ACCESS_SERVICE_NAME = 'flowctl.access.v1.AccessService';
export const ACCESS_PROTO_FILE = 'flowctl/access/v1/access.proto';

let cached: protoLoader.PackageDefinition | undefined;

export function accessPackageDefinition(): protoLoader.PackageDefinition {
  // ACCESS_PROTO_FILE with LOADER_OPTIONS, parsed at build time (src/core/protoEmbed.ts).
  cached ??= embeddedPackageDefinition(accessProtos);
  return cached;
}

export function accessServiceDefinition(): grpc.ServiceDefinition {
  return accessPackageDefinition()[ACCESS_SERVICE_NAME] as grpc.ServiceDefinition;
}

export function accessHandlers(ctx: HandlerContext): grpc.UntypedServiceImplementation {
  return {
    AllowExternal: unary(
      'AllowExternal',
      (req, call) => {
        const access = ctx.access!;
        access.requireOwner(call, 'AllowExternal');
        const id = typeof req.component_id === 'string' ? req.component_id : '';
        checkLength('component_id', id, ctx.registry.limitsInUse, 'maxIdLength');
        if (id) {
          if (req.allowed) access.allowExternal(id);
          else access.disallowExternal(id);
          ctx.log('info', `${req.allowed ? 'allowed' : 'no longer allowing'} component ${id} from outside the run`);
        }
        return { component_ids: access.externalIds() };
      },
      ctx.log,
    ),
  };
}
