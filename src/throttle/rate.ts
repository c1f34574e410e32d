/**
 * DRF throttle rates: `"<num>/<period>"`, the period's first letter `s`, `m`, `h` or `d`
 * (`SimpleRateThrottle.parse_rate`).
 */

/** A parsed rate: `num` requests per `durationMs`. */
export interface Rate {
  readonly num: number;
  readonly durationMs: number;
}

const PERIOD_MS: Readonly<Record<string, number>> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * `parseRate("100/min")` → `{ num: 100, durationMs: 60000 }`; `null` → `null` (no
 * throttling, as DRF's `rate = None`). The number is 1–9 ASCII digits (0 allowed: every
 * request refused); the period is a letter `s`/`m`/`h`/`d` optionally followed by more
 * lower-case letters (`"5/second"`, `"1000/day"`, and — as DRF reads only the first letter
 * — `"5/mfoo"`). Multi-unit periods such as `"5/10m"` are not DRF and are refused.
 * Throws `RangeError` naming the value for anything else (settings validation refuses the
 * same values at start).
 */
export function parseRate(rate: string | null): Rate | null {
  if (rate === null) return null;
  if (typeof rate !== 'string' || !/^[0-9]{1,9}\/[smhd][a-z]*$/.test(rate)) {
    throw new RangeError(`invalid throttle rate ${JSON.stringify(rate)}: expected "<number>/<s|m|h|d…>" such as "100/min"`);
  }
  const slash = rate.indexOf('/');
  return Object.freeze({ num: Number(rate.slice(0, slash)), durationMs: PERIOD_MS[rate.charAt(slash + 1)] as number });
}
