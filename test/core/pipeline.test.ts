/**
 * The authenticator pipeline and the 401-vs-403 rule, unit-level with fake
 * authenticators (DRF `Request._authenticate` and `APIView.permission_denied`).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Authenticator } from '../../src/core/authenticator.js';
import { AuthenticationFailed, NotAuthenticated, PermissionDenied, Throttled } from '../../src/core/errors.js';
import { authenticate, checkPermissions, errorResponse } from '../../src/core/pipeline.js';
import type { RequestView } from '../../src/core/request.js';
import { splitWhitespace } from '../../src/core/request.js';
import type { User } from '../../src/core/user.js';
import { IsAdminUser, IsAuthenticated, IsAuthenticatedOrReadOnly } from '../../src/permissions/index.js';

const req = (method = 'GET'): RequestView => ({ method, path: '/', headers: {}, cookies: {}, remoteAddress: '127.0.0.1' });
const user = (isStaff = false): User => ({
  id: 1, username: 'u', email: '', emailVerified: false, firstName: '', lastName: '', isActive: true, isStaff, isSuperuser: false, lastLogin: null, dateJoined: new Date(0), password: '!',
});

function fake(name: string, outcome: 'none' | 'ok' | 'fail', challenge: string | null, calls: string[]): Authenticator {
  return {
    name,
    authenticate: () => {
      calls.push(name);
      if (outcome === 'ok') return { user: user(), auth: name };
      if (outcome === 'fail') throw new AuthenticationFailed(`${name} failed`);
      return null;
    },
    challenge: () => challenge,
  };
}

test('first non-null principal wins; later authenticators are not run', async () => {
  const calls: string[] = [];
  const p = await authenticate(req(), [fake('a', 'none', 'A', calls), fake('b', 'ok', null, calls), fake('c', 'ok', null, calls)]);
  assert.equal(p?.auth, 'b');
  assert.deepEqual(calls, ['a', 'b']);
});

test('a thrown error stops the chain', async () => {
  const calls: string[] = [];
  await assert.rejects(async () => authenticate(req(), [fake('a', 'fail', 'A', calls), fake('b', 'ok', null, calls)]), /a failed/);
  assert.deepEqual(calls, ['a']);
});

test('all null → anonymous', async () => {
  assert.equal(await authenticate(req(), [fake('a', 'none', 'A', [])]), null);
  assert.equal(await authenticate(req(), []), null);
});

test('the challenge comes from the first authenticator, whichever failed; none means 403', () => {
  const calls: string[] = [];
  const first = fake('jwt', 'none', 'Bearer realm="api"', calls);
  const second = fake('token', 'fail', 'Token', calls);
  const res = errorResponse(new AuthenticationFailed('Invalid token.'), req(), [first, second]);
  assert.equal(res.status, 401);
  assert.equal(res.headers['WWW-Authenticate'], 'Bearer realm="api"');
  assert.deepEqual(res.body, { detail: 'Invalid token.' });
  const session = fake('session', 'none', null, calls);
  const forbidden = errorResponse(new NotAuthenticated(), req(), [session, second]);
  assert.equal(forbidden.status, 403);
  assert.equal(forbidden.headers['WWW-Authenticate'], undefined);
  assert.deepEqual(forbidden.body, { detail: 'Authentication credentials were not provided.' });
  assert.equal(errorResponse(new NotAuthenticated(), req(), []).status, 403);
  assert.equal(errorResponse(new PermissionDenied(), req(), [first]).status, 403);
});

test('async permissions and authenticators are awaited in order', async () => {
  const calls: string[] = [];
  const slow: Authenticator = { name: 'slow', authenticate: async () => (calls.push('slow'), null), challenge: () => null };
  const p = await authenticate(req(), [slow, fake('b', 'ok', null, calls)]);
  assert.equal(p?.auth, 'b');
  assert.deepEqual(calls, ['slow', 'b']);
  const deny = { hasPermission: async () => false };
  await assert.rejects(async () => checkPermissions({ req: req(), principal: null }, [{ hasPermission: async () => true }, deny], []), PermissionDenied);
});

test('permissions: anonymous on a route with authenticators → NotAuthenticated, else PermissionDenied', async () => {
  const auth = [fake('a', 'none', 'A', [])];
  await assert.rejects(async () => checkPermissions({ req: req(), principal: null }, [IsAuthenticated], auth), NotAuthenticated);
  await assert.rejects(async () => checkPermissions({ req: req(), principal: null }, [IsAuthenticated], []), PermissionDenied);
  await assert.rejects(
    async () => checkPermissions({ req: req(), principal: { user: user(false), auth: null } }, [IsAdminUser], auth),
    (e: unknown) => e instanceof PermissionDenied && e.detail === 'You do not have permission to perform this action.',
  );
  await checkPermissions({ req: req(), principal: { user: user(true), auth: null } }, [IsAdminUser], auth);
  await checkPermissions({ req: req('GET'), principal: null }, [IsAuthenticatedOrReadOnly], auth);
  await assert.rejects(async () => checkPermissions({ req: req('POST'), principal: null }, [IsAuthenticatedOrReadOnly], auth), NotAuthenticated);
});

test('throttled message and Retry-After as DRF', () => {
  const one = new Throttled(0.4);
  assert.deepEqual(one.body(), { detail: 'Request was throttled. Expected available in 1 second.' });
  assert.deepEqual(one.headers(), { 'Retry-After': '1' });
  assert.deepEqual(new Throttled(59.2).body(), { detail: 'Request was throttled. Expected available in 60 seconds.' });
  assert.deepEqual(new Throttled(null).headers(), {});
});

test('Python bytes.split() semantics', () => {
  assert.deepEqual(splitWhitespace('  Token \t abc \r\n'), ['Token', 'abc']);
  assert.deepEqual(splitWhitespace('Token\x0b\x0cabc'), ['Token', 'abc']);
  assert.deepEqual(splitWhitespace('Token\xa0abc'), ['Token\xa0abc'], 'NBSP is not ASCII whitespace');
  assert.deepEqual(splitWhitespace(''), []);
});
