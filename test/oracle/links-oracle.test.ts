/**
 * Link tokens against real Django (the DRF oracle's `manage.py shell`): reset tokens of
 * Django's and allauth's generators, djoser and allauth uids and allauth confirmation
 * keys made by Django at a fixed time are accepted by src/accounts/links/, and the ones
 * Gatehouse makes are accepted by Django's `check_token` / `signing.loads`.
 *
 * Skipped when the oracle cannot run here; a failure with GATEHOUSE_REQUIRE_ORACLE=1.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../src/core/clock.js';
import { ResetTokenGenerator } from '../../src/accounts/links/reset-token.js';
import { dumps, loads } from '../../src/accounts/links/signing.js';
import { decodeAllauthUid, decodeDjoserUid, encodeAllauthUid, encodeDjoserUid } from '../../src/accounts/links/uid.js';
import { oracleSecretKey, oracleUnavailable, startOracle, type Oracle } from './oracle.js';

const unavailable = oracleUnavailable();
const required = process.env.GATEHOUSE_REQUIRE_ORACLE === '1';

/** 2026-12-02 02:45:43 UTC: Django's clock in the shell, and Gatehouse's. */
const NOW = Date.UTC(2026, 11, 2, 2, 45, 43);

/** Python run in the oracle's `manage.py shell`: Django's generators with `_now` and `time.time` fixed to NOW. */
const PRELUDE = `
import datetime, json, time
from unittest import mock
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core import signing
from django.utils.http import urlsafe_base64_encode
from allauth.account.forms import EmailAwarePasswordResetTokenGenerator
from allauth.account.utils import user_pk_to_url_str
NOW = datetime.datetime(2026, 12, 2, 2, 45, 43)
class DjangoGen(PasswordResetTokenGenerator):
    def _now(self): return NOW
class AllauthGen(EmailAwarePasswordResetTokenGenerator):
    def _now(self): return NOW
u = get_user_model().objects.get(username='alice')
`;

interface DjangoSide {
  pk: number;
  password: string;
  lastLogin: string | null;
  email: string;
  django: string;
  allauth: string;
  djoserUid: string;
  allauthUid: string;
  key: string;
}

if (unavailable !== null && required) {
  test('link tokens against Django (GATEHOUSE_REQUIRE_ORACLE=1)', () => {
    assert.fail(unavailable);
  });
} else if (unavailable !== null) {
  console.log(`# SKIPPED test/oracle/links-oracle.test.ts: ${unavailable}`);
  test('link tokens against Django', { skip: unavailable }, () => {});
} else {
  describe('link tokens against Django (oracle manage.py shell)', () => {
    let oracle: Oracle;
    let side: DjangoSide;
    const secretKey = oracleSecretKey();
    const clock = new FakeClock(NOW);
    const user = () => ({ id: side.pk, password: side.password, lastLogin: side.lastLogin === null ? null : new Date(side.lastLogin), email: side.email });
    const shell = (body: string): string => {
      const out = oracle.manage('shell', '-c', PRELUDE + body).trim().split('\n');
      return out[out.length - 1] as string;
    };

    before(async () => {
      oracle = await startOracle();
      side = JSON.parse(
        shell(`
u.last_login = datetime.datetime(2026, 1, 5, 7, 8, 9, 456789, tzinfo=datetime.timezone.utc)
u.save(update_fields=['last_login'])
with mock.patch('time.time', return_value=${NOW / 1000}.75):
    key = signing.dumps(4, salt='account')
print(json.dumps({'pk': u.pk, 'password': u.password, 'lastLogin': u.last_login.isoformat(), 'email': u.email,
    'django': DjangoGen().make_token(u), 'allauth': AllauthGen().make_token(u),
    'djoserUid': urlsafe_base64_encode(str(u.pk).encode()), 'allauthUid': user_pk_to_url_str(u), 'key': key}))
`),
      ) as DjangoSide;
    });
    after(() => oracle?.stop());

    test("Django's tokens, uids and key are accepted, and Gatehouse makes the same", () => {
      const django = new ResetTokenGenerator({ secretKey, clock });
      const allauth = new ResetTokenGenerator({ secretKey, clock, variant: 'allauth' });
      assert.equal(django.check(user(), side.django), true);
      assert.equal(allauth.check(user(), side.allauth), true);
      assert.equal(django.check(user(), side.allauth), false);
      assert.equal(django.make(user()), side.django, 'same token (last login to the second, UTC)');
      assert.equal(allauth.make(user()), side.allauth);
      assert.equal(decodeDjoserUid(side.djoserUid), side.pk);
      assert.equal(encodeDjoserUid(side.pk), side.djoserUid);
      assert.equal(decodeAllauthUid(side.allauthUid), side.pk);
      assert.equal(encodeAllauthUid(side.pk), side.allauthUid);
      assert.equal(loads(side.key, { secretKey, salt: 'account', clock, maxAgeSeconds: 3 * 86400 }), 4);
      assert.equal(dumps(4, { secretKey, salt: 'account', clock }), side.key);
    });

    test("Gatehouse's tokens and keys are accepted by Django's check_token and signing.loads", () => {
      const later = new FakeClock(NOW - 3600_000);
      const django = new ResetTokenGenerator({ secretKey, clock: later }).make(user());
      const allauth = new ResetTokenGenerator({ secretKey, clock: later, variant: 'allauth' }).make(user());
      const key = dumps({ pk: 4, note: 'é' }, { secretKey, salt: 'account', clock: later, compress: true });
      const packed = dumps(Array.from({ length: 40 }, () => 7), { secretKey, salt: 'account', clock: later, compress: true });
      assert.ok(packed.startsWith('.'));
      const answer = JSON.parse(
        shell(`
with mock.patch('time.time', return_value=${NOW / 1000}):
    key = signing.loads(${JSON.stringify(key)}, salt='account', max_age=3 * 86400)
    packed = signing.loads(${JSON.stringify(packed)}, salt='account')
print(json.dumps({'django': DjangoGen().check_token(u, ${JSON.stringify(django)}), 'allauth': AllauthGen().check_token(u, ${JSON.stringify(allauth)}),
    'crossed': DjangoGen().check_token(u, ${JSON.stringify(allauth)}), 'key': key, 'packed': packed}))
`),
      ) as { django: boolean; allauth: boolean; crossed: boolean; key: unknown; packed: unknown };
      assert.deepEqual(answer, { django: true, allauth: true, crossed: false, key: { pk: 4, note: 'é' }, packed: Array.from({ length: 40 }, () => 7) });
    });
  });
}
