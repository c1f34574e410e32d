/**
 * Cookie mode's building blocks, without a server: Set-Cookie serialisation (Django's
 * format), signed double-submit CSRF tokens, origin / Host checks, setting checks.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { FakeClock } from '../../src/core/clock.js';
import { PermissionDenied } from '../../src/core/errors.js';
import type { RequestView } from '../../src/core/request.js';
import { parseSettings } from '../../src/core/settings.js';
import {
  CookieError,
  CookieMode,
  CsrfTokens,
  InsecureCookieHost,
  OriginPolicy,
  cookieSettingsProblems,
  refreshPathProblems,
  expiredCookie,
  hostnameOf,
  httpDate,
  isLocalhostRequest,
  isLoopbackAddress,
  normalizeOrigin,
  pathMatches,
  sameString,
  serializeCookie,
  setCookieHeaders,
  type CookieAttributes,
} from '../../src/cookies/index.js';

const SECRET = 'test-secret-key-that-is-long-enough-0123456789';
const attrs: CookieAttributes = { domain: null, path: '/', httpOnly: true, secure: false, sameSite: 'Lax' };

function view(headers: Record<string, string>, cookies: Record<string, string> = {}, method = 'POST'): RequestView {
  const lower: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) lower[k.toLowerCase()] = v;
  return { method, path: '/', headers: lower, cookies, remoteAddress: '127.0.0.1' };
}

describe('Set-Cookie serialisation (Django / dj-rest-auth format)', () => {
  test('the attribute order of Python\'s Morsel, as dj-rest-auth\'s transcript', () => {
    const now = Date.UTC(2026, 10, 28, 19, 15, 51, 357);
    // drf-wire §10: `my-app-auth=<jwt>; expires=Sat, 28 Nov 2026 19:20:51 GMT; HttpOnly; Max-Age=300; Path=/; SameSite=Lax`
    assert.equal(serializeCookie('my-app-auth', 'a.b.c', 300, now, attrs), 'my-app-auth=a.b.c; expires=Sat, 28 Nov 2026 19:20:51 GMT; HttpOnly; Max-Age=300; Path=/; SameSite=Lax');
    assert.equal(
      serializeCookie('r', 'v', 86400, now, { domain: 'example.com', path: '/api/token/', httpOnly: true, secure: true, sameSite: 'Strict' }),
      'r=v; Domain=example.com; expires=Sun, 29 Nov 2026 19:15:51 GMT; HttpOnly; Max-Age=86400; Path=/api/token/; SameSite=Strict; Secure',
    );
    assert.equal(serializeCookie('c', 'v', 10, now, { ...attrs, httpOnly: false }), 'c=v; expires=Sat, 28 Nov 2026 19:16:01 GMT; Max-Age=10; Path=/; SameSite=Lax');
    // A negative remaining lifetime is sent as 0.
    assert.match(serializeCookie('c', 'v', -5, now, attrs), /; Max-Age=0; /);
  });

  test('deletion: name=""; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0 with the same Path and Domain', () => {
    assert.equal(expiredCookie('my-app-auth', attrs), 'my-app-auth=""; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/; SameSite=Lax');
    assert.equal(
      expiredCookie('r', { domain: 'example.com', path: '/api/token/', httpOnly: true, secure: true, sameSite: 'Lax' }),
      'r=""; Domain=example.com; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/api/token/; SameSite=Lax; Secure',
    );
  });

  test('httpDate is RFC 1123 with GMT, whole seconds', () => {
    assert.equal(httpDate(0), 'Thu, 01 Jan 1970 00:00:00 GMT');
    assert.equal(httpDate(Date.UTC(2027, 10, 27, 19, 15, 51, 999)), 'Sat, 27 Nov 2027 19:15:51 GMT');
  });

  test('refuses names and values outside RFC 6265, and cookies over 4096 bytes (docs/security.md #70)', () => {
    for (const bad of ['a b', 'a;b', 'a,b', 'a"b', 'a\\b', 'é']) assert.throws(() => serializeCookie('c', bad, 1, 0, attrs), CookieError, bad);
    for (const bad of ['', 'a b', 'a=b', 'a;b']) assert.throws(() => serializeCookie(bad, 'v', 1, 0, attrs), CookieError, bad);
    assert.doesNotThrow(() => serializeCookie('c', 'x'.repeat(4094), 1, 0, attrs));
    assert.throws(() => serializeCookie('c', 'x'.repeat(4095), 1, 0, attrs), /longer than 4096 bytes/);
  });

  test('setCookieHeaders keeps one line per cookie (an array node:http writes as several headers)', () => {
    const h = setCookieHeaders(['a=1', 'b=2']);
    assert.deepEqual(h['Set-Cookie'], ['a=1', 'b=2']);
  });
});

describe('CSRF tokens (signed double submit)', () => {
  const tokens = new CsrfTokens(SECRET);

  test('format <random>.<exp>.<mac>; bound to purpose, session id and expiry', () => {
    const t = tokens.issue('session', 'sid-1', 2000);
    assert.match(t, /^[A-Za-z0-9_-]{24}\.2000\.[A-Za-z0-9_-]{43}$/);
    assert.equal(tokens.verify(t, 'session', 'sid-1', 1999), true);
    assert.equal(tokens.verify(t, 'session', 'sid-1', 2000), false, 'expired at exp');
    assert.equal(tokens.verify(t, 'session', 'sid-2', 1000), false, 'another session');
    assert.equal(tokens.verify(t, 'pre', 'sid-1', 1000), false, 'another purpose');
    assert.notEqual(tokens.issue('session', 'sid-1', 2000), t, 'random per issue');
  });

  test('tampering with any part, another secret, or garbage is refused', () => {
    const t = tokens.issue('session', 'sid', 2000);
    const [r, e, m] = t.split('.') as [string, string, string];
    const flip = (s: string) => (s[0] === 'A' ? 'B' : 'A') + s.slice(1);
    for (const bad of [`${flip(r)}.${e}.${m}`, `${r}.2001.${m}`, `${r}.${e}.${flip(m)}`, `${r}.${e}`, '', 'x', `${t}.x`, ` ${t}`]) {
      assert.equal(tokens.verify(bad, 'session', 'sid', 1000), false, bad);
    }
    assert.equal(new CsrfTokens(`${SECRET}x`).verify(t, 'session', 'sid', 1000), false);
  });

  test('the key is derived for CSRF only: not the raw secretKey (the default HS256 JWT key)', () => {
    const t = tokens.issue('session', 'sid', 2000);
    const [random, exp, mac] = t.split('.') as [string, string, string];
    const raw = createHmac('sha256', SECRET).update(`gatehouse-csrf-v1\nsession\n3:sid\n${random}\n${exp}`).digest('base64url');
    assert.notEqual(raw, mac);
  });

  test('session ids are length-prefixed: ("ab", purpose) never collides with ("a", …)', () => {
    const t = tokens.issue('session', 'ab', 2000);
    assert.equal(tokens.verify(t, 'session', 'a', 1000), false);
  });

  test('sameString', () => {
    assert.equal(sameString('abc', 'abc'), true);
    assert.equal(sameString('abc', 'abd'), false);
    assert.equal(sameString('abc', 'ab'), false);
    assert.equal(sameString('', ''), true);
  });
});

describe('hosts and origins', () => {
  test('hostnameOf / isLocalhostRequest: localhost, 127.0.0.1 and [::1] only, any port', () => {
    assert.equal(hostnameOf('LocalHost:8000'), 'localhost');
    assert.equal(hostnameOf('[::1]:8000'), '[::1]');
    assert.equal(hostnameOf('example.com'), 'example.com');
    assert.equal(hostnameOf('a b'), null);
    assert.equal(hostnameOf('user@host'), null);
    assert.equal(hostnameOf(undefined), null);
    for (const h of ['localhost', 'localhost:1', '127.0.0.1:8000', '[::1]', '[::1]:80']) assert.equal(isLocalhostRequest(view({ Host: h })), true, h);
    for (const h of ['example.com', 'localhost.example.com', '127.0.0.2', '[::2]', 'localhost:x', '']) assert.equal(isLocalhostRequest(view({ Host: h })), false, h);
    assert.equal(isLocalhostRequest(view({})), false);
    assert.equal(isLoopbackAddress('::1'), true);
    assert.equal(isLoopbackAddress('0.0.0.0'), false);
  });

  test('normalizeOrigin: scheme://host[:port] only, default ports dropped, lower case', () => {
    assert.equal(normalizeOrigin('HTTPS://App.Example.com:443'), 'https://app.example.com');
    assert.equal(normalizeOrigin('http://localhost:80'), 'http://localhost');
    assert.equal(normalizeOrigin('http://localhost:8000'), 'http://localhost:8000');
    for (const bad of ['null', 'https://a.com/', 'https://a.com/x', 'https://u@a.com', 'ftp://a.com', 'https://a.com?x', 'a.com', '']) {
      assert.equal(normalizeOrigin(bad), null, bad);
    }
  });

  const policy = new OriginPolicy(['https://app.example.com', 'https://*.example.org', 'http://localhost:3000'], 'Lax');

  test('own origin: https://<Host>, and http://<Host> only on localhost', () => {
    assert.deepEqual(policy.ownOrigins(view({ Host: 'api.example.com' })), ['https://api.example.com']);
    assert.deepEqual(policy.ownOrigins(view({ Host: '127.0.0.1:8000' })), ['https://127.0.0.1:8000', 'http://127.0.0.1:8000']);
    assert.deepEqual(policy.ownOrigins(view({})), []);
    assert.equal(policy.check(view({ Host: 'api.example.com', Origin: 'https://api.example.com' })), null);
    assert.equal(policy.check(view({ Host: 'api.example.com', Origin: 'http://api.example.com' })), 'Origin checking failed - http://api.example.com does not match any trusted origins.');
    assert.equal(policy.check(view({ Host: 'localhost:8000', Origin: 'http://localhost:8000' })), null);
  });

  test('trusted origins, exact and *.wildcard (subdomains only, same scheme and port)', () => {
    const ok = (origin: string) => policy.check(view({ Host: 'api.example.com', Origin: origin })) === null;
    assert.equal(ok('https://app.example.com'), true);
    assert.equal(ok('https://a.example.org'), true);
    assert.equal(ok('https://a.b.example.org'), true);
    assert.equal(ok('http://localhost:3000'), true);
    assert.equal(ok('https://example.org'), false);
    assert.equal(ok('https://evilexample.org'), false);
    assert.equal(ok('http://a.example.org'), false);
    assert.equal(ok('https://a.example.org:8443'), false);
    assert.equal(ok('http://localhost:3001'), false);
    assert.equal(ok('null'), false);
    assert.throws(() => new OriginPolicy(['https://a.com/x'], 'Lax'), /not an origin/);
  });

  test('Sec-Fetch-Site: cross-site refused, even from a trusted origin, unless SameSite=None', () => {
    const req = view({ Host: 'api.example.com', Origin: 'https://app.example.com', 'Sec-Fetch-Site': 'cross-site' });
    assert.equal(policy.check(req), 'Cross-site request refused (Sec-Fetch-Site: cross-site).');
    const none = new OriginPolicy(['https://app.example.com'], 'None');
    assert.equal(none.check(req), null);
    assert.equal(none.check(view({ Host: 'api.example.com', Origin: 'https://evil.example', 'Sec-Fetch-Site': 'cross-site' })), 'Cross-site request refused (Sec-Fetch-Site: cross-site).');
    assert.equal(none.check(view({ Host: 'api.example.com', 'Sec-Fetch-Site': 'cross-site' })), 'Cross-site request refused (Sec-Fetch-Site: cross-site).');
  });

  test('no Origin: the Referer decides, with Django\'s messages', () => {
    const host = { Host: 'api.example.com' };
    assert.equal(policy.check(view({ ...host, Referer: 'https://api.example.com/page' })), null);
    assert.equal(policy.check(view({ ...host, Referer: 'https://app.example.com/' })), null);
    assert.equal(policy.check(view(host)), 'Referer checking failed - no Referer.');
    assert.equal(policy.check(view({ ...host, Referer: '' })), 'Referer checking failed - no Referer.');
    assert.equal(policy.check(view({ ...host, Referer: '::' })), 'Referer checking failed - Referer is malformed.');
    assert.equal(policy.check(view({ ...host, Referer: 'ftp://api.example.com/' })), 'Referer checking failed - Referer is malformed.');
    assert.equal(policy.check(view({ ...host, Referer: 'http://api.example.com/' })), 'Referer checking failed - Referer is insecure while host is secure.');
    assert.equal(policy.check(view({ ...host, Referer: 'https://evil.example/a' })), 'Referer checking failed - https://evil.example/a does not match any trusted origins.');
  });
});

describe('settings checks and CookieMode', () => {
  const settings = (cookies: Record<string, unknown>, extra: Record<string, unknown> = {}) => parseSettings({ secretKey: SECRET, ...extra, cookies: { enabled: true, ...cookies } });

  test('pathMatches (RFC 6265 path-match)', () => {
    assert.equal(pathMatches('/', '/api/token/refresh/'), true);
    assert.equal(pathMatches('/api/token/', '/api/token/refresh/'), true);
    assert.equal(pathMatches('/api/token', '/api/token/refresh/'), true);
    assert.equal(pathMatches('/api/tok', '/api/token/refresh/'), false);
    assert.equal(pathMatches('/api/token/refresh/', '/api/token/logout/'), false);
    assert.equal(pathMatches('/api/token/', '/api/token/'), true);
  });

  test('cookieSettingsProblems: the defaults are fine; each rule', () => {
    assert.deepEqual(cookieSettingsProblems(settings({})), []);
    assert.deepEqual(cookieSettingsProblems(settings({ secure: false })), [], 'default host 127.0.0.1');
    assert.equal(cookieSettingsProblems(settings({ secure: false }, { host: '0.0.0.0' })).length, 1);
    // Whether the refresh path reaches the endpoints depends on the mount: checked then.
    assert.deepEqual(cookieSettingsProblems(settings({ refreshPath: '/auth/' })), []);
    assert.equal(refreshPathProblems('/auth/', '').length, 2);
    assert.deepEqual(refreshPathProblems('/auth/', '/auth'), []);
    assert.deepEqual(refreshPathProblems('/auth/api/token/', '/auth'), []);
    assert.deepEqual(refreshPathProblems('/', '/auth'), []);
    const underAuth = refreshPathProblems('/api/token/', '/auth');
    assert.equal(underAuth.length, 2);
    assert.match(underAuth[0]!, /must cover \/auth\/api\/token\/refresh\/.*set cookies\.refreshPath to "\/auth\/api\/token\/"/);
    assert.match(underAuth[1]!, /must cover \/auth\/api\/token\/logout\//);
    assert.match(cookieSettingsProblems(settings({ csrfHeaderName: 'Cookie' })).join(), /reserved header/);
    assert.match(cookieSettingsProblems(settings({ refreshName: 'x', csrfCookieName: 'x' })).join(), /must differ/);
  });

  test('CookieMode: cookies, the Secure rule, CSRF checks', () => {
    const clock = new FakeClock(Date.UTC(2026, 10, 28, 12, 0, 0));
    const mode = new CookieMode({ settings: settings({ secure: false }), secretKey: SECRET, clock });
    assert.throws(() => mode.assertMaySetCookies(view({ Host: 'example.com' })), InsecureCookieHost);
    assert.doesNotThrow(() => mode.assertMaySetCookies(view({ Host: 'localhost:8000' })));
    const now = Math.floor(clock.now() / 1000);
    assert.equal(mode.setAccess('t', now + 300), `gatehouse-access=t; expires=${httpDate(clock.now() + 300_000)}; HttpOnly; Max-Age=300; Path=/; SameSite=Lax`);
    const [csrfCookie] = mode.setSessionCsrf('sid', now + 60);
    const token = csrfCookie!.slice('csrftoken='.length, csrfCookie!.indexOf(';'));
    const host = { Host: 'localhost:8000', Origin: 'http://localhost:8000' };
    assert.doesNotThrow(() => mode.checkSession(view({ ...host, 'X-CSRFToken': token }, { csrftoken: token }), 'sid'));
    const reason = (f: () => void) => {
      try {
        f();
      } catch (e) {
        assert.ok(e instanceof PermissionDenied);
        return (e.body() as { detail: string }).detail;
      }
      return null;
    };
    assert.equal(reason(() => mode.checkSession(view({ ...host, 'X-CSRFToken': token }, { csrftoken: token }), 'other')), 'CSRF Failed: CSRF token incorrect.');
    assert.equal(reason(() => mode.checkSession(view({ ...host, 'X-CSRFToken': token }, { csrftoken: token }), null)), 'CSRF Failed: CSRF token incorrect.');
    assert.equal(reason(() => mode.checkSession(view(host, { csrftoken: token }), 'sid')), 'CSRF Failed: CSRF token missing.');
    assert.equal(reason(() => mode.checkSession(view({ ...host, 'X-CSRFToken': token }), 'sid')), 'CSRF Failed: CSRF cookie not set.');
    clock.advance(61_000);
    assert.equal(reason(() => mode.checkSession(view({ ...host, 'X-CSRFToken': token }, { csrftoken: token }), 'sid')), 'CSRF Failed: CSRF token incorrect.');
    // Pre-session: the token is bound to the HttpOnly id cookie.
    const [pre, id] = mode.setPresession();
    const preToken = pre!.slice('csrftoken='.length, pre!.indexOf(';'));
    const preId = id!.slice('gatehouse-refresh-presession='.length, id!.indexOf(';'));
    assert.match(id!, /; HttpOnly; Max-Age=86400; Path=\/api\/token\/; SameSite=Lax$/);
    assert.doesNotThrow(() => mode.checkLogin(view({ ...host, 'X-CSRFToken': preToken }, { csrftoken: preToken, 'gatehouse-refresh-presession': preId }), []));
    assert.equal(reason(() => mode.checkLogin(view({ ...host, 'X-CSRFToken': preToken }, { csrftoken: preToken, 'gatehouse-refresh-presession': 'x' }), [])), 'CSRF Failed: CSRF token incorrect.');
    assert.equal(reason(() => mode.checkLogin(view({ ...host, 'X-CSRFToken': preToken }, { csrftoken: preToken }), [preId])), 'CSRF Failed: CSRF token incorrect.');
    // CSRF off: nothing is checked and no CSRF cookie is written.
    const off = new CookieMode({ settings: settings({ csrf: false }), secretKey: SECRET, clock });
    assert.doesNotThrow(() => off.checkSession(view({}), null));
    assert.deepEqual(off.setSessionCsrf('sid', now + 60), []);
    assert.equal(off.clearAll().length, 2);
  });
});
