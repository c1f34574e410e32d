/**
 * TOTP: RFC 6238 Appendix B test vectors, the ±window, replay (sequential and concurrent:
 * docs/security.md #159), and the configurable parameters.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { matchingStep, normalizeTotpCode, totpCode, type TotpAlgorithm } from '../../src/mfa/totp-code.js';
import { CONTEXT, codeAt, mfaApp } from './helpers.js';

const SEEDS: Record<TotpAlgorithm, Buffer> = {
  SHA1: Buffer.from('12345678901234567890', 'ascii'),
  SHA256: Buffer.from('12345678901234567890123456789012', 'ascii'),
  SHA512: Buffer.from('1234567890123456789012345678901234567890123456789012345678901234', 'ascii'),
};

/** RFC 6238 Appendix B: time (s) → 8-digit TOTP per algorithm, period 30, T0 = 0. */
const VECTORS: Array<[number, Record<TotpAlgorithm, string>]> = [
  [59, { SHA1: '94287082', SHA256: '46119246', SHA512: '90693936' }],
  [1111111109, { SHA1: '07081804', SHA256: '68084774', SHA512: '25091201' }],
  [1111111111, { SHA1: '14050471', SHA256: '67062674', SHA512: '99943326' }],
  [1234567890, { SHA1: '89005924', SHA256: '91819424', SHA512: '93441116' }],
  [2000000000, { SHA1: '69279037', SHA256: '90698825', SHA512: '38618901' }],
  [20000000000, { SHA1: '65353130', SHA256: '77737706', SHA512: '47863826' }],
];

describe('RFC 6238 Appendix B', () => {
  for (const [seconds, codes] of VECTORS) {
    for (const algorithm of ['SHA1', 'SHA256', 'SHA512'] as const) {
      test(`${algorithm} at ${seconds}s is ${codes[algorithm]}, and matches exactly that step`, () => {
        const p = { algorithm, digits: 8, period: 30 };
        const step = Math.floor(seconds / 30);
        assert.equal(totpCode(SEEDS[algorithm], p, step), codes[algorithm]);
        assert.equal(matchingStep(SEEDS[algorithm], p, codes[algorithm], seconds * 1000, 0), step);
        assert.equal(matchingStep(SEEDS[algorithm], p, codes[algorithm], (seconds + 30) * 1000, 0), null, 'one step later, window 0');
      });
    }
  }
});

describe('code input', () => {
  test('spaces are ignored; anything but exactly `digits` digits is no code', () => {
    assert.equal(normalizeTotpCode(' 123 456 ', 6), '123456');
    for (const bad of ['12345', '1234567', '12345a', '１２３４５６', '', '1'.repeat(40)]) assert.equal(normalizeTotpCode(bad, 6), null, bad);
  });
});

describe('TOTP verification', () => {
  test('a code of the previous and next step is accepted (window 1), two steps away is not', async () => {
    const t = await mfaApp();
    const { user, secret } = await t.enrolledUser('alice');
    const verify = (steps: number) => t.app.mfa!.factors.verify(user, { method: 'totp', code: codeAt(secret, t.clock, steps) }, CONTEXT);
    assert.equal(await verify(-2), false);
    assert.equal(await verify(-1), true);
    assert.equal(await verify(0), true);
    assert.equal(await verify(+2), false);
    assert.equal(await verify(+1), true);
    await t.app.close();
  });

  test('window 0 accepts the current step only; a wider window accepts further', async () => {
    const narrow = await mfaApp({ totp: { window: 0 } });
    const a = await narrow.enrolledUser('alice');
    assert.equal(await narrow.app.mfa!.factors.verify(a.user, { method: 'totp', code: codeAt(a.secret, narrow.clock, -1) }, CONTEXT), false);
    assert.equal(await narrow.app.mfa!.factors.verify(a.user, { method: 'totp', code: codeAt(a.secret, narrow.clock, 0) }, CONTEXT), true);
    const wide = await mfaApp({ totp: { window: 3 } });
    const b = await wide.enrolledUser('bob');
    assert.equal(await wide.app.mfa!.factors.verify(b.user, { method: 'totp', code: codeAt(b.secret, wide.clock, -3) }, CONTEXT), true);
    await narrow.app.close();
    await wide.app.close();
  });

  test('a code is accepted once: a replay, and an earlier step after a later one, are refused (#159)', async () => {
    const t = await mfaApp();
    const { user, secret } = await t.enrolledUser('alice');
    const code = codeAt(secret, t.clock);
    assert.equal(await t.app.mfa!.factors.verify(user, { method: 'totp', code }, CONTEXT), true);
    assert.equal(await t.app.mfa!.factors.verify(user, { method: 'totp', code }, CONTEXT), false, 'replay within the step');
    t.clock.advance(20_000);
    assert.equal(await t.app.mfa!.factors.verify(user, { method: 'totp', code }, CONTEXT), false, 'replay in the next step (inside the window)');
    const earlier = codeAt(secret, t.clock, -1);
    assert.equal(await t.app.mfa!.factors.verify(user, { method: 'totp', code: earlier }, CONTEXT), false, 'an earlier step inside the window');
    await t.app.close();
  });

  test('of concurrent requests with one code exactly one is accepted (#159)', async () => {
    const t = await mfaApp();
    const { user, secret } = await t.enrolledUser('alice');
    const code = codeAt(secret, t.clock);
    const results = await Promise.all(Array.from({ length: 10 }, () => t.app.mfa!.factors.verify(user, { method: 'totp', code }, CONTEXT)));
    assert.equal(results.filter(Boolean).length, 1);
    await t.app.close();
  });

  test('SHA256, 8 digits, 60-second steps: the URI says so and the device keeps them after a settings change', async () => {
    const t = await mfaApp({ totp: { algorithm: 'SHA256', digits: 8, period: 60 } });
    const user = await t.app.users.create({ username: 'carol', password: 'carol-password-1' });
    const { secret, otpauthUrl } = await t.app.mfa!.service.beginTotp(user);
    const url = new URL(otpauthUrl);
    assert.equal(url.searchParams.get('algorithm'), 'SHA256');
    assert.equal(url.searchParams.get('digits'), '8');
    assert.equal(url.searchParams.get('period'), '60');
    const p = { algorithm: 'SHA256' as const, digits: 8, period: 60 };
    await t.app.mfa!.service.confirmTotp(user, codeAt(secret, t.clock, 0, p), CONTEXT);
    t.clock.advance(60_000);
    assert.equal(await t.app.mfa!.factors.verify(user, { method: 'totp', code: codeAt(secret, t.clock, 0) }, CONTEXT), false, 'a SHA1/6/30 code');
    assert.equal(await t.app.mfa!.factors.verify(user, { method: 'totp', code: codeAt(secret, t.clock, 0, p) }, CONTEXT), true);
    await t.app.close();
  });
});
