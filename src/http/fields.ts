/**
 * Serializer-style field validation with DRF's messages, for the fields the token and
 * account endpoints take. Errors are collected per field, in declaration order.
 */
import { ValidationError } from '../core/errors.js';
import type { BodyData } from './body.js';

export const REQUIRED = 'This field is required.';
export const BLANK = 'This field may not be blank.';
export const NULL = 'This field may not be null.';
export const NOT_A_STRING = 'Not a valid string.';

export interface CharFieldSpec {
  name: string;
  /** Strip surrounding whitespace before the blank check (DRF default true). */
  trim?: boolean;
  /** Longest accepted value (characters). */
  maxLength?: number;
  /** DRF `required` (default true): a missing optional field is left out of the values. */
  required?: boolean;
  /** DRF `allow_blank`: a blank value is accepted as `''` (no further validators run, as DRF). */
  allowBlank?: boolean;
  /** The field's own validators after the built-in ones (e.g. an e-mail check): their messages. */
  validate?: (value: string) => string[];
}

export const NULL_CHARACTERS = 'Null characters are not allowed.';

/** Python's `str()` of a JSON number, close enough for DRF's CharField coercion (`1e400` is `inf`). */
function pyNumberString(n: number): string {
  if (n === Infinity) return 'inf';
  if (n === -Infinity) return '-inf';
  return String(n);
}

/**
 * Python's `str.isspace()` for one UTF-16 unit, which is not JavaScript's `\s` (Python
 * counts U+001C–U+001F and U+0085, and not U+FEFF, the BOM). No white space is astral.
 */
function isPyWhitespace(c: number): boolean {
  if (c <= 0x20) return c === 0x20 || (c >= 0x09 && c <= 0x0d) || c >= 0x1c;
  if (c < 0x85) return false;
  if (c <= 0xa0) return c === 0x85 || c === 0xa0;
  if (c < 0x1680) return false;
  return c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000;
}

/**
 * Python's `str.strip()`. One scan from each end, so linear in the length whatever the
 * input (a regular expression anchored at the end, `/\s+$/`, restarts at every
 * character of a white-space run that is followed by something else: quadratic).
 */
export function pyStrip(value: string): string {
  let start = 0;
  let end = value.length;
  while (start < end && isPyWhitespace(value.charCodeAt(start))) start++;
  while (end > start && isPyWhitespace(value.charCodeAt(end - 1))) end--;
  return start === 0 && end === value.length ? value : value.slice(start, end);
}

/** A UTF-16 surrogate not part of a pair: what Python's `json` gives for a lone `"\ud800"`. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * DRF `CharField`'s own validators, in its order, every failure reported:
 * `ProhibitNullCharactersValidator`, `ProhibitSurrogateCharactersValidator`.
 */
function charValidatorErrors(value: string): string[] {
  const errors: string[] = [];
  if (value.includes('\0')) errors.push(NULL_CHARACTERS);
  const surrogate = LONE_SURROGATE.exec(value);
  if (surrogate) errors.push(`Surrogate characters are not allowed: U+${surrogate[0].charCodeAt(0).toString(16).toUpperCase()}.`);
  return errors;
}

/** Field values and field errors of one validation pass (errors in declaration order). */
export interface FieldPass {
  values: Record<string, string>;
  errors: Record<string, string[]>;
}

/**
 * Validate DRF `CharField`s: missing → required, null → may not be null, bool/list/object
 * → not a valid string, numbers coerced to strings, blank (after Python's strip) → may not
 * be blank, then the length, NUL and lone-surrogate validators (all their messages) and
 * the field's own. Returns the values and every field's errors, for a serializer that adds
 * checks of its own to the same pass before it answers (`throwFieldErrors`).
 */
export function collectCharFields(data: BodyData, specs: readonly CharFieldSpec[]): FieldPass {
  const values: Record<string, string> = {};
  const errors: Record<string, string[]> = {};
  for (const spec of specs) {
    const raw = Object.hasOwn(data, spec.name) ? data[spec.name] : undefined;
    if (raw === undefined) {
      if (spec.required !== false) errors[spec.name] = [REQUIRED];
      continue;
    }
    if (raw === null) {
      errors[spec.name] = [NULL];
      continue;
    }
    let value: string;
    if (typeof raw === 'string') value = raw;
    else if (typeof raw === 'number') value = pyNumberString(raw);
    else {
      errors[spec.name] = [NOT_A_STRING];
      continue;
    }
    if (spec.trim !== false) value = pyStrip(value);
    if (value === '') {
      if (spec.allowBlank) values[spec.name] = '';
      else errors[spec.name] = [BLANK];
      continue;
    }
    const invalid = charValidatorErrors(value);
    if (spec.maxLength !== undefined && value.length > spec.maxLength) invalid.unshift(`Ensure this field has no more than ${spec.maxLength} characters.`);
    if (spec.validate) invalid.push(...spec.validate(value));
    if (invalid.length > 0) {
      errors[spec.name] = invalid;
      continue;
    }
    values[spec.name] = value;
  }
  return { values, errors };
}

/** Throw one `ValidationError` listing every field's errors, in `order` (declaration order), if there are any. */
export function throwFieldErrors(errors: Record<string, string[]>, order: readonly string[]): void {
  const names = order.filter((n) => errors[n] !== undefined);
  if (names.length === 0) return;
  throw new ValidationError(Object.fromEntries(names.map((n) => [n, errors[n]!])));
}

/** `collectCharFields`, throwing one `ValidationError` that lists every bad field. */
export function validateCharFields(data: BodyData, specs: readonly CharFieldSpec[]): Record<string, string> {
  const { values, errors } = collectCharFields(data, specs);
  if (Object.keys(errors).length > 0) throw new ValidationError(errors);
  return values;
}
