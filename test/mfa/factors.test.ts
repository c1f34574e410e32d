/**
 * `SecondFactors` and the management service on memory stores: the per-user wrong-proof
 * throttle (#160), recovery codes (single use, normalised input, regeneration: #161),
 * recovery codes alone are no factor, disabling (#164), sessions revoked only for the
 * first factor (#162), the administrator's reset.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AuthenticationFailed, Throttled, ValidationError } from '../../src/core/errors.js';
import type { User } from '../../src/core/user.js';
import type { SecondFactorMethod } from '../../src/mfa/types.js';
import { CONTEXT, codeAt, mfaApp } from './helpers.js';

const wrong = (code: string) => (code === '000000' ? '111111' : '000000');

describe('wrong proofs are throttled per user (#160)', () => {
  test('after `mfa.failureRate` wrong codes even the right code is refused with Throttled; another user is not affected; the lock ends', async () => {
    const t = await mfaApp({ failureRate: '3/h' });
    const alice = await t.enrolledUser('alice');
    const bob = await t.enrolledUser('bob');
    const factors = t.app.mfa!.factors;
    const right = codeAt(alice.secret, t.clock);
    for (let i = 0; i < 3; i++) assert.equal(await factors.verify(alice.user, { method: 'totp', code: wrong(right) }, CONTEXT), false);
    await assert.rejects(factors.verify(alice.user, { method: 'totp', code: right }, CONTEXT), (e: unknown) => e instanceof Throttled && e.status === 429);
    await assert.rejects(factors.verify(alice.user, { method: 'recovery_code', code: alice.codes[0]! }, CONTEXT), Throttled);
    assert.equal(await factors.verify(bob.user, { method: 'totp', code: codeAt(bob.secret, t.clock) }, CONTEXT), true, 'per user');
    assert.match(t.logs.text, /"event":"mfa_failed".*"reason":"throttled"/);
    assert.match(t.logs.text, /"event":"login_locked".*"counter":"mfa"/);
    t.clock.advance(20 * 60_000 + 1); // the lock is period / N = 20 minutes
    assert.equal(await factors.verify(alice.user, { method: 'totp', code: codeAt(alice.secret, t.clock) }, CONTEXT), true);
    assert.equal(await t.app.mfa!.service.reset(alice.user), 1);
    await t.app.close();
  });

  test('wrong passwords and wrong first codes count in the same counter', async () => {
    const t = await mfaApp({ failureRate: '2/h' });
    const alice = await t.enrolledUser('alice');
    const service = t.app.mfa!.service;
    await assert.rejects(service.regenerateRecoveryCodes(alice.user, { password: 'nope' }, CONTEXT), ValidationError);
    await assert.rejects(service.disableTotp(alice.user, { password: 'nope' }, CONTEXT), ValidationError);
    await assert.rejects(service.disableTotp(alice.user, { password: 'alice-password-1' }, CONTEXT), Throttled);
    await t.app.close();
  });

  test('verified and failed proofs are audited, never with the code', async () => {
    const t = await mfaApp();
    const alice = await t.enrolledUser('alice');
    const code = codeAt(alice.secret, t.clock);
    await t.app.mfa!.factors.verify(alice.user, { method: 'totp', code }, { endpoint: 'knox-login', address: '198.51.100.7' });
    await t.app.mfa!.factors.verify(alice.user, { method: 'totp', code }, { endpoint: 'knox-login', address: '198.51.100.7' });
    assert.match(t.logs.text, new RegExp(`"event":\\{"event":"mfa_verified","userId":${alice.user.id},"method":"totp","endpoint":"knox-login"\\}`));
    assert.match(t.logs.text, /"event":"mfa_failed".*"address":"198.51.100.7","reason":"invalid"/);
    assert.equal(t.logs.text.includes(code), false);
    await t.app.close();
  });
});

describe('recovery codes (#161)', () => {
  test('a code is accepted once; case, spaces and dashes do not matter', async () => {
    const t = await mfaApp();
    const { user, codes } = await t.enrolledUser('alice');
    const factors = t.app.mfa!.factors;
    const [first, second] = codes as [string, string];
    assert.equal(await factors.verify(user, { method: 'recovery_code', code: first }, CONTEXT), true);
    assert.equal(await factors.verify(user, { method: 'recovery_code', code: first }, CONTEXT), false, 'reuse refused');
    const typed = ` ${second.replace('-', ' ').toUpperCase()} `;
    assert.equal(await factors.verify(user, { method: 'recovery_code', code: typed }, CONTEXT), true);
    assert.equal((await t.app.mfa!.service.status(user)).recoveryCodesRemaining, 8);
    await t.app.close();
  });

  test('of concurrent requests with one code exactly one is accepted', async () => {
    const t = await mfaApp();
    const { user, codes } = await t.enrolledUser('alice');
    const results = await Promise.all(Array.from({ length: 8 }, () => t.app.mfa!.factors.verify(user, { method: 'recovery_code', code: codes[0]! }, CONTEXT)));
    assert.equal(results.filter(Boolean).length, 1);
    await t.app.close();
  });

  test('regenerating (with a code or the password) invalidates every old code; a recovery code cannot regenerate', async () => {
    const t = await mfaApp({ recoveryCodes: { count: 4 } });
    const { user, secret, codes } = await t.enrolledUser('alice');
    assert.equal(codes.length, 4);
    const service = t.app.mfa!.service;
    const fresh = await service.regenerateRecoveryCodes(user, { password: 'alice-password-1' }, CONTEXT);
    assert.equal(fresh.length, 4);
    for (const old of codes) assert.equal(await t.app.mfa!.factors.verify(user, { method: 'recovery_code', code: old }, CONTEXT), false);
    const again = await service.regenerateRecoveryCodes(user, { code: codeAt(secret, t.clock) }, CONTEXT);
    assert.equal(await t.app.mfa!.factors.verify(user, { method: 'recovery_code', code: fresh[0]! }, CONTEXT), false);
    assert.equal(await t.app.mfa!.factors.verify(user, { method: 'recovery_code', code: again[0]! }, CONTEXT), true);
    assert.match(t.logs.text, /"event":"mfa_recovery_codes_generated"/);
    await t.app.close();
  });

  test('recovery codes alone are no factor: methods [] and they are refused', async () => {
    const t = await mfaApp();
    const user = await t.app.users.create({ username: 'dave', password: 'dave-password-1' });
    await t.app.stores.mfa!.replaceRecoveryCodes(user.id, ['x'.repeat(64)], t.clock.now());
    assert.deepEqual(await t.app.mfa!.factors.methods(user), []);
    await assert.rejects(t.app.mfa!.service.regenerateRecoveryCodes(user, { password: 'dave-password-1' }, CONTEXT), ValidationError);
    await t.app.close();
  });
});

describe('disabling TOTP (#164)', () => {
  for (const [how, proof] of [
    ['a current code', (s: string, c: { now(): number }) => ({ code: codeAt(s, c) })],
    ['a recovery code', (_s: string, _c: unknown, codes: string[]) => ({ recoveryCode: codes[0]! })],
    ['the password', () => ({ password: 'alice-password-1' })],
  ] as const) {
    test(`with ${how}: the device and the recovery codes go, sessions are kept`, async () => {
      const t = await mfaApp();
      const { user, secret, codes } = await t.enrolledUser('alice');
      const token = await t.app.tokens.issue(user);
      await t.app.mfa!.service.disableTotp(user, proof(secret, t.clock, codes), CONTEXT);
      assert.deepEqual(await t.app.mfa!.service.status(user), { methods: [], totp: { enrolled: false, confirmed: false }, recoveryCodesRemaining: 0 });
      assert.ok(await t.app.tokens.authenticateKey(token.key), 'the session from before is kept');
      assert.match(t.logs.text, /"event":"mfa_disabled".*"by":"user"/);
      await t.app.close();
    });
  }

  test('a wrong password, a wrong code, a used recovery code are refused and nothing changes', async () => {
    const t = await mfaApp();
    const { user, secret, codes } = await t.enrolledUser('alice');
    const service = t.app.mfa!.service;
    await assert.rejects(service.disableTotp(user, { password: 'alice-password-2' }, CONTEXT), (e: unknown) => e instanceof ValidationError && 'password' in e.fields);
    await assert.rejects(service.disableTotp(user, { code: wrong(codeAt(secret, t.clock)) }, CONTEXT), (e: unknown) => e instanceof ValidationError && 'code' in e.fields);
    assert.equal(await t.app.mfa!.factors.verify(user, { method: 'recovery_code', code: codes[0]! }, CONTEXT), true);
    await assert.rejects(service.disableTotp(user, { recoveryCode: codes[0]! }, CONTEXT), (e: unknown) => e instanceof ValidationError && 'recovery_code' in e.fields);
    assert.equal((await service.status(user)).totp.confirmed, true);
    await t.app.close();
  });
});

describe('sessions and factors (#162)', () => {
  /** A stand-in second method that is a factor for `users`. */
  const passkeyFor = (users: Set<number>): SecondFactorMethod => ({
    name: 'webauthn',
    isFactor: true,
    usable: async (u: User) => users.has(u.id),
    verify: async () => false,
    removeAll: async (u: User) => (users.delete(u.id) ? 1 : 0),
  });

  test('a TOTP device added beside another factor does not revoke sessions; the first one does', async () => {
    const t = await mfaApp();
    const withPasskey = new Set<number>();
    t.app.mfa!.factors.register(passkeyFor(withPasskey));
    const carol = await t.app.users.create({ username: 'carol', password: 'carol-password-1' });
    withPasskey.add(carol.id);
    const kept = await t.app.tokens.issue(carol);
    const { secret } = await t.app.mfa!.service.beginTotp(carol);
    await t.app.mfa!.service.confirmTotp(carol, codeAt(secret, t.clock), CONTEXT);
    assert.ok(await t.app.tokens.authenticateKey(kept.key), 'a second factor keeps the sessions');
    assert.deepEqual(await t.app.mfa!.factors.methods(carol), ['totp', 'recovery_code', 'webauthn']);
    const erin = await t.app.users.create({ username: 'erin', password: 'erin-password-1' });
    const revoked = await t.app.tokens.issue(erin);
    const enrolment = await t.app.mfa!.service.beginTotp(erin);
    await t.app.mfa!.service.confirmTotp(erin, codeAt(enrolment.secret, t.clock), CONTEXT);
    await assert.rejects(async () => t.app.tokens.authenticateKey(revoked.key), AuthenticationFailed, 'the first factor revokes the sessions from before');
    assert.match(t.logs.text, /"event":"mfa_enrolled","userId":\d+,"method":"totp","sessionsRevoked":false/);
    assert.match(t.logs.text, /"event":"mfa_enrolled","userId":\d+,"method":"totp","sessionsRevoked":true/);
    await t.app.close();
  });

  test('removing TOTP keeps the recovery codes while another factor remains; the reset removes every factor and the codes', async () => {
    const t = await mfaApp();
    const withPasskey = new Set<number>();
    t.app.mfa!.factors.register(passkeyFor(withPasskey));
    const { user, secret } = await t.enrolledUser('alice');
    withPasskey.add(user.id);
    await t.app.mfa!.service.disableTotp(user, { code: codeAt(secret, t.clock) }, CONTEXT);
    assert.equal((await t.app.mfa!.service.status(user)).recoveryCodesRemaining, 10);
    assert.equal(await t.app.mfa!.service.reset(user), 1);
    assert.deepEqual(await t.app.mfa!.service.status(user), { methods: [], totp: { enrolled: false, confirmed: false }, recoveryCodesRemaining: 0 });
    await t.app.close();
  });
});
