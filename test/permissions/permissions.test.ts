/**
 * Permissions: the DRF built-ins, HasScope / HasRole from token claims, DRF's `&` `|` `~`
 * operators (including DRF 3.14's OR object rule), messages, and object-level checks —
 * unit-level, through the core pipeline (`checkPermissions`, `runPolicy`).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Authenticator } from '../../src/core/authenticator.js';
import { NotAuthenticated, PermissionDenied } from '../../src/core/errors.js';
import { isPromise, type MaybePromise } from '../../src/core/maybe.js';
import { checkPermissions, runPolicy, type Permission, type PermissionAnswer, type PermissionContext } from '../../src/core/pipeline.js';
import type { RequestView } from '../../src/core/request.js';
import type { Principal, User } from '../../src/core/user.js';
import {
  AllowAny,
  HasRole,
  HasScope,
  IsAdminUser,
  IsAuthenticated,
  IsAuthenticatedOrReadOnly,
  and,
  checkObjectPermissions,
  not,
  or,
  principalRoles,
  tokenScopes,
  withMessage,
} from '../../src/permissions/index.js';

const DEFAULT = 'You do not have permission to perform this action.';

const req = (method = 'GET', headers: Record<string, string> = {}): RequestView => ({ method, path: '/', headers, cookies: {}, remoteAddress: '127.0.0.1' });
const user = (extra: Partial<User> = {}): User => ({
  id: 7, username: 'alice', email: '', emailVerified: false, firstName: '', lastName: '', isActive: true, isStaff: false, isSuperuser: false, lastLogin: null, dateJoined: new Date(0), password: '!',
  ...extra,
});
const jwt = (claims: Record<string, unknown>, extra: Partial<User> = {}): Principal => ({ user: user(extra), auth: { kind: 'access', claims } });
const opaque = (extra: Partial<User> = {}): Principal => ({
  user: user(extra),
  auth: { id: 1, userId: 7, prefix: 'abcd', digest: 'x', createdAt: 0, expiresAt: null, lastUsedAt: null, label: null },
});
const basic = (extra: Partial<User> = {}): Principal => ({ user: user(extra), auth: null });
const ctx = (principal: Principal | null, method = 'GET'): PermissionContext => ({ req: req(method), principal });

const bearer: Authenticator = { name: 'jwt', authenticate: () => null, challenge: () => 'Bearer realm="api"' };

/** A permission with a fixed answer (sync or async), a message, and a call log. */
function fixed(ok: boolean, opts: { message?: string; object?: boolean; async?: boolean; log?: string[]; name?: string } = {}): Permission {
  const answer = <T>(v: T): T | Promise<T> => (opts.async ? new Promise<T>((r) => setImmediate(() => r(v))) : v);
  const p: Permission = {
    ...(opts.message !== undefined ? { message: opts.message } : {}),
    hasPermission: () => {
      opts.log?.push(`${opts.name ?? '?'}.has`);
      return answer(ok);
    },
    ...(opts.object !== undefined
      ? {
          hasObjectPermission: () => {
            opts.log?.push(`${opts.name ?? '?'}.obj`);
            return answer(opts.object as boolean);
          },
        }
      : {}),
  };
  return p;
}

/** Allowed or not, from a plain boolean (DRF style) or a verdict (composites); a promise stays a promise. */
function allowed(answer: MaybePromise<PermissionAnswer> | undefined): boolean | Promise<boolean> {
  const ok = (a: PermissionAnswer | undefined) => (typeof a === 'object' ? a.ok : a === true);
  return isPromise(answer) ? answer.then(ok) : ok(answer);
}

/** Run checkPermissions and return the thrown error (or null). */
async function refusal(c: PermissionContext, permissions: Permission[], authenticators: Authenticator[] = [bearer]): Promise<Error | null> {
  try {
    await checkPermissions(c, permissions, authenticators);
    return null;
  } catch (e) {
    return e as Error;
  }
}

async function objectRefusal(c: PermissionContext, permissions: Permission[], obj: unknown, authenticators: Authenticator[] = [bearer]): Promise<Error | null> {
  try {
    await checkObjectPermissions(c, permissions, obj, authenticators);
    return null;
  } catch (e) {
    return e as Error;
  }
}

