/**
 * The JWT services on the memory store with a fake clock: issuing, refresh with rotation
 * (reuse of the predecessor and of older tokens, grace, concurrent refreshes), the
 * request path's verification (lifetime bound, canonical user ids), cookie-mode sessions
 * through cleanup.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../src/core/clock.js';
import { AuthenticationFailed } from '../../src/core/errors.js';
import { parseSettings } from '../../src/core/settings.js';
import type { User } from '../../src/core/user.js';
import { TokenError } from '../../src/jwt/claims.js';
import { importKey, sign } from '../../src/jwt/jws/index.js';
import { createJwtKeys } from '../../src/jwt/keyring/index.js';
import { JwtService } from '../../src/jwt/service.js';
import { MemoryStores } from '../../src/stores/memory/index.js';

const SECRET = 'service-test-secret-that-is-long-enough-0123456789';
const key = importKey({ alg: 'HS256', secret: SECRET });

interface Setup {
  jwt: JwtService;
  stores: MemoryStores;
  clock: FakeClock;
  alice: User;
}

async function setup(jwt: Record<string, unknown> = {}, sessionClaim: string | null = null): Promise<Setup> {
  const settings = parseSettings({ secretKey: SECRET, jwt });
  const stores = new MemoryStores();
  const clock = new FakeClock();
  const keys = await createJwtKeys({ settings: settings.jwt, secretKey: SECRET, stores, clock });
  const service = new JwtService({ settings: settings.jwt, secretKey: SECRET, keys, stores, clock, sessionClaim });
  const alice = await stores.users.create({ username: 'alice', password: '!x', dateJoined: new Date(clock.now()) });
  return { jwt: service, stores, clock, alice };
}

/** The request path (`get_validated_token` then `get_user`), as `JWTAuthentication` runs it. */
async function authenticateToken(jwt: JwtService, token: string) {
  const v = jwt.verifier;
  const g = v.generation();
  return v.user(await v.validated(token, v.now(), g), g);
}

const ROTATING = { rotateRefreshTokens: true, blacklistAfterRotation: true };

/** The 401 detail of a refused call. */
async function refusal(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (e instanceof AuthenticationFailed) return e.detail;
    throw e;
  }
  assert.fail('expected a refusal');
}

/** A refresh that must rotate: the new refresh token. */
async function rotated(jwt: JwtService, token: string): Promise<string> {
  const r = await jwt.refresh(token);
  assert.ok(r.refresh, 'rotated');
  return r.refresh.token;
}

describe('issuing', () => {
  test('a pair comes back with exp, jti and session as the signed claims say; the refresh token starts a recorded family', async () => {
    const { jwt, stores, clock, alice } = await setup({}, 'sid');
    const { refresh, access } = await jwt.issuePair(alice);
    const r = await jwt.decode(refresh.token);
    const a = await jwt.decode(access.token);
    const now = Math.floor(clock.now() / 1000);
    assert.deepEqual([refresh.exp, refresh.jti, refresh.family], [r.exp, r.jti, r.sid]);
    assert.deepEqual([access.exp, access.jti, access.family], [a.exp, a.jti, a.sid]);
    assert.deepEqual([refresh.exp, access.exp], [now + 86400, now + 300]);
    assert.equal(refresh.family, access.family);
    const row = await stores.jwt.getOutstanding(refresh.jti!);
    assert.equal(row!.familyId, refresh.family);
    assert.equal(await jwt.isSessionRevoked(refresh.family!), false);
  });
});

