/**
 * The API key format: generated keys parse; CRC-32 is zlib's; any changed character, a
 * wrong prefix, length or alphabet is refused; drf-api-key keys are told apart.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { checksum, crc32Ascii, generateApiKey, parseApiKey } from '../../src/apikeys/format.js';
import { parseDrfApiKey } from '../../src/apikeys/legacy.js';

test('crc32Ascii is zlib.crc32 on ASCII strings', () => {
  for (let i = 0; i < 500; i++) {
    const s = randomBytes(i % 70).toString('base64');
    assert.equal(crc32Ascii(s), crc32(s), s);
  }
});

test('generated keys parse to their lookup id; distinct keys', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 200; i++) {
    const { key, lookupId } = generateApiKey('gk_');
    assert.match(key, /^gk_[0-9A-Za-z]{8}_[0-9A-Za-z]{38}$/);
    assert.equal(parseApiKey(key, 'gk_'), lookupId);
    assert.equal(parseApiKey(key, 'xk_'), null);
    seen.add(key);
  }
  assert.equal(seen.size, 200);
});

test('one changed character anywhere is refused (checksum or format)', () => {
  const { key } = generateApiKey('acme_');
  for (let i = 0; i < key.length; i++) {
    const c = key[i] === 'a' ? 'b' : 'a';
    assert.equal(parseApiKey(key.slice(0, i) + c + key.slice(i + 1), 'acme_'), null, `position ${i}`);
  }
  assert.equal(parseApiKey(key + 'a', 'acme_'), null);
  assert.equal(parseApiKey(key.slice(0, -1), 'acme_'), null);
  assert.equal(parseApiKey(key.replace(/_/g, '-'), 'acme_'), null);
  const body = key.slice(0, -6);
  assert.equal(parseApiKey(body + checksum(body), 'acme_') !== null, true);
});

test('drf-api-key keys: <8>.<32> only', () => {
  assert.equal(parseDrfApiKey(`Ab3dE6gH.${'a'.repeat(32)}`), 'Ab3dE6gH');
  for (const bad of [`Ab3dE6g.${'a'.repeat(32)}`, `Ab3dE6gH.${'a'.repeat(31)}`, `Ab3dE6gH_${'a'.repeat(32)}`, `Ab3dE6gH.${'a'.repeat(31)}-`]) {
    assert.equal(parseDrfApiKey(bad), null, bad);
  }
});