describe('DRF built-ins (unchanged)', () => {
  test('AllowAny, IsAuthenticated, IsAdminUser, IsAuthenticatedOrReadOnly', () => {
    assert.equal(AllowAny.hasPermission(ctx(null)), true);
    assert.equal(IsAuthenticated.hasPermission(ctx(null)), false);
    assert.equal(IsAuthenticated.hasPermission(ctx(basic())), true);
    assert.equal(IsAdminUser.hasPermission(ctx(basic())), false);
    assert.equal(IsAdminUser.hasPermission(ctx(basic({ isStaff: true }))), true);
    for (const m of ['GET', 'HEAD', 'OPTIONS']) assert.equal(IsAuthenticatedOrReadOnly.hasPermission(ctx(null, m)), true);
    for (const m of ['POST', 'PUT', 'PATCH', 'DELETE']) assert.equal(IsAuthenticatedOrReadOnly.hasPermission(ctx(null, m)), false);
    assert.equal(IsAuthenticatedOrReadOnly.hasPermission(ctx(basic(), 'POST')), true);
    for (const p of [AllowAny, IsAuthenticated, IsAdminUser, IsAuthenticatedOrReadOnly]) {
      assert.equal(p.message, undefined);
      assert.equal(p.hasObjectPermission, undefined);
    }
  });

  test('anonymous refused on a route with authenticators → NotAuthenticated; without → PermissionDenied', async () => {
    assert.ok((await refusal(ctx(null), [IsAuthenticated])) instanceof NotAuthenticated);
    const denied = await refusal(ctx(null), [IsAuthenticated], []);
    assert.ok(denied instanceof PermissionDenied);
    assert.equal(denied.message, DEFAULT);
    const staff = await refusal(ctx(basic()), [IsAdminUser]);
    assert.ok(staff instanceof PermissionDenied);
    assert.equal(staff.message, DEFAULT);
  });
});

describe('HasScope', () => {
  const cases: Array<[string, Principal | null, boolean]> = [
    ['scope string with both', jwt({ scope: 'read write' }), true],
    ['scope string with extra spaces', jwt({ scope: '  write   read ' }), true],
    ['scope string missing one', jwt({ scope: 'read' }), false],
    ['scope is case-sensitive', jwt({ scope: 'READ WRITE' }), false],
    ['scp array', jwt({ scp: ['write', 'read', 'admin'] }), true],
    ['scp space-separated string', jwt({ scp: 'read write' }), true],
    ['scopes array', jwt({ scopes: ['read', 'write'] }), true],
    ['scope wins over scp (first present claim)', jwt({ scope: 'read', scp: ['read', 'write'] }), false],
    ['malformed scope (array) does not fall through to scp', jwt({ scope: ['read', 'write'], scp: ['read', 'write'] }), false],
    ['scp array with a non-string', jwt({ scp: ['read', 'write', 3] }), false],
    ['scopes as a string is not accepted', jwt({ scopes: 'read write' }), false],
    ['no scope claim', jwt({ user_id: '7' }), false],
    ['opaque token: no scopes', opaque({ isStaff: true, isSuperuser: true }), false],
    ['HTTP Basic: no scopes', basic(), false],
    ['anonymous', null, false],
    ['an auth object that is not a JWT shape', { user: user(), auth: { kind: 'weird', claims: { scope: 'read write' } } }, false],
  ];
  const p = HasScope('read', 'write');
  for (const [name, principal, expected] of cases) {
    test(name, () => assert.equal(p.hasPermission(ctx(principal)), expected));
  }

  test('tokenScopes reads the first present claim, null when none', () => {
    assert.deepEqual([...(tokenScopes(jwt({ scope: 'a b' })) ?? [])], ['a', 'b']);
    assert.equal(tokenScopes(jwt({})), null);
    assert.equal(tokenScopes(opaque()), null);
    assert.equal(tokenScopes(null), null);
  });

  test('refusals: anonymous → 401-type, wrong scope → 403 default text', async () => {
    assert.ok((await refusal(ctx(null), [HasScope('read')])) instanceof NotAuthenticated);
    const e = await refusal(ctx(jwt({ scope: 'write' })), [HasScope('read')]);
    assert.ok(e instanceof PermissionDenied);
    assert.equal(e.message, DEFAULT);
  });

  test('construction errors', () => {
    assert.throws(() => HasScope(), TypeError);
    assert.throws(() => HasScope(''), TypeError);
    assert.throws(() => HasScope('a b'), TypeError);
    assert.deepEqual(HasScope('a', 'b').scopes, ['a', 'b']);
  });
});