describe('refresh with rotation: reuse detection whatever blacklistAfterRotation says', () => {
  for (const blacklistAfterRotation of [true, false]) {
    test(`blacklistAfterRotation ${blacklistAfterRotation}: the predecessor presented again revokes the family (the newer token dies)`, async () => {
      const { jwt, alice } = await setup({ rotateRefreshTokens: true, blacklistAfterRotation });
      const r1 = (await jwt.obtainPair(alice)).refresh;
      const r2 = await rotated(jwt, r1);
      assert.equal(await refusal(jwt.refresh(r1)), 'Token is blacklisted');
      assert.equal(await refusal(jwt.refresh(r2)), 'Token is blacklisted', "the thief's newer token no longer works");
    });
  }

  test('an older token (two rotations back) revokes the family too', async () => {
    const { jwt, alice } = await setup(ROTATING);
    const r1 = (await jwt.obtainPair(alice)).refresh;
    const r2 = await rotated(jwt, r1);
    const r3 = await rotated(jwt, r2);
    assert.equal(await refusal(jwt.refresh(r1)), 'Token is blacklisted');
    assert.equal(await refusal(jwt.refresh(r3)), 'Token is blacklisted');
  });

  test('reuse presented to /verify/ or /blacklist/ revokes the family as well', async () => {
    for (const via of ['verify', 'blacklist'] as const) {
      const { jwt, alice } = await setup(ROTATING);
      const r1 = (await jwt.obtainPair(alice)).refresh;
      const r2 = await rotated(jwt, r1);
      if (via === 'verify') assert.equal(await jwt.verify(r1), false);
      else assert.equal(await refusal(jwt.blacklist(r1)), 'Token is blacklisted');
      assert.equal(await refusal(jwt.refresh(r2)), 'Token is blacklisted', via);
    }
  });

  test('without reuse detection, simplejwt: blacklisted after rotation, the family lives on', async () => {
    const { jwt, alice } = await setup({ ...ROTATING, reuseDetection: false });
    const r1 = (await jwt.obtainPair(alice)).refresh;
    const r2 = await rotated(jwt, r1);
    assert.equal(await refusal(jwt.refresh(r1)), 'Token is blacklisted');
    await rotated(jwt, r2);
  });

  test('grace: a retry within reuseGrace gets the same replacement; later it is reuse', async () => {
    const { jwt, clock, alice } = await setup({ ...ROTATING, reuseGrace: 10 });
    const r1 = (await jwt.obtainPair(alice)).refresh;
    const r2 = await rotated(jwt, r1);
    clock.advance(5_000);
    const again = await rotated(jwt, r1);
    assert.equal((await jwt.decode(again)).jti, (await jwt.decode(r2)).jti, 'the same replacement');
    clock.advance(6_000);
    assert.equal(await refusal(jwt.refresh(r1)), 'Token is blacklisted');
    assert.equal(await refusal(jwt.refresh(r2)), 'Token is blacklisted');
  });

  test('grace covers only the latest rotation: an older token inside its window, once its replacement rotated, is reuse', async () => {
    const { jwt, clock, alice } = await setup({ ...ROTATING, reuseGrace: 60 });
    const r1 = (await jwt.obtainPair(alice)).refresh;
    const r2 = await rotated(jwt, r1);
    clock.advance(1_000);
    const r3 = await rotated(jwt, r2);
    clock.advance(1_000);
    assert.equal(await refusal(jwt.refresh(r1)), 'Token is blacklisted');
    assert.equal(await refusal(jwt.refresh(r3)), 'Token is blacklisted');
  });

  test('concurrent refreshes of one token: exactly one rotation (grace 0: the rest is reuse)', async () => {
    const { jwt, stores, alice } = await setup(ROTATING);
    const r1 = (await jwt.obtainPair(alice)).refresh;
    const results = await Promise.allSettled(Array.from({ length: 6 }, () => jwt.refresh(r1)));
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
    const jti = (await jwt.decode(r1)).jti as string;
    const rows = [...stores.jwt.outstanding.values()].filter((t) => t.familyId === stores.jwt.outstanding.get(jti)!.familyId);
    assert.equal(rows.length, 2, 'one replacement recorded');
  });

  test('concurrent refreshes within grace: all get the one replacement', async () => {
    const { jwt, alice } = await setup({ ...ROTATING, reuseGrace: 10 });
    const r1 = (await jwt.obtainPair(alice)).refresh;
    const results = await Promise.all(Array.from({ length: 6 }, () => jwt.refresh(r1)));
    const jtis = new Set(await Promise.all(results.map(async (r) => (await jwt.decode(r.refresh!.token)).jti)));
    assert.equal(jtis.size, 1);
  });
});

