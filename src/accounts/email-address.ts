/**
 * E-mail addresses as Django checks and stores them.
 *
 * - `isValidEmail(value)`: Django's `EmailValidator` (3.2, with the 320-character cap of
 *   the 2023 security release): a dot-atom or quoted local part, then a domain of labels
 *   (an internationalised domain is checked in its punycode form), `localhost`, or an
 *   IPv4/IPv6 literal in brackets. The message for a refusal is `INVALID_EMAIL`.
 * - `normalizeEmail(value)`: `BaseUserManager.normalize_email`: the domain part is
 *   lower-cased, the local part kept as typed (surrounding whitespace removed when the
 *   value has an `@`). Lookups compare addresses case-insensitively on top of this
 *   (`UserStore.findByEmail`).
 *
 * Every regular expression here runs on at most `EMAIL_VALIDATE_MAX` characters.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { domainToASCII } from 'node:url';

export const INVALID_EMAIL = 'Enter a valid email address.';
/** Django's `EmailField` column length (`max_length=254`): what a user row can hold. */
export const EMAIL_MAX_LENGTH = 254;
/** Django's validator refuses anything longer before running a regular expression. */
export const EMAIL_VALIDATE_MAX = 320;

/* The `u` flag gives Python's Unicode case-insensitive matching of `[A-Z]`. */
const USER_PART =
  /^(?:[-!#$%&'*+/=?^_`{}|~0-9A-Z]+(?:\.[-!#$%&'*+/=?^_`{}|~0-9A-Z]+)*|"(?:[\x01-\x08\x0b\x0c\x0e-\x1f!#-[\]-\x7f]|\\[\x01-\x09\x0b\x0c\x0e-\x7f])*")$/iu;
const DOMAIN_PART = /^(?:[A-Z0-9](?:[A-Z0-9-]{0,61}[A-Z0-9])?\.)+[A-Z0-9-]{2,63}(?<!-)$/iu;
const LITERAL = /^\[([A-F0-9:.]+)\]$/iu;
const DOMAIN_ALLOWLIST = new Set(['localhost']);

function validDomainPart(domain: string): boolean {
  if (DOMAIN_PART.test(domain)) return true;
  const literal = LITERAL.exec(domain);
  return literal !== null && (isIPv4(literal[1]!) || isIPv6(literal[1]!));
}

/** Django's `validate_email`: true when the value is an acceptable address. */
export function isValidEmail(value: string): boolean {
  if (value.length === 0 || value.length > EMAIL_VALIDATE_MAX) return false;
  const at = value.lastIndexOf('@');
  if (at < 0) return false;
  const userPart = value.slice(0, at);
  const domainPart = value.slice(at + 1);
  if (!USER_PART.test(userPart)) return false;
  if (DOMAIN_ALLOWLIST.has(domainPart) || validDomainPart(domainPart)) return true;
  /* Python's `domain.encode('idna')` for an internationalised domain; '' when it cannot be encoded. */
  const ascii = /^[\x00-\x7f]*$/.test(domainPart) ? '' : domainToASCII(domainPart);
  return ascii !== '' && validDomainPart(ascii);
}

/** Django's `BaseUserManager.normalize_email`. */
export function normalizeEmail(value: string | null | undefined): string {
  const email = value ?? '';
  const trimmed = email.trim();
  const at = trimmed.lastIndexOf('@');
  if (at < 0) return email;
  return trimmed.slice(0, at) + '@' + trimmed.slice(at + 1).toLowerCase();
}