describe('HasRole', () => {
  test('staff / superuser from the user flags, for every credential', () => {
    for (const make of [basic, opaque, (e: Partial<User>) => jwt({}, e)]) {
      assert.equal(HasRole('staff').hasPermission(ctx(make({ isStaff: true }))), true);
      assert.equal(HasRole('staff').hasPermission(ctx(make({ isSuperuser: true }))), false, 'superuser does not imply staff');
      assert.equal(HasRole('superuser').hasPermission(ctx(make({ isSuperuser: true }))), true);
      assert.equal(HasRole('staff', 'superuser').hasPermission(ctx(make({}))), false);
    }
  });

  test('roles claim of a JWT; any of the listed roles suffices', () => {
    assert.equal(HasRole('editor').hasPermission(ctx(jwt({ roles: ['viewer', 'editor'] }))), true);
    assert.equal(HasRole('admin', 'editor').hasPermission(ctx(jwt({ roles: ['editor'] }))), true);
    assert.equal(HasRole('admin').hasPermission(ctx(jwt({ roles: ['editor'] }))), false);
    assert.equal(HasRole('Editor').hasPermission(ctx(jwt({ roles: ['editor'] }))), false, 'case-sensitive');
    assert.equal(HasRole('editor').hasPermission(ctx(jwt({ roles: 'editor' }))), false, 'a string is not a roles array');
    assert.equal(HasRole('editor').hasPermission(ctx(jwt({ roles: ['editor', 1] }))), false, 'malformed array contributes nothing');
    assert.equal(HasRole('staff').hasPermission(ctx(jwt({ roles: ['staff'] }))), true, 'the claim may carry staff too');
    assert.equal(HasRole('editor').hasPermission(ctx(null)), false);
  });

  test('principalRoles', () => {
    assert.deepEqual([...principalRoles(jwt({ roles: ['a'] }, { isStaff: true, isSuperuser: true }))].sort(), ['a', 'staff', 'superuser']);
    assert.deepEqual([...principalRoles(null)], []);
    assert.deepEqual([...principalRoles(opaque())], []);
  });

  test('HasRole("staff") behaves as IsAdminUser', async () => {
    for (const principal of [null, basic(), basic({ isStaff: true }), jwt({}, { isStaff: true })]) {
      assert.equal(HasRole('staff').hasPermission(ctx(principal)), IsAdminUser.hasPermission(ctx(principal)));
    }
    assert.ok((await refusal(ctx(null), [HasRole('staff')])) instanceof NotAuthenticated);
  });

  test('construction errors', () => {
    assert.throws(() => HasRole(), TypeError);
    assert.throws(() => HasRole(''), TypeError);
    assert.deepEqual(HasRole('a').roles, ['a']);
  });
});

