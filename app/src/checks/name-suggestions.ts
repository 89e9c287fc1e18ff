/** "Did you mean …?": the existing names closest to a mistyped one, by edit distance. */

/** Levenshtein distance (insert, delete, substitute: 1 each), in O(|a|·|b|) time and O(|b|) memory. */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}

/** The literal text of a DMS pattern, for comparing with names: '%' dropped, '[_]' → '_'. */
export function patternText(pattern: string): string {
  return pattern.replaceAll('[_]', '_').replaceAll('%', '');
}

/**
 * The names closest to `wanted` (case-insensitive edit distance, at most max(2, a third of its length)), nearest
 * first, at most `limit`. Longer names are cut to 200 characters before comparing, so the cost stays bounded.
 */
export function closestNames(wanted: string, names: Iterable<string>, limit = 3): string[] {
  const w = wanted.toLowerCase().slice(0, 200);
  const max = Math.max(2, Math.floor(w.length / 3));
  const scored: { name: string; d: number }[] = [];
  for (const name of new Set(names)) {
    const n = name.toLowerCase().slice(0, 200);
    if (Math.abs(n.length - w.length) > max) continue;
    const d = editDistance(w, n);
    if (d <= max) scored.push({ name, d });
  }
  return scored.sort((a, b) => a.d - b.d || a.name.localeCompare(b.name)).slice(0, limit).map((s) => s.name);
}

/** `"a", "b"` with at most `limit` names shown and a count of the rest. */
export function quotedList(names: readonly string[], limit = 10): string {
  const shown = names.slice(0, limit).map((n) => JSON.stringify(n)).join(', ');
  return names.length > limit ? `${shown} and ${names.length - limit} more` : shown;
}
