/**
 * Django's `UserAttributeSimilarityValidator`: a password is "too similar" to a user
 * attribute when `SequenceMatcher(a=password.lower(), b=part).quick_ratio() >=
 * max_similarity` for the attribute's lower-cased value or any of its `\W+`-separated
 * parts (parts first, then the whole value, as Django checks them; the first hit decides
 * the message). Attributes are compared in the configured order (Django's default:
 * username, first name, last name, e-mail); empty ones are skipped.
 *
 * `quick_ratio` is the multiset bound of difflib: 2·|A ∩ B| / (|A| + |B|), counting code
 * points, with 1.0 for two empty strings. It is linear in the two lengths.
 *
 * Work is bounded (docs/security.md #117): Django's length-ratio guard (Django ≥ 4.2 and
 * its security releases) skips a part that is so much shorter than the password that it
 * cannot reach the ratio, and a (lower-cased) password longer than `MAX_SIMILARITY_LENGTH`
 * code points, or an attribute value longer than twice that in UTF-16 units, is not
 * compared at all (such a password is refused by the hasher anyway, which takes at most
 * 4096 UTF-8 bytes; Django's own attributes are at most 254 characters long).
 */
import type { PasswordOwner } from '../../accounts/types.js';
import { pySplitNonWord } from './python-text.js';

/** Longest password or attribute value (code points) the similarity check compares. */
export const MAX_SIMILARITY_LENGTH = 4096;

/** The attributes Django compares, in its default order, with their verbose names. */
export const SIMILARITY_ATTRIBUTES: ReadonlyArray<{ key: keyof PasswordOwner; verboseName: string }> = [
  { key: 'username', verboseName: 'username' },
  { key: 'firstName', verboseName: 'first name' },
  { key: 'lastName', verboseName: 'last name' },
  { key: 'email', verboseName: 'email address' },
];

/** difflib's `SequenceMatcher(a=a, b=b).quick_ratio()` over code-point arrays. */
export function quickRatio(a: readonly string[], b: readonly string[]): number {
  const total = a.length + b.length;
  if (total === 0) return 1;
  const available = new Map<string, number>();
  for (const ch of b) available.set(ch, (available.get(ch) ?? 0) + 1);
  let matches = 0;
  for (const ch of a) {
    const left = available.get(ch) ?? 0;
    if (left > 0) {
      available.set(ch, left - 1);
      matches++;
    }
  }
  return (2 * matches) / total;
}

/** Django's `exceeds_maximum_length_ratio`: `value` is too short beside `password` to be similar. */
function exceedsMaximumLengthRatio(passwordLength: number, maxSimilarity: number, valueLength: number): boolean {
  return passwordLength >= 10 * valueLength && valueLength < (maxSimilarity / 2) * passwordLength;
}

/** Is `password` too similar to `value` (or one of its parts)? */
function similarTo(password: string[], value: string, maxSimilarity: number): boolean {
  const lower = value.toLowerCase();
  for (const part of [...pySplitNonWord(lower), lower]) {
    const chars = [...part];
    if (exceedsMaximumLengthRatio(password.length, maxSimilarity, chars.length)) continue;
    if (quickRatio(password, chars) >= maxSimilarity) return true;
  }
  return false;
}

/** The verbose name of the first attribute `password` is too similar to, or null. */
export function tooSimilarTo(password: string, owner: PasswordOwner | undefined, maxSimilarity: number): string | null {
  if (!owner) return null;
  if (password.length > 2 * MAX_SIMILARITY_LENGTH) return null; // more code points than the cap, whatever they are
  const chars = [...password.toLowerCase()];
  if (chars.length > MAX_SIMILARITY_LENGTH) return null;
  for (const { key, verboseName } of SIMILARITY_ATTRIBUTES) {
    const value = owner[key];
    if (typeof value !== 'string' || value === '' || value.length > 2 * MAX_SIMILARITY_LENGTH) continue;
    if (similarTo(chars, value, maxSimilarity)) return verboseName;
  }
  return null;
}