describe('and / or / not (DRF & | ~)', () => {
  const truth = [true, false];
  for (const isAsync of [false, true]) {
    test(`truth tables (${isAsync ? 'async' : 'sync'} operands)`, async () => {
      for (const a of truth) {
        for (const b of truth) {
          const A = fixed(a, { async: isAsync });
          const B = fixed(b, { async: isAsync });
          assert.equal(await allowed(and(A, B).hasPermission(ctx(null))), a && b, `and(${a}, ${b})`);
          assert.equal(await allowed(or(A, B).hasPermission(ctx(null))), a || b, `or(${a}, ${b})`);
        }
        assert.equal(await allowed(not(fixed(a, { async: isAsync })).hasPermission(ctx(null))), !a, `not(${a})`);
      }
    });
  }

  test('synchronous operands give a synchronous answer (no promise on the hot path)', () => {
    for (const p of [and(IsAuthenticated, IsAdminUser), or(IsAuthenticated, IsAdminUser), not(IsAdminUser)]) {
      assert.ok(!isPromise(p.hasPermission(ctx(basic()))));
    }
  });

  test('short-circuit left to right, as Python', () => {
    const log: string[] = [];
    and(fixed(false, { name: 'a', log }), fixed(true, { name: 'b', log })).hasPermission(ctx(null));
    or(fixed(true, { name: 'c', log }), fixed(true, { name: 'd', log })).hasPermission(ctx(null));
    and(fixed(true, { name: 'e', log }), fixed(false, { name: 'f', log }), fixed(true, { name: 'g', log })).hasPermission(ctx(null));
    assert.deepEqual(log, ['a.has', 'c.has', 'e.has', 'f.has']);
  });

  test('n-ary and nested: and(a, or(b, not(c)))', () => {
    const p = and(IsAuthenticated, or(IsAdminUser, not(HasScope('banned'))));
    assert.equal(allowed(p.hasPermission(ctx(null))), false);
    assert.equal(allowed(p.hasPermission(ctx(jwt({ scope: 'read' })))), true);
    assert.equal(allowed(p.hasPermission(ctx(jwt({ scope: 'banned' })))), false);
    assert.equal(allowed(p.hasPermission(ctx(jwt({ scope: 'banned' }, { isStaff: true })))), true);
  });

  test('construction errors', () => {
    assert.throws(() => and(), TypeError);
    assert.throws(() => or(), TypeError);
    assert.throws(() => and({} as Permission), TypeError);
    assert.throws(() => not(undefined as unknown as Permission), TypeError);
    assert.throws(() => withMessage(AllowAny, ''), TypeError);
  });
});

