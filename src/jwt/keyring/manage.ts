/**
 * Key-ring management (used by `gatehouse keys …`): rotate, list, retire.
 *
 * - {@link rotateKey} generates a key for the configured algorithm, encrypts its
 *   private part / secret (see seal.ts) and inserts it as `active`; the store demotes
 *   the previous active key to `verify` in the same transaction, so tokens it signed
 *   keep verifying until it is retired. Running servers pick the change up on their
 *   next request (the store's change signal moves).
 * - {@link retireKey} makes a key refuse every token from the next request on.
 * - {@link listKeys} returns metadata only, never key material.
 *
 * Failure modes: KeyRingError (unknown or already retired `kid`, retiring the active key
 * without `force`, a ring whose keys use another algorithm); JwtKeyConfigError when the
 * existing keys do not decrypt with this `secretKey` (a new key written with another
 * secret would be unusable by the servers).
 */
import { randomBytes } from 'node:crypto';
import { systemClock, type Clock } from '../../core/clock.js';
import type { KeyStore, StoredSigningKey } from '../../stores/types.js';
import type { JwsAlgorithm } from '../jws/index.js';
import { KeyRingError } from './errors.js';
import { generateKey } from './material.js';
import { publishable } from './published.js';
import { ringCipher } from './seal.js';

/** What every management call needs. */
export interface KeyRingAdminOptions {
  readonly keys: KeyStore;
  readonly clock?: Clock;
}

export interface RotateKeyOptions extends KeyRingAdminOptions {
  /** `jwt.algorithm`: the ring is always generated in it. */
  readonly algorithm: JwsAlgorithm;
  /** The server secret (the encryption key is derived from it). */
  readonly secretKey: string;
}

export interface RetireKeyOptions extends KeyRingAdminOptions {
  readonly kid: string;
  /** Allow retiring the active key (signing then falls back to the static key, if any). */
  readonly force?: boolean;
}

/** A ring key without its material. */
export interface KeySummary {
  readonly kid: string;
  readonly alg: string;
  readonly status: StoredSigningKey['status'];
  readonly createdAt: number;
  readonly retiredAt: number | null;
}

/**
 * A new key id: 128 random bits, base64url (22 characters). An id never
 * starts with `-`: `gatehouse keys retire -abc…` would be read as an option
 * (1 key in 64 would be unusable on the command line without `--`).
 */
export function newKid(): string {
  for (;;) {
    const kid = randomBytes(16).toString('base64url');
    if (kid[0] !== '-') return kid;
  }
}

/**
 * Generates, encrypts and inserts a new active key; the previous active key becomes
 * verify-only.
 * @throws KeyRingError when live keys use another algorithm; JwtKeyConfigError when
 *   they do not decrypt with `secretKey`, or `secretKey` is empty.
 */
export async function rotateKey(options: RotateKeyOptions): Promise<StoredSigningKey> {
  const { keys, algorithm } = options;
  const cipher = ringCipher(options.secretKey);
  for (const row of await keys.listKeys()) {
    if (row.status === 'retired') continue;
    if (row.alg !== algorithm) {
      throw new KeyRingError(
        `the key ring holds key "${row.kid}" for ${row.alg} but jwt.algorithm is ${algorithm}; retire the ${row.alg} keys first (gatehouse keys retire <kid>) or fix the configuration.`,
      );
    }
    cipher.open(row.kid, row.alg, row.encryptedKey).fill(0); // same secretKey as the ring's, or JwtKeyConfigError
  }
  const kid = newKid();
  const { key, material } = await generateKey(algorithm, kid);
  let encryptedKey: string;
  try {
    encryptedKey = cipher.seal(kid, algorithm, material);
  } finally {
    material.fill(0);
  }
  const jwk = publishable(key);
  const stored: StoredSigningKey = {
    kid,
    alg: algorithm,
    status: 'active',
    createdAt: (options.clock ?? systemClock).now(),
    retiredAt: null,
    publicJwk: jwk === null ? null : JSON.stringify(jwk),
    encryptedKey,
  };
  await keys.insertKey(stored);
  return stored;
}

/** Every ring key (retired ones too), oldest first, without material. */
export async function listKeys(options: KeyRingAdminOptions): Promise<KeySummary[]> {
  return (await options.keys.listKeys()).map(summary);
}

/**
 * Retires a key: it verifies nothing from the next request on.
 * @throws KeyRingError unknown kid, already retired, or active without `force`.
 */
export async function retireKey(options: RetireKeyOptions): Promise<KeySummary> {
  const { keys, kid } = options;
  const row = (await keys.listKeys()).find((k) => k.kid === kid);
  if (row === undefined) throw new KeyRingError(`there is no key "${kid}" in the key ring`);
  if (row.status === 'retired') throw new KeyRingError(`key "${kid}" is already retired`);
  if (row.status === 'active' && options.force !== true) {
    throw new KeyRingError(`key "${kid}" is the active signing key: rotate first so that another key signs, or force it (gatehouse keys retire --force)`);
  }
  const now = (options.clock ?? systemClock).now();
  if (!(await keys.retireKey(kid, now))) throw new KeyRingError(`key "${kid}" is already retired`);
  return { ...summary(row), status: 'retired', retiredAt: now };
}

function summary(row: StoredSigningKey): KeySummary {
  return { kid: row.kid, alg: row.alg, status: row.status, createdAt: row.createdAt, retiredAt: row.retiredAt };
}
