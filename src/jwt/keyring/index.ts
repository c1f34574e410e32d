/**
 * JWT keys: which key signs new tokens, which keys verify a token, and what the JWKS
 * endpoint publishes — from the settings (simplejwt's `SIGNING_KEY`, `VERIFYING_KEY`,
 * `JWK_URL`) and from the key ring in the store (rotation with `kid`s).
 *
 * Selection rules (docs/security.md #12, #104):
 * - a token **without** `kid` is checked against the static key from the settings
 *   only (simplejwt tokens have no kid); none configured ⇒ `unknown_kid`;
 * - a token **with** `kid` is checked against the ring key with that kid only, if
 *   its status is `active` or `verify`; unknown or retired ⇒ `unknown_kid`;
 * - with `jwt.jwkUrl`, tokens are checked against the remote JWK set only, by `kid`
 *   (kid-less tokens are refused, as PyJWKClient does); see remote.ts;
 * - the ring's `active` key signs (its kid goes in the header), else the static key
 *   (no kid). Signing does not depend on `jwkUrl`.
 * Every key is pinned to `jwt.algorithm`; the token header never chooses it, and
 * HMAC and asymmetric keys are never mixed.
 *
 * Hot path: `verify` and `signer` are synchronous while the store's change signal
 * has not moved; a rotation or retirement anywhere (the CLI, another server) is seen
 * on the next request after it moves (ring.ts).
 *
 * Failure modes: `createJwtKeys` throws JwtKeyConfigError for every unusable
 * configuration (docs/security.md #101–#103, #105: weak / short / empty HMAC secrets, wrong key
 * type, RSA < 2048, wrong curve, mismatched key pair, a ring that does not decrypt with
 * this `secretKey`, ring keys of another algorithm, no key at all). `verify` throws
 * JwsError for every refused token (→ 401 token_not_valid) and the store's own error
 * when the store fails. `signer` throws JwtKeyConfigError when nothing can sign.
 */
import type { Clock } from '../../core/clock.js';
import type { Settings } from '../../core/settings.js';
import { then } from '../../core/maybe.js';
import type { Stores } from '../../stores/types.js';
import {
  compileKeySet,
  JwsError,
  verify,
  type JwsKey,
  type JwsKeySet,
  type PublicJwk,
  type VerifiedJws,
} from '../jws/index.js';
import { JwtKeyConfigError } from './errors.js';
import { isHmac } from './material.js';
import { publishable } from './published.js';
import { RemoteJwks } from './remote.js';
import { KeyRing, type RingSnapshot } from './ring.js';
import { ringCipher } from './seal.js';
import { staticKeys, type StaticKeys } from './static.js';

export { JwtKeyConfigError, KeyRingError } from './errors.js';
export { listKeys, newKid, retireKey, rotateKey, type KeyRingAdminOptions, type KeySummary, type RetireKeyOptions, type RotateKeyOptions } from './manage.js';
export { jwkThumbprint } from './published.js';
export { CANNOT_DECRYPT } from './seal.js';

export interface JwtKeys {
  /** Key that signs new tokens: the ring's active key (its kid goes in the header), else the static key from settings (no kid, like simplejwt). */
  signer(): JwsKey | Promise<JwsKey>;
  /**
   * Verify a compact token against every key allowed now (static key for kid-less tokens, ring keys with status active/verify by kid, or the remote JWKS when jwkUrl is set) and return jws `verify`'s result. Throws JwsError (any reason ⇒ the caller answers token_not_valid). Synchronous in the common case; returns a Promise only when it must reload (the store's change signal moved, or the remote JWKS must be fetched).
   */
  verify(token: string): VerifiedJws | Promise<VerifiedJws>;
  /** Public keys for GET /.well-known/jwks.json (asymmetric keys only: static public key with a stable kid (RFC 7638 thumbprint) + ring keys active/verify; never private members). */
  jwks(): Promise<{ keys: PublicJwk[] }>;
}

export interface JwtKeysOptions {
  settings: Settings['jwt'];
  /** The server secret (resolved: configured or from the secret file). */
  secretKey: string;
  stores: Stores;
  clock: Clock;
  /** for tests */
  fetch?: typeof fetch;
  /** Problems found while running (remote JWKS fetch failures, unusable ring keys written by another process). Never contains key material or tokens. */
  onWarning?: (message: string) => void;
}

/**
 * Loads the static key, the key ring and (with `jwkUrl`) the remote JWKS client.
 * @throws JwtKeyConfigError for any unusable configuration (see module doc).
 */
