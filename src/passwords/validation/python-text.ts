/**
 * The few Python `str` operations Django's password validators use, with Python's
 * semantics rather than JavaScript's where the two differ:
 *
 * - lengths count code points (`len(s)`), not UTF-16 units;
 * - `strip()` removes Python's whitespace (`str.isspace`: includes U+001C–U+001F and
 *   U+0085, excludes U+FEFF, unlike `String.prototype.trim`);
 * - `isdigit()` is true for decimal digits of every script and for the "digit" numerals
 *   (superscripts, circled digits …), at least one character;
 * - `re.split(r'\W+', s)` splits on runs of characters that are neither letters, numbers
 *   nor `_` (Python's Unicode `\w`: alphanumeric or underscore).
 *
 * `lower()` is JavaScript's `toLowerCase()`: both apply Unicode's full, locale-free
 * lower-case mapping (final sigma included). Character classes follow the Unicode
 * version of the runtime.
 */

/** Python's `len(s)`: the number of code points (a lone surrogate counts as one). */
export function codePointLength(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    n++;
  }
  return n;
}

/** Python's `str.isspace()` characters (all in the BMP). */
const PY_SPACE = /^[\t\n\v\f\r\u001c-\u001f \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]$/;

/** Python's `s.strip()`: two index scans (a regex such as `\s+$` would be quadratic on a long run of spaces). */
export function pyStrip(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && PY_SPACE.test(s[start] as string)) start++;
  while (end > start && PY_SPACE.test(s[end - 1] as string)) end--;
  return s.slice(start, end);
}

/** Numerals Python's `isdigit()` accepts besides decimal digits (`Numeric_Type=Digit`). */
const DIGIT_NUMERALS =
  '\\u00b2\\u00b3\\u00b9\\u1369-\\u1371\\u19da\\u2070\\u2074-\\u2079\\u2080-\\u2089\\u2460-\\u2468\\u2474-\\u247c' +
  '\\u2488-\\u2490\\u24ea\\u24f5-\\u24fd\\u24ff\\u2776-\\u277e\\u2780-\\u2788\\u278a-\\u2792' +
  '\\u{10a40}-\\u{10a43}\\u{10e60}-\\u{10e68}\\u{11052}-\\u{1105a}\\u{1f100}-\\u{1f10a}';
const ALL_DIGITS = new RegExp(`^[\\p{Nd}${DIGIT_NUMERALS}]+$`, 'u');

/** Python's `s.isdigit()`: not empty, and every character a digit. */
export function pyIsDigit(s: string): boolean {
  return ALL_DIGITS.test(s);
}

const NON_WORD = /[^\p{L}\p{N}_]+/u;

/** Python's `re.split(r'\W+', s)` (leading or trailing separators give empty parts, as there). */
export function pySplitNonWord(s: string): string[] {
  return s.split(NON_WORD);
}
