// The one message a sink answers its Consume stream with.
import { protos } from '../proto';
import { FRAME_HEADER_BYTES } from './frames';

export /** The ConsumeResponse of a Consume call: its one frame, decoded (undefined when there is none). */
function decodeConsumeResponse(bytes: Buffer): { events_consumed: number; events_failed: number; errors: string[] } | undefined {
  if (bytes.length < FRAME_HEADER_BYTES) return undefined;
  const len = bytes.readUInt32BE(1);
  if (bytes.length < FRAME_HEADER_BYTES + len) return undefined;
  try {
    return protos().v1.ConsumerService.service.Consume.responseDeserialize(bytes.subarray(FRAME_HEADER_BYTES, FRAME_HEADER_BYTES + len));
  } catch {
    return undefined;
  }
}