describe('verification', () => {
  const claims = (now: number, extra: Record<string, unknown> = {}) => ({ token_type: 'access', exp: now + 300, iat: now, jti: 'j'.repeat(32), user_id: '1', ...extra });
  const authenticate = authenticateToken;
  const detail = (p: () => Promise<unknown>) => refusal(Promise.resolve().then(p));

  test('exp further ahead than the lifetime + leeway is refused; lifetimeSlack relaxes, null turns it off', async () => {
    const { jwt, clock } = await setup({ leeway: 10 });
    const now = Math.floor(clock.now() / 1000);
    assert.equal((await authenticate(jwt, sign(claims(now, { exp: now + 310 }), key))).user.username, 'alice');
    assert.equal(await detail(() => authenticate(jwt, sign(claims(now, { exp: now + 311 }), key))), 'Given token not valid for any token type');
    await assert.rejects(jwt.validate(sign(claims(now, { exp: now + 86_400 * 365, token_type: 'refresh' }), key), 'refresh'), TokenError);
    await assert.rejects(jwt.validate(sign(claims(now, { exp: now + 400 }), key), null), TokenError, 'untyped: bounded by its type claim');
    const slack = await setup({ leeway: 10, lifetimeSlack: 3600 });
    assert.equal((await authenticate(slack.jwt, sign(claims(now, { exp: now + 3900 }), key))).user.username, 'alice');
    const off = await setup({ lifetimeSlack: null });
    assert.equal((await authenticate(off.jwt, sign(claims(now, { exp: now + 86_400 * 365 }), key))).user.username, 'alice');
  });

  test('user ids: "1" and 1 name user 1; "01", "+1", " 1", "1.0" name no one; 1.5 is no id; strictUserId false accepts "01"', async () => {
    const { jwt, clock } = await setup();
    const now = Math.floor(clock.now() / 1000);
    for (const id of ['1', 1]) assert.equal((await authenticate(jwt, sign(claims(now, { user_id: id }), key))).user.id, 1);
    for (const id of ['01', '+1', ' 1', '1.0', '1e0', '0x1']) {
      assert.equal(await detail(() => authenticate(jwt, sign(claims(now, { user_id: id }), key))), 'User not found', JSON.stringify(id));
    }
    assert.equal(await detail(() => authenticate(jwt, sign(claims(now, { user_id: 1.5 }), key))), 'Token contained no recognizable user identification');
    const lenient = await setup({ strictUserId: false });
    assert.equal((await authenticate(lenient.jwt, sign(claims(now, { user_id: '01' }), key))).user.id, 1);
  });

  test('a refresh token with a non-canonical user id is refused at refresh', async () => {
    const { jwt, clock } = await setup();
    const now = Math.floor(clock.now() / 1000);
    const token = sign({ token_type: 'refresh', exp: now + 600, iat: now, jti: 'r'.repeat(32), user_id: '01' }, key);
    assert.equal(await refusal(jwt.refresh(token)), 'No active account found for the given token.');
  });

  test('cache hits are synchronous: the second request for a token returns no promise', async () => {
    const { jwt, alice } = await setup({ checkRevokeToken: true });
    const { access } = await jwt.obtainPair(alice);
    await authenticate(jwt, access);
    const v = jwt.verifier;
    const g = v.generation();
    const validated = v.validated(access, v.now(), g);
    assert.ok(!(validated instanceof Promise));
    assert.ok(!(v.user(validated, g) instanceof Promise));
  });
});

describe('cookie-mode sessions', () => {
  test('a logged-out session stays revoked through flushExpired while any of its access tokens can be valid', async () => {
    const { jwt, clock, alice } = await setup({ refreshTokenLifetime: 600, accessTokenLifetime: 300 }, 'sid');
    const first = await jwt.issuePair(alice);
    clock.advance(590_000); // just before the refresh token's exp: a fresh access token outlives it
    const r = await jwt.refresh(first.refresh.token);
    await jwt.revokeSession(first.refresh.family!, 'logout');
    clock.advance(20_000); // refresh expired, the access token has ~280 s left
    await jwt.flushExpired();
    assert.equal(await refusal(authenticateToken(jwt, r.access.token)), 'Given token not valid for any token type');
  });

  test('cookie mode needs token ids (a session is a recorded family): refused at start-up', async () => {
    assert.throws(() => parseSettings({ secretKey: SECRET, cookies: { enabled: true }, jwt: { jtiClaim: null } }), /jwt\.jtiClaim: cookie mode/);
    await assert.rejects(setup({ jtiClaim: null }, 'sid'), /cookie mode needs jwt\.jtiClaim/);
  });

  test('a session whose family this server does not know is refused (fail closed)', async () => {
    const { jwt, clock } = await setup({}, 'sid');
    const now = Math.floor(clock.now() / 1000);
    const token = sign({ token_type: 'access', exp: now + 300, iat: now, jti: 'a'.repeat(32), user_id: '1', sid: 'f'.repeat(32) }, key);
    assert.equal(await refusal(authenticateToken(jwt, token)), 'Given token not valid for any token type');
  });

  test('flushExpired keeps a live session’s family until its last access token has expired', async () => {
    const { jwt, clock, stores, alice } = await setup({ refreshTokenLifetime: 600, accessTokenLifetime: 300 }, 'sid');
    const pair = await jwt.issuePair(alice);
    clock.advance(610_000);
    await jwt.flushExpired();
    assert.notEqual(await stores.jwt.getFamily(pair.refresh.family!), null);
    clock.advance(300_000);
    await jwt.flushExpired();
    assert.equal(await stores.jwt.getFamily(pair.refresh.family!), null);
  });
});

