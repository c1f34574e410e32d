/**
 * Link tokens (src/accounts/links/): djoser and allauth uids, Django's and allauth's
 * password-reset tokens, Django's signing (allauth confirmation keys), against the values
 * the Django oracle produced (the oracle's SECRET_KEY is a public test fixture), plus the
 * refusals of docs/security.md #119.
 *
 * Run: node --import tsx --test test/accounts/links.test.ts
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { FakeClock } from '../../src/core/clock.js';
import { decodeAllauthUid, decodeDjoserUid, encodeAllauthUid, encodeDjoserUid, MAX_UID_LENGTH } from '../../src/accounts/links/uid.js';
import { MAX_RESET_TOKEN_LENGTH, ResetTokenGenerator } from '../../src/accounts/links/reset-token.js';
import { BadSignature, dumps, loads, MAX_SIGNED_LENGTH, SignatureExpired } from '../../src/accounts/links/signing.js';

const SECRET = 'oracle-insecure-secret-key-do-not-use-in-production-0123456789';
const EPOCH_2001 = Date.UTC(2001, 0, 1);
const at = (ts2001: number) => new FakeClock(EPOCH_2001 + ts2001 * 1000);
const alice = {
  id: 1,
  password: 'pbkdf2_sha256$260000$GabCAzZVjdcPCTuDRUh3OC$smsD7vMEiNGAnIVw3UiIrqHO8jz9BTO9EXoe/Hnu/no=',
  lastLogin: null as Date | null,
  email: 'alice@example.com',
};

test('djoser uid: urlsafe base 64 of the decimal pk, unpadded; decoding is strict and capped', () => {
  assert.deepEqual([1, 4, 10, 123, 999].map(encodeDjoserUid), ['MQ', 'NA', 'MTA', 'MTIz', 'OTk5']);
  for (const pk of [1, 4, 10, 123, 999, 2 ** 53 - 1]) assert.equal(decodeDjoserUid(encodeDjoserUid(pk)), pk);
  assert.equal(decodeDjoserUid('MQ=='), 1, 'padding is optional');
  assert.equal(decodeDjoserUid('MDE'), 1, '"01" is pk 1 as Django reads it');
  for (const bad of ['', 'M', 'MQ=', 'MR', 'M Q', 'MQ\n', 'LTE', 'YQ', 'MA', '+Q', 'MQ==MQ', 'OTAwNzE5OTI1NDc0MDk5Mw', 'M'.repeat(MAX_UID_LENGTH + 4), 'MQ'.padEnd(MAX_UID_LENGTH + 1, 'A')]) {
    assert.equal(decodeDjoserUid(bad), null, bad);
  }
  assert.equal(decodeDjoserUid(1 as unknown as string), null);
  assert.throws(() => encodeDjoserUid(0), RangeError);
});

test('allauth uid: base 36, decoded as Python int(s, 36) with Django\'s 13-character cap', () => {
  assert.deepEqual([1, 35, 36, 818].map(encodeAllauthUid), ['1', 'z', '10', 'mq']);
  assert.equal(decodeAllauthUid('MQ'), 818, "djoser's MQ read as base 36, as dj-rest-auth does");
  for (const [s, pk] of [['1', 1], [' 1\t', 1], ['+z', 35], ['1_0', 36], ['001', 1], ['Z', 35]] as const) assert.equal(decodeAllauthUid(s), pk, s);
  for (const bad of ['', '-1', '0', '1__0', '_1', '1 0', '1.0', '１', 'zzzzzzzzzzzzzz', 'zzzzzzzzzzzzz']) assert.equal(decodeAllauthUid(bad), null, bad);
});

test("Django's token: the oracle's value, bound to password, last login and e-mail, not names", () => {
  const django = new ResetTokenGenerator({ secretKey: SECRET, clock: at(817872343) });
  assert.equal(django.make(alice), 'dixuc7-fe8aced6bee2abc1b943ce7fdd059c81');
  assert.equal(django.check(alice, 'dixuc7-fe8aced6bee2abc1b943ce7fdd059c81'), true);
  assert.equal(django.check({ ...alice, email: 'new@example.com' }, 'dixuc7-fe8aced6bee2abc1b943ce7fdd059c81'), false);
  assert.equal(django.check({ ...alice, password: `${alice.password}x` }, 'dixuc7-fe8aced6bee2abc1b943ce7fdd059c81'), false);
  assert.equal(django.check({ ...alice, lastLogin: new Date('2026-12-02T02:45:43.999Z') }, 'dixuc7-fe8aced6bee2abc1b943ce7fdd059c81'), false);
  assert.equal(django.check({ ...alice, id: 2 }, 'dixuc7-fe8aced6bee2abc1b943ce7fdd059c81'), false);
  // The hashed value, spelled out as Django builds it (last login to the second, UTC).
  const login = new Date('2026-01-05T07:08:09.456Z');
  const value = `1${alice.password}2026-01-05 07:08:09817872343alice@example.com`;
  const key = createHash('sha256').update(`django.contrib.auth.tokens.PasswordResetTokenGenerator${SECRET}`).digest();
  const hex = createHmac('sha256', key).update(value).digest('hex');
  assert.equal(django.make({ ...alice, lastLogin: login }), `dixuc7-${[...hex].filter((_, i) => i % 2 === 0).join('')}`);
});

test("allauth's token: the oracle's value; the two generators refuse each other's tokens", () => {
  const allauth = new ResetTokenGenerator({ secretKey: SECRET, variant: 'allauth', clock: at(817872344) });
  assert.equal(allauth.make(alice), 'dixuc8-fa08d6c92e5d9c56018451bd930050fc');
  const django = new ResetTokenGenerator({ secretKey: SECRET, clock: at(817872344) });
  assert.equal(django.check(alice, 'dixuc8-fa08d6c92e5d9c56018451bd930050fc'), false);
  assert.equal(allauth.check(alice, django.make(alice)), false);
  // No e-mail: allauth adds nothing, so the two coincide (as in allauth: an empty set).
  const noMail = { ...alice, email: '' };
  assert.equal(allauth.make(noMail), django.make(noMail));
});

test('expiry: valid up to and including timeoutSeconds', () => {
  const clock = at(817872343);
  const gen = new ResetTokenGenerator({ secretKey: SECRET, timeoutSeconds: 60, clock });
  const token = gen.make(alice);
  clock.advance(60_000);
  assert.equal(gen.check(alice, token), true);
  clock.advance(1000);
  assert.equal(gen.check(alice, token), false);
  assert.equal(new ResetTokenGenerator({ secretKey: SECRET, clock: at(817872343 - 259_201) }).check(alice, 'dixuc7-fe8aced6bee2abc1b943ce7fdd059c81'), true, 'future timestamps pass, as in Django');
});

test('key salt and secret bind the token', () => {
  const base = new ResetTokenGenerator({ secretKey: SECRET, clock: at(817872343) });
  const purpose = new ResetTokenGenerator({ secretKey: SECRET, keySalt: 'gatehouse.username-reset', clock: at(817872343) });
  assert.notEqual(purpose.make(alice), base.make(alice));
  assert.equal(base.check(alice, purpose.make(alice)), false);
  assert.equal(purpose.check(alice, purpose.make(alice)), true);
  assert.equal(new ResetTokenGenerator({ secretKey: `${SECRET}x`, clock: at(817872343) }).check(alice, base.make(alice)), false);
});

test("legacy HMAC-SHA1 tokens (Django 3.1/3.2 with DEFAULT_HASHING_ALGORITHM='sha1') are accepted unless switched off (#119)", () => {
  const key = createHash('sha1').update(`django.contrib.auth.tokens.PasswordResetTokenGenerator${SECRET}`).digest();
  const hex = createHmac('sha1', key).update(`1${alice.password}817872343alice@example.com`).digest('hex');
  const legacy = `dixuc7-${[...hex].filter((_, i) => i % 2 === 0).join('')}`;
  assert.equal(legacy.length, 27);
  assert.equal(new ResetTokenGenerator({ secretKey: SECRET, clock: at(817872343) }).check(alice, legacy), true);
  assert.equal(new ResetTokenGenerator({ secretKey: SECRET, clock: at(817872343), legacySha1: false }).check(alice, legacy), false);
});

test('malformed tokens are refused before any HMAC (#119)', () => {
  const gen = new ResetTokenGenerator({ secretKey: SECRET, clock: at(817872343) });
  const good = 'dixuc7-fe8aced6bee2abc1b943ce7fdd059c81';
  for (const bad of [
    '', 'dixuc7', '-fe8aced6bee2abc1b943ce7fdd059c81', 'DIXUC7-fe8aced6bee2abc1b943ce7fdd059c81', '0dixuc7-fe8aced6bee2abc1b943ce7fdd059c81',
    'dixuc7-FE8ACED6BEE2ABC1B943CE7FDD059C81', `${good}0`, `${good}-x`, ' dixuc7-fe8aced6bee2abc1b943ce7fdd059c81', 'abc-fe8aced6bee2abc1b943ce7fdd059c81',
    `${'z'.repeat(14)}-fe8aced6bee2abc1b943ce7fdd059c81`, 'x'.repeat(MAX_RESET_TOKEN_LENGTH + 1), 'x'.repeat(1_000_000),
  ]) assert.equal(gen.check(alice, bad), false, bad.slice(0, 60));
  assert.equal(gen.check(alice, null), false);
  assert.equal(gen.check(alice, good), true);
  const start = process.hrtime.bigint();
  for (let i = 0; i < 1000; i++) gen.check(alice, 'x'.repeat(100_000));
  assert.ok(Number(process.hrtime.bigint() - start) / 1e6 < 200, 'long tokens cost nothing');
});

test("signing: the oracle's allauth confirmation keys (salt 'account')", () => {
  const clock = new FakeClock(0);
  assert.equal(loads('MQ:1xYaLo:5r6kIMpQ_hR4B829ee8P2_GvKaBNI24xUbIF_2OOvoQ', { secretKey: SECRET, salt: 'account', clock }), 1);
  assert.equal(loads('NA:1xYaKp:3FweWqLckHseKQicuuTCCXlY9DZ_RUCiJvWnuEh0hZU', { secretKey: SECRET, salt: 'account', clock }), 4);
  const ts = 1 * 62 ** 5 + 59 * 62 ** 4 + 34 * 62 ** 3 + 36 * 62 ** 2 + 21 * 62 + 50; // "1xYaLo" in base 62
  assert.equal(dumps(1, { secretKey: SECRET, salt: 'account', clock: new FakeClock(ts * 1000 + 999) }), 'MQ:1xYaLo:5r6kIMpQ_hR4B829ee8P2_GvKaBNI24xUbIF_2OOvoQ');
});

test('signing: expiry, salt, tampering, malformed input are typed errors', () => {
  const clock = new FakeClock(Date.UTC(2026, 11, 2));
  const key = dumps({ pk: 7, e: 'été' }, { secretKey: SECRET, salt: 'account', clock });
  assert.match(key, /^eyJwayI6NywiZSI6Ilx1MDBlOXRcdTAwZTkifQ:/, 'Python JSON: compact, non-ASCII escaped');
  assert.deepEqual(loads(key, { secretKey: SECRET, salt: 'account', clock, maxAgeSeconds: 3 * 86400 }), { pk: 7, e: 'été' });
  clock.advance(3 * 86400 * 1000 + 1000);
  assert.throws(() => loads(key, { secretKey: SECRET, salt: 'account', clock, maxAgeSeconds: 3 * 86400 }), SignatureExpired);
  assert.deepEqual(loads(key, { secretKey: SECRET, salt: 'account', clock }), { pk: 7, e: 'été' }, 'no max age: no expiry');
  assert.throws(() => loads(key, { secretKey: SECRET, salt: 'other', clock }), BadSignature);
  const [payload, ts, sig] = key.split(':') as [string, string, string];
  for (const bad of [`${payload}x:${ts}:${sig}`, `${payload}:${ts}:${sig.slice(0, -1)}A`, `${payload}:${ts}`, `${payload}:${ts}:${sig}:x`, 'x'.repeat(MAX_SIGNED_LENGTH + 1), '']) {
    assert.throws(() => loads(bad, { secretKey: SECRET, salt: 'account', clock }), BadSignature, bad.slice(0, 60));
  }
  assert.throws(() => loads(42, { secretKey: SECRET, clock }), BadSignature);
});

test('signing: compress only when asked and when shorter; a compressed value round-trips', () => {
  const clock = new FakeClock(Date.UTC(2026, 11, 2));
  const big = Array.from({ length: 19 }, (_, i) => i + 1);
  const plain = dumps(big, { secretKey: SECRET, clock });
  assert.equal(plain.startsWith('.'), false);
  const packed = dumps(big, { secretKey: SECRET, clock, compress: true });
  assert.equal(packed.startsWith('.'), true);
  assert.deepEqual(loads(packed, { secretKey: SECRET, clock }), big);
  assert.equal(dumps(1, { secretKey: SECRET, clock, compress: true }).startsWith('.'), false, 'not shorter: left as is');
});
