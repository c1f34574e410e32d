/**
 * Django's `EmailValidator` and `normalize_email`, case by case (values checked against
 * Django 3.2's validator: the same input gives the same verdict).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { EMAIL_VALIDATE_MAX, isValidEmail, normalizeEmail } from '../../src/accounts/email-address.js';

describe('isValidEmail (Django EmailValidator)', () => {
  const valid = [
    'alice@example.com',
    'ALICE@EXAMPLE.COM',
    'a.b+tag@sub.example.co.uk',
    "!#$%&'*+/=?^_`{}|~-@example.com",
    '"quoted\\ string"@example.com',
    '"escaped\\"quote"@example.com',
    'user@localhost',
    'user@[127.0.0.1]',
    'user@[::1]',
    'user@[2001:db8::1]',
    'user@bücher.example',
    'user@xn--bcher-kva.example',
    'user@a-b.example',
    'x@' + 'a'.repeat(63) + '.com',
  ];
  for (const value of valid) test(`accepts ${value}`, () => assert.equal(isValidEmail(value), true));

  const invalid = [
    '',
    'plain',
    '@example.com',
    'alice@',
    'alice@example',
    'alice@-example.com',
    'alice@example-.com',
    'alice@example.c',
    'alice@example.com-',
    'alice..dots@example.com',
    '.alice@example.com',
    'alice.@example.com',
    'al ice@example.com',
    'alice@exa mple.com',
    'alice@[999.1.1.1]',
    'alice@[not-an-ip]',
    'alice@localhost.',
    'x@' + 'a'.repeat(64) + '.com',
    'alice@example.com\n',
    'ünïcode@example.com',
    'alice@example..com',
    '"quoted string"@example.com',
  ];
  for (const value of invalid) test(`refuses ${JSON.stringify(value)}`, () => assert.equal(isValidEmail(value), false));

  test('refuses anything longer than 320 characters without running the patterns', () => {
    const long = 'a'.repeat(64) + '@' + ('b'.repeat(60) + '.').repeat(5) + 'com';
    assert.ok(long.length > EMAIL_VALIDATE_MAX);
    assert.equal(isValidEmail(long), false);
    const atTheCap = 'a'.repeat(EMAIL_VALIDATE_MAX - '@example.com'.length) + '@example.com';
    assert.equal(isValidEmail(atTheCap), true);
    assert.equal(isValidEmail('a' + atTheCap), false);
  });

  test('a pathological domain answers quickly', () => {
    const start = process.hrtime.bigint();
    isValidEmail('a@' + 'a-'.repeat(150) + '!');
    assert.ok(Number(process.hrtime.bigint() - start) / 1e6 < 200);
  });
});

describe('normalizeEmail (BaseUserManager.normalize_email)', () => {
  test('lower-cases the domain part only', () => assert.equal(normalizeEmail('Alice.B@Example.COM'), 'Alice.B@example.com'));
  test('splits at the last @', () => assert.equal(normalizeEmail('"a@B"@EX.com'), '"a@B"@ex.com'));
  test('strips surrounding whitespace when there is an @', () => assert.equal(normalizeEmail('  a@B.com \n'), 'a@b.com'));
  test('keeps a value without @ as given', () => assert.equal(normalizeEmail(' NoAt '), ' NoAt '));
  test('null and undefined give the empty string', () => {
    assert.equal(normalizeEmail(null), '');
    assert.equal(normalizeEmail(undefined), '');
  });
});