export async function createJwtKeys(options: JwtKeysOptions): Promise<JwtKeys> {
  const { settings, secretKey, stores, clock } = options;
  const warn = options.onWarning ?? (() => {});
  if (typeof secretKey !== 'string' || secretKey.length === 0) throw new JwtKeyConfigError('secretKey is empty; configure a random server secret of at least 32 characters.');
  const alg = settings.algorithm;
  const statics = staticKeys(settings, secretKey);
  const ring = new KeyRing({ store: stores.keys, changes: stores.changes, cipher: ringCipher(secretKey), algorithm: alg, warn });
  const first = await ring.load(true);

  let remote: RemoteJwks | null = null;
  if (settings.jwkUrl !== null) {
    if (isHmac(alg)) throw new JwtKeyConfigError(`jwt.jwkUrl needs an asymmetric jwt.algorithm, not ${alg}: HMAC secrets are never fetched from a URL.`);
    remote = new RemoteJwks({
      url: settings.jwkUrl,
      algorithm: alg,
      cacheTtl: settings.jwkCacheTtl,
      cooldown: settings.jwkCooldown,
      timeout: settings.jwkTimeout,
      clock,
      maxTokenBytes: settings.maxTokenBytes,
      warn,
      ...(options.fetch !== undefined ? { fetch: options.fetch } : {}),
    });
  } else if (statics.verifier === null && first.entries.length === 0) {
    throw new JwtKeyConfigError(
      `jwt.algorithm is ${alg} but no key is configured: set jwt.signingKey (PEM private key) and/or jwt.verifyingKey (PEM public key), set jwt.jwkUrl, or create a ring key with \`gatehouse keys rotate\`.`,
    );
  }
  return new Keys(statics, ring, remote, settings.maxTokenBytes);
}

/** The static verifier plus the ring, as one key set with the selection rules above. */
function routedKeySet(staticKey: JwsKey | null, ring: RingSnapshot): JwsKeySet {
  const all = [...(staticKey === null ? [] : [staticKey]), ...ring.entries.map((e) => e.key)];
  // Catalogue 103: never HMAC mixed with asymmetric keys, no duplicate kid.
  const checked = all.length > 0 ? compileKeySet(all) : null;
  const staticOnly: readonly JwsKey[] = Object.freeze(staticKey === null ? [] : [staticKey]);
  const ringSet = ring.keySet;
  return Object.freeze({
    keys: checked?.keys ?? Object.freeze([]),
    strictKid: true,
    symmetric: checked?.symmetric ?? false,
    select(alg: string, kid: string | undefined): readonly JwsKey[] {
      if (kid === undefined) {
        if (staticKey === null) throw new JwsError('unknown_kid', 'no kid and no static key');
        if (staticKey.alg !== alg) throw new JwsError('alg_mismatch');
        return staticOnly;
      }
      if (ringSet === null) throw new JwsError('unknown_kid', 'kid not in the key ring');
      return ringSet.select(alg, kid);
    },
  });
}

class Keys implements JwtKeys {
  private snapshot: RingSnapshot | null = null;
  private keySet: JwsKeySet | null = null;
  private published: { keys: PublicJwk[] } | null = null;
  private readonly verifyOptions;
  private readonly staticJwk: PublicJwk | null;

  constructor(
    private readonly statics: StaticKeys,
    private readonly ring: KeyRing,
    private readonly remote: RemoteJwks | null,
    maxTokenBytes: number,
  ) {
    this.verifyOptions = Object.freeze({ maxTokenBytes });
    this.staticJwk = statics.verifier === null ? null : publishable(statics.verifier);
  }

  signer(): JwsKey | Promise<JwsKey> {
    return then(this.ring.current(), (s) => this.signerOf(s));
  }

  verify(token: string): VerifiedJws | Promise<VerifiedJws> {
    if (this.remote !== null) return this.remote.verify(token);
    return then(this.ring.current(), (s) => verify(token, this.keySetFor(s), this.verifyOptions));
  }

  async jwks(): Promise<{ keys: PublicJwk[] }> {
    const snap = await this.ring.current();
    this.keySetFor(snap); // resets `published` when the ring changed
    if (this.published === null) {
      const keys: PublicJwk[] = [];
      if (this.staticJwk !== null) keys.push(this.staticJwk);
      for (const e of snap.entries) {
        const jwk = publishable(e.key);
        if (jwk !== null) keys.push(jwk);
      }
      this.published = { keys };
    }
    return { keys: [...this.published.keys] };
  }

  private signerOf(snap: RingSnapshot): JwsKey {
    if (snap.active !== null) return snap.active;
    if (snap.activeProblem !== null) throw new JwtKeyConfigError(`the active key of the key ring cannot be used: ${snap.activeProblem}`);
    if (this.statics.signer !== null) return this.statics.signer;
    throw new JwtKeyConfigError(
      'no signing key: jwt.signingKey is not set and the key ring has no active key; set jwt.signingKey or run `gatehouse keys rotate`.',
    );
  }

  /** The routed key set of a snapshot, rebuilt only when the snapshot changed. */
  private keySetFor(snap: RingSnapshot): JwsKeySet {
    if (this.snapshot !== snap || this.keySet === null) {
      this.keySet = routedKeySet(this.statics.verifier, snap);
      this.snapshot = snap;
      this.published = null;
    }
    return this.keySet;
  }
}
