// The run's owner token: 32 random bytes (hex) made by the runner for each run, kept only in the run's
// entry of the 0600 endpoint file, sent by our clients (CLI, extension) as gRPC metadata. Calls that
// only the owner may make (stop the run, control components) check it in constant time.
import * as crypto from 'node:crypto';

/** gRPC metadata key carrying the owner token. */
export const RUN_TOKEN_METADATA_KEY = 'x-flowctl-run-token';

/** Longest token value looked at (ours are 64 hex characters); anything longer is wrong without comparing. */
const MAX_TOKEN_CHARS = 256;

export function newRunToken(): string {
  return crypto.randomBytes(32).toString('hex');
}

/** Constant-time comparison (both sides hashed first, so their lengths leak nothing either). */
export function tokensEqual(expected: string, given: string | undefined): boolean {
  if (!expected || typeof given !== 'string' || given.length === 0 || given.length > MAX_TOKEN_CHARS) return false;
  const a = crypto.createHash('sha256').update(expected).digest();
  const b = crypto.createHash('sha256').update(given).digest();
  return crypto.timingSafeEqual(a, b);
}