describe('messages of composite refusals', () => {
  const A = fixed(false, { message: 'A refused.' });
  const B = fixed(false, { message: 'B refused.' });
  const plain = fixed(false);

  test('and: the first refusing operand’s message', async () => {
    assert.equal((await refusal(ctx(basic()), [and(fixed(true, { message: 'never' }), B, A)]))?.message, 'B refused.');
    assert.equal((await refusal(ctx(basic()), [and(A, B)]))?.message, 'A refused.');
    assert.equal((await refusal(ctx(basic()), [and(plain, A)]))?.message, DEFAULT, 'the refusing operand has none → DRF default');
  });

  test('or: the first operand (left to right) with a message', async () => {
    assert.equal((await refusal(ctx(basic()), [or(plain, B, A)]))?.message, 'B refused.');
    assert.equal((await refusal(ctx(basic()), [or(IsAdminUser, HasScope('x'))]))?.message, DEFAULT, 'DRF built-ins: DRF default, as DRF');
  });

  test('not: no message of its own; withMessage gives one', async () => {
    assert.equal((await refusal(ctx(basic()), [not(fixed(true, { message: 'inner' }))]))?.message, DEFAULT);
    assert.equal((await refusal(ctx(basic()), [withMessage(not(AllowAny), 'Nope.')]))?.message, 'Nope.');
    assert.equal((await refusal(ctx(basic()), [withMessage(HasScope('x'), 'Scope x required.')]))?.message, 'Scope x required.');
    assert.equal(withMessage(AllowAny, 'm').message, 'm');
  });

  test('nested composites carry the inner failing message', async () => {
    assert.equal((await refusal(ctx(basic()), [and(AllowAny, or(plain, and(AllowAny, A)))]))?.message, 'A refused.');
  });

  test('anonymous on a route with authenticators: NotAuthenticated whatever the message', async () => {
    assert.ok((await refusal(ctx(null), [and(IsAuthenticated, A)])) instanceof NotAuthenticated);
    const e = await refusal(ctx(null), [and(AllowAny, A)], []);
    assert.ok(e instanceof PermissionDenied);
    assert.equal(e.message, 'A refused.');
  });

  test('asynchronous composites: concurrent requests each get their own failing message', async () => {
    // One shared composite; every operand answers when one gate opens, so all the
    // evaluations complete in the same microtask run and interleave as much as they can.
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    // Passing operands answer synchronously and failing ones after the gate, so a request
    // failing on A and one failing on B finish in the same step.
    const byHeader = (header: string, message: string): Permission => ({
      message,
      hasPermission: (c) => (c.req.headers[header] === 'fail' ? gate.then(() => false) : true),
    });
    const shared = and(byHeader('x-a', 'A refused.'), byHeader('x-b', 'B refused.'));
    const runs: Array<Promise<Error | null>> = [];
    for (let i = 0; i < 20; i++) {
      const headers: Record<string, string> = i % 2 === 0 ? { 'x-a': 'fail' } : { 'x-b': 'fail' };
      runs.push(refusal({ req: req('GET', headers), principal: basic() }, [shared]));
    }
    open();
    const results = await Promise.all(runs);
    results.forEach((e, i) => assert.equal(e?.message, i % 2 === 0 ? 'A refused.' : 'B refused.', `request ${i}`));
    assert.equal(await allowed(shared.hasPermission({ req: req('GET', { 'x-b': 'fail' }), principal: basic() })), false, 'await gets the verdict');
  });

  test('each evaluation returns its own message: concurrent requests through a permission that awaits a shared composite', async () => {
    // A DRF-style permission of the application's own wraps a shared composite and awaits
    // it. The message must travel with the answer: a field on the shared object, written by
    // one request and read by another, would give the wrong (or no) message here.
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    const byHeader = (header: string, message: string): Permission => ({
      message,
      hasPermission: (c) => gate.then(() => c.req.headers[header] !== 'fail'),
    });
    const shared = and(byHeader('x-a', 'A refused.'), byHeader('x-b', 'B refused.'));
    const auditLog: string[] = [];
    const audited: Permission = {
      get message() {
        return shared.message;
      },
      async hasPermission(c) {
        const answer = await shared.hasPermission(c);
        await Promise.resolve(auditLog.push(c.req.method)); // e.g. an audit write: other requests run meanwhile
        return answer;
      },
    };
    const failing = (i: number): PermissionContext => ({ req: req('GET', i % 2 === 0 ? { 'x-a': 'fail' } : { 'x-b': 'fail' }), principal: basic() });
    const runs = Array.from({ length: 20 }, (_, i) => refusal(failing(i), [audited]));
    open();
    (await Promise.all(runs)).forEach((e, i) => assert.equal(e?.message, i % 2 === 0 ? 'A refused.' : 'B refused.', `request ${i}`));
    // And read directly: each answer carries its own message.
    assert.deepEqual(await Promise.all([shared.hasPermission(failing(0)), shared.hasPermission(failing(1))]), [
      { ok: false, message: 'A refused.' },
      { ok: false, message: 'B refused.' },
    ]);
  });

  test('a permission of your own may answer a verdict with its message, or a plain boolean with its message attribute', async () => {
    const verdict: Permission = { message: 'class attribute', hasPermission: (c) => ({ ok: false, message: `no for ${c.req.method}` }) };
    const plain: Permission = { message: 'class attribute', hasPermission: () => false };
    const bare: Permission = { message: 'class attribute', hasPermission: async () => ({ ok: false }) };
    assert.equal((await refusal(ctx(basic(), 'POST'), [verdict]))?.message, 'no for POST');
    assert.equal((await refusal(ctx(basic()), [plain]))?.message, 'class attribute');
    assert.equal((await refusal(ctx(basic()), [bare]))?.message, 'class attribute', 'a verdict without a message: the attribute');
    assert.equal((await refusal(ctx(basic()), [withMessage(verdict, 'wrapped')]))?.message, 'wrapped');
  });
});

