/**
 * Durations in settings: a number of seconds, or a string such as `"30s"`, `"5m"`,
 * `"1h30m"`, `"1d"`, `"2w"`. Parsed once at start-up into whole milliseconds.
 */
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/gy;

/** Parse a duration; returns milliseconds or throws `Error` with a human message. */
export function parseDuration(value: number | string): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) throw new Error('must be a non-negative number of seconds');
    return Math.round(value * 1000);
  }
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  if (text === '' || text.length > 64) throw new Error(`"${value}" is not a duration (use seconds or e.g. "5m", "1d")`);
  let total = 0;
  PART.lastIndex = 0;
  let consumed = 0;
  for (let m = PART.exec(text); m; m = PART.exec(text)) {
    total += Number(m[1]) * (UNIT_MS[m[2] as string] as number);
    consumed = PART.lastIndex;
  }
  if (consumed !== text.length) throw new Error(`"${value}" is not a duration (use seconds or e.g. "5m", "1d")`);
  return Math.round(total);
}
