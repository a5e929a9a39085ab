// "Did you mean …?" for unknown keys.
import { KEY_SYNONYMS } from './shape';

/** Levenshtein distance (insert, delete, substitute; each costs 1). */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length];
}

const squash = (s: string) => s.toLowerCase().replace(/[-_\s]/g, '');

/** The known key the user most likely meant, or undefined when nothing is close. */
export function suggestKey(unknown: string, known: readonly string[]): string | undefined {
  const synonym = KEY_SYNONYMS[unknown.toLowerCase()];
  if (synonym && known.includes(synonym)) return synonym;
  const sq = squash(unknown);
  const same = known.find((k) => squash(k) === sq);
  if (same) return same;
  let best: string | undefined;
  let bestDist = Infinity;
  for (const k of known) {
    const d = editDistance(sq, squash(k));
    if (d < bestDist) {
      best = k;
      bestDist = d;
    }
  }
  const limit = Math.max(1, Math.min(3, Math.floor(sq.length / 3)));
  return bestDist <= limit ? best : undefined;
}

/**
 * The candidates `value` is most likely a misspelling of, best first: an exact match ignoring case,
 * `-`/`_`/spaces, a synonym, or within a small edit distance (about a third of the word). At most `max`.
 */
export function closestMatches(value: string, candidates: readonly string[], synonyms: Record<string, string> = {}, max = 3): string[] {
  if (!value) return [];
  const sq = squash(value);
  const limit = Math.max(1, Math.min(3, Math.floor(sq.length / 3)));
  const scored: { c: string; d: number }[] = [];
  const synonym = synonyms[value.toLowerCase()];
  for (const c of candidates) {
    if (c === value) continue;
    let d = squash(c) === sq ? 0 : editDistance(sq, squash(c));
    if (synonym === c) d = 0;
    else if (d > limit && sq.length >= 3 && squash(c).startsWith(sq)) d = limit; // a prefix: `enr` → `enrich`
    if (d <= limit) scored.push({ c, d });
  }
  scored.sort((a, b) => a.d - b.d);
  return scored.slice(0, max).map((s) => s.c);
}
