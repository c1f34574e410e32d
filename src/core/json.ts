/**
 * DRF's `JSONRenderer` output: compact separators, UTF-8, non-ASCII kept as is,
 * but U+2028 / U+2029 escaped (DRF does this so the JSON is also valid JavaScript).
 * Datetimes are rendered as DRF does: ISO 8601 with microseconds and `Z`.
 */
export function renderJson(value: unknown): string {
  const text = JSON.stringify(value);
  return text.includes('\u2028') || text.includes('\u2029')
    ? text.replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029')
    : text;
}

/** `2026-11-29T05:04:13.952000Z` — DRF's DateTimeField rendering of a UTC instant (ms precision here). */
export function drfDateTime(ms: number | Date): string {
  const iso = new Date(ms).toISOString(); // 2026-11-29T05:04:13.952Z
  return `${iso.slice(0, 23)}000Z`;
}
