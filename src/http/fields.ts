/**
 * Serializer-style field validation with DRF's messages, for the few fields the
 * token endpoints take. Errors are collected per field, in declaration order.
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
}

/** Python's `str()` of a JSON number, close enough for DRF's CharField coercion. */
function pyNumberString(n: number): string {
  return Number.isInteger(n) && Math.abs(n) < 1e16 ? String(n) : String(n);
}

/**
 * Validate DRF `CharField`s: missing → required, null → may not be null, bool/list/object
 * → not a valid string, numbers coerced to strings, blank (after trim) → may not be blank.
 * Returns the values or throws one `ValidationError` listing every bad field.
 */
export function validateCharFields(data: BodyData, specs: readonly CharFieldSpec[]): Record<string, string> {
  const values: Record<string, string> = {};
  const errors: Record<string, string[]> = {};
  for (const spec of specs) {
    const raw = Object.hasOwn(data, spec.name) ? data[spec.name] : undefined;
    if (raw === undefined) {
      errors[spec.name] = [REQUIRED];
      continue;
    }
    if (raw === null) {
      errors[spec.name] = [NULL];
      continue;
    }
    let value: string;
    if (typeof raw === 'string') value = raw;
    else if (typeof raw === 'number' && Number.isFinite(raw)) value = pyNumberString(raw);
    else {
      errors[spec.name] = [NOT_A_STRING];
      continue;
    }
    if (spec.trim !== false) value = value.trim();
    if (value === '') {
      errors[spec.name] = [BLANK];
      continue;
    }
    if (spec.maxLength !== undefined && value.length > spec.maxLength) {
      errors[spec.name] = [`Ensure this field has no more than ${spec.maxLength} characters.`];
      continue;
    }
    values[spec.name] = value;
  }
  if (Object.keys(errors).length > 0) throw new ValidationError(errors);
  return values;
}
