// Is a component's data-plane server there? GetInfo on its own HTTP/2 connection: OK or UNIMPLEMENTED
// both prove a gRPC server answers (flowctl never calls GetInfo; the event stream itself says when it is
// the wrong kind of server). A refused connection is retried with a short backoff until the timeout: the
// Go SDK registers before its data port listens.
import { status as Status } from '@grpc/grpc-js';
import { protos } from '../proto';
import { frameMessage } from './frames';
import type { H2Channel } from './h2call';

/** A gRPC frame of an empty message (google.protobuf.Empty). */
const EMPTY_FRAME = frameMessage(new Uint8Array(0));

/**
 * true = reachable; a string = why not (for the user); undefined = `stale()` said to give up (the
 * component went down or up again meanwhile).
 */
export async function probe(
  channel: H2Channel,
  service: 'SourceService' | 'ProcessorService' | 'ConsumerService',
  timeoutMs: number,
  stale: () => boolean,
): Promise<true | string | undefined> {
  const deadline = Date.now() + timeoutMs;
  const getInfo = protos().v1[service].service.GetInfo.path;
  const tooLong = () => `no flowctl.v1 ${service} answered at ${channel.address} within ${Math.round(timeoutMs / 1000)} s (is it a gRPC data-plane server?)`;
  let backoff = 20;
  for (;;) {
    const left = deadline - Date.now();
    if (left <= 0) return tooLong();
    const { status } = await channel.unary(getInfo, EMPTY_FRAME, left);
    if (stale()) return undefined;
    if (status.code === Status.OK || status.code === Status.UNIMPLEMENTED) return true;
    if (status.code === Status.DEADLINE_EXCEEDED) return tooLong();
    if (status.tlsFailure) {
      return (
        `cannot reach the flowctl.v1 ${service} at ${channel.address} over mutual TLS: ${status.details}. The run's control plane requires ` +
        `client certificates, so its data plane does too: the component must serve with FLOWCTL_TLS_CA_FILE, FLOWCTL_TLS_CERT_FILE and ` +
        `FLOWCTL_TLS_KEY_FILE (a certificate the CA signed, usable for server authentication)`
      );
    }
    if (status.code !== Status.UNAVAILABLE) return `cannot reach the flowctl.v1 ${service} at ${channel.address}: ${status.details}`;
    await new Promise((r) => setTimeout(r, Math.min(backoff, Math.max(1, deadline - Date.now()))));
    backoff = Math.min(backoff * 2, 500);
    if (stale()) return undefined;
  }
}
