/**
 * Cookie mode: `Set-Cookie` serialisation, signed double-submit CSRF tokens, origin
 * checks, and the `CookieMode` object that ties them to the settings.
 * See docs/cookie-mode.md.
 */
export { CookieError, MAX_COOKIE_BYTES, cookiePrefix, expiredCookie, httpDate, serializeCookie, setCookieHeaders } from './cookie.js';
export type { CookieAttributes, SameSite } from './cookie.js';
export { CsrfTokens, REASON_CSRF_TOKEN_INCORRECT, REASON_CSRF_TOKEN_MISSING, REASON_NO_CSRF_COOKIE, randomId, sameString } from './csrf.js';
export type { CsrfPurpose } from './csrf.js';
export {
  OriginPolicy,
  OriginSettingError,
  REASON_CROSS_SITE,
  REASON_INSECURE_REFERER,
  REASON_MALFORMED_REFERER,
  REASON_NO_REFERER,
  hostnameOf,
  isLocalhostRequest,
  isLoopbackAddress,
  normalizeOrigin,
  originFailed,
  refererFailed,
} from './origin.js';
export { CookieMode, InsecureCookieHost, PRESESSION_SUFFIX, SESSION_CLAIM, cookieSettingsProblems, csrfFailed, pathMatches, refreshPathProblems } from './mode.js';
export type { CookieModeOptions } from './mode.js';