describe('object permissions (checkObjectPermissions, DRF check_object_permissions)', () => {
  const owner: Permission = {
    message: 'Not your object.',
    hasPermission: (c) => c.principal !== null,
    hasObjectPermission: (c, obj) => (obj as { ownerId: number }).ownerId === c.principal?.user.id,
  };
  const mine = { ownerId: 7 };
  const theirs = { ownerId: 8 };

  test('a permission without hasObjectPermission allows every object', async () => {
    assert.equal(await objectRefusal(ctx(basic()), [AllowAny, IsAuthenticated, IsAdminUser], theirs), null);
  });

  test('owner check: allowed / PermissionDenied with the message / NotAuthenticated when anonymous', async () => {
    assert.equal(await objectRefusal(ctx(basic()), [IsAuthenticated, owner], mine), null);
    const e = await objectRefusal(ctx(basic()), [IsAuthenticated, owner], theirs);
    assert.ok(e instanceof PermissionDenied);
    assert.equal(e.message, 'Not your object.');
    assert.ok((await objectRefusal(ctx(null), [owner], mine)) instanceof NotAuthenticated);
    const noAuth = await objectRefusal(ctx(null), [owner], mine, []);
    assert.ok(noAuth instanceof PermissionDenied);
    assert.equal(noAuth.message, 'Not your object.');
  });

  test('has_permission is not re-checked at the top level (DRF)', async () => {
    const log: string[] = [];
    await objectRefusal(ctx(basic()), [fixed(false, { name: 'p', object: true, log })], mine);
    assert.deepEqual(log, ['p.obj']);
  });

  test('or: an operand refusing the request cannot grant the object (DRF ≥ 3.14)', async () => {
    // IsAdminUser | owner: a non-admin passes has_permission via owner; IsAdminUser's default
    // object answer (True) must not grant someone else's object.
    const p = or(IsAdminUser, owner);
    assert.equal(allowed(p.hasPermission(ctx(basic()))), true);
    const e = await objectRefusal(ctx(basic()), [p], theirs);
    assert.ok(e instanceof PermissionDenied);
    assert.equal(e.message, 'Not your object.');
    assert.equal(await objectRefusal(ctx(basic()), [p], mine), null);
    assert.equal(await objectRefusal(ctx(basic({ isStaff: true })), [p], theirs), null, 'admins pass via IsAdminUser');
  });

  test('or object evaluation order: has then obj per operand, stopping at the first grant', async () => {
    const log: string[] = [];
    const p = or(fixed(false, { name: 'a', object: true, log }), fixed(true, { name: 'b', object: false, log }), fixed(true, { name: 'c', object: true, log }), fixed(true, { name: 'd', object: true, log }));
    assert.equal(allowed(p.hasObjectPermission?.(ctx(basic()), mine)), true);
    assert.deepEqual(log, ['a.has', 'b.has', 'b.obj', 'c.has', 'c.obj']);
  });

  test('and: every operand’s object answer; the first refusing message', async () => {
    const p = and(IsAuthenticated, owner);
    assert.equal(allowed(p.hasObjectPermission?.(ctx(basic()), mine)), true);
    assert.equal((await objectRefusal(ctx(basic()), [p], theirs))?.message, 'Not your object.');
  });

  test('not: negates the object answer (not(AllowAny) refuses every object, as DRF)', async () => {
    assert.equal(allowed(not(AllowAny).hasObjectPermission?.(ctx(basic()), mine)), false);
    assert.equal(allowed(not(owner).hasObjectPermission?.(ctx(basic()), theirs)), true);
    assert.equal(allowed(not(IsAdminUser).hasPermission(ctx(basic()))), true);
    assert.ok((await objectRefusal(ctx(basic()), [not(IsAdminUser)], mine)) instanceof PermissionDenied);
  });

  test('asynchronous object permissions', async () => {
    const slowOwner: Permission = { message: 'Slow no.', hasPermission: async () => true, hasObjectPermission: async (c, obj) => (obj as { ownerId: number }).ownerId === c.principal?.user.id };
    assert.equal(await objectRefusal(ctx(basic()), [slowOwner], mine), null);
    assert.equal((await objectRefusal(ctx(basic()), [or(IsAdminUser, slowOwner)], theirs))?.message, 'Slow no.');
    assert.equal(checkObjectPermissions(ctx(basic()), [owner], mine, [bearer]), undefined, 'synchronous while the permissions are');
  });
});

describe('in the pipeline (runPolicy)', () => {
  const authenticated = (principal: Principal): Authenticator => ({ name: 'fake', authenticate: () => principal, challenge: () => 'Bearer realm="api"' });

  test('composite permissions decide 401 / 403 / allowed exactly as DRF', async () => {
    const policy = { permissions: [and(IsAuthenticated, or(HasScope('read'), HasRole('staff')))] };
    await assert.rejects(async () => runPolicy(req(), { ...policy, authenticators: [bearer] }), NotAuthenticated);
    await assert.rejects(async () => runPolicy(req(), { ...policy, authenticators: [authenticated(jwt({ scope: 'write' }))] }), (e: unknown) => e instanceof PermissionDenied && e.message === DEFAULT);
    assert.equal((await runPolicy(req(), { ...policy, authenticators: [authenticated(jwt({ scope: 'read' }))] }))?.user.id, 7);
    assert.equal((await runPolicy(req(), { ...policy, authenticators: [authenticated(opaque({ isStaff: true }))] }))?.user.id, 7);
  });
});
