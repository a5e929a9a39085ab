// Names of what a deployment creates (compose services, swarm services, Kubernetes objects) derived
// from component ids. Component ids are free text; these names must be DNS labels: lowercase letters,
// digits and '-', starting and ending with a letter or digit, short enough for the orchestrator's
// prefixes (a swarm stack prefixes `<stack>_`, Kubernetes appends pod hashes to Deployment names).
import * as crypto from 'node:crypto';

/** Longest name we produce for one component (leaves room for a 20-character stack/pipeline prefix). */
export const MAX_NAME = 40;

function shortHash(text: string, n = 6): string {
  return crypto.createHash('sha256').update(text).digest('hex').slice(0, n);
}

/**
 * A DNS label for `id`: lowercased, anything else than [a-z0-9-] turned into '-', trimmed to `max`.
 * When that changed the id (or left nothing), a short hash of the id is appended so that two ids
 * that differ only in the characters dropped ("a_b", "a.b") still get different names.
 */
export function dnsLabel(id: string, max = MAX_NAME): string {
  const cleaned = id
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-+|-+$/g, '');
  if (cleaned === id && cleaned.length <= max && /^[a-z0-9]/.test(cleaned)) return cleaned;
  const suffix = shortHash(id);
  const head = cleaned.slice(0, Math.max(0, max - suffix.length - 1)).replace(/-+$/, '');
  return head ? `${head}-${suffix}` : `c-${suffix}`;
}

/** A readable DNS label without a hash (for the pipeline's name: nothing else in the output competes with it). */
export function slug(text: string, max = 22): string {
  const cleaned = text
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .slice(0, max)
    .replace(/^-+|-+$/g, '');
  return cleaned || 'pipeline';
}

/** Gives every id its own label; `reserved` names are never handed out (the hub's). */
export function assignNames(ids: readonly string[], reserved: readonly string[] = [], max = MAX_NAME): Map<string, string> {
  const taken = new Set(reserved);
  const out = new Map<string, string>();
  for (const id of ids) {
    let name = dnsLabel(id, max);
    if (taken.has(name)) {
      // Two different ids that clean up the same way ("Ticker" and "ticker"), or an id named like the hub.
      const suffix = shortHash(`${id}\0${out.size}`);
      name = `${name.slice(0, max - suffix.length - 1).replace(/-+$/, '')}-${suffix}`;
    }
    taken.add(name);
    out.set(id, name);
  }
  return out;
}

/** `<prefix>-<name>` kept within 63 characters (Kubernetes object names, DNS labels). */
export function prefixed(prefix: string, name: string, max = 63): string {
  const p = slug(prefix, 22);
  const full = `${p}-${name}`;
  if (full.length <= max) return full;
  const suffix = shortHash(full);
  return `${full.slice(0, max - suffix.length - 1).replace(/-+$/, '')}-${suffix}`;
}

export { shortHash };
