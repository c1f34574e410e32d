/**
 * Remote JWKS (`jwt.jwkUrl`, simplejwt's `JWK_URL` / PyJWKClient): tokens are
 * verified against the public keys published at a configured URL, selected by `kid`.
 *
 * Fetching: the injected (or global) `fetch` (redirects followed, as PyJWKClient
 * does), `AbortSignal.timeout(jwkTimeout)` for the whole exchange, status 200 only, a
 * body cap (64 KiB by default, checked on `Content-Length` and while reading), then
 * JSON `{"keys": [...]}`. Only keys usable
 * for the pinned algorithm are kept: a non-empty string `kid` (PyJWKClient also drops
 * kid-less keys), no private members (a published private key is compromised), and
 * whatever `importKey` accepts for `jwt.algorithm` (`alg` absent or equal, `use`
 * absent or `sig`, `key_ops` only sign/verify, right `kty`/`crv`, RSA ≥ 2048 bits).
 * A `kid` that appears on two usable keys is ambiguous and dropped. A document with
 * no usable key counts as a failed fetch. The token's own `jku` / `x5u` / `jwk` are
 * never fetched or used (the jws layer refuses such tokens).
 *
 * Caching: a good set is trusted for `jwkCacheTtl`. From half its lifetime on, a
 * request triggers one background refresh (verification stays synchronous); after a
 * failed fetch no new attempt is made for `jwkCooldown`. When the set has expired (or
 * was never fetched), verification waits for a fetch; if that fails it fails closed
 * (JwsError `unknown_kid` → 401), never accepting a token. A token whose `kid` is not
 * in the set triggers a refetch at most once per `jwkCooldown` (then the token is
 * checked once more against the new set). Concurrent callers share one fetch.
 *
 * Failure modes: `verify` throws (or rejects with) JwsError only; fetch problems are
 * reported through `warn` (without the response body) and never thrown as-is.
 */
import type { Clock } from '../../core/clock.js';
import {
  compileKeySet,
  importKey,
  JwsError,
  verify,
  type JwsAlgorithm,
  type JwsKey,
  type JwsKeySet,
  type VerifiedJws,
} from '../jws/index.js';

/** Default cap on the size of a JWKS document. */
export const DEFAULT_MAX_JWKS_BYTES = 64 * 1024;

const PUBLIC_MEMBERS = ['kty', 'kid', 'use', 'key_ops', 'alg', 'crv', 'x', 'y', 'n', 'e'] as const;
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;
const KID_MISS = 'kid not in the JWK set';

export interface RemoteJwksOptions {
  readonly url: string;
  readonly algorithm: JwsAlgorithm;
  /** Milliseconds a fetched set is trusted. */
  readonly cacheTtl: number;
  /** Milliseconds between unknown-kid refetches, and after a failed fetch. */
  readonly cooldown: number;
  /** Milliseconds one fetch may take (connection, headers and body). */
  readonly timeout: number;
  readonly clock: Clock;
  readonly maxTokenBytes: number;
  readonly fetch?: typeof fetch;
  readonly maxBytes?: number;
  readonly warn?: (message: string) => void;
}

interface FetchedSet {
  readonly keySet: JwsKeySet;
  readonly fetchedAt: number;
}

/** Why a fetch failed (internal; reported through `warn`). */
class FetchFailed extends Error {}

export class RemoteJwks {
  private set: FetchedSet | null = null;
  private inflight: Promise<FetchedSet | null> | null = null;
  private lastFailureAt = Number.NEGATIVE_INFINITY;
  private lastKidRefetchAt = Number.NEGATIVE_INFINITY;
  private readonly verifyOptions;

  /** Number of fetches started so far (for diagnostics and tests). */
  fetches = 0;

  constructor(private readonly o: RemoteJwksOptions) {
    this.verifyOptions = Object.freeze({ maxTokenBytes: o.maxTokenBytes });
  }

  /**
   * Verifies `token` against the remote set (see module doc).
   * @throws JwsError (synchronously, or as a rejection when a fetch was needed).
   */
  verify(token: string): VerifiedJws | Promise<VerifiedJws> {
    const now = this.o.clock.now();
    const current = this.set;
    if (current === null || now - current.fetchedAt >= this.o.cacheTtl) {
      return this.refresh(now).then((fresh) => {
        if (fresh === null) throw new JwsError('unknown_kid', 'JWK set unavailable');
        return this.check(token, fresh, now, false);
      });
    }
    if (now - current.fetchedAt >= this.o.cacheTtl / 2 && now - this.lastFailureAt >= this.o.cooldown && this.inflight === null) {
      void this.refresh(now);
    }
    return this.check(token, current, now, true);
  }

  /**
   * Verify against `set`; on an unknown kid (and `mayRefetch`: the set was not fetched
   * for this very call), refetch (rate-limited) and check once more.
   */
  private check(token: string, set: FetchedSet, now: number, mayRefetch: boolean): VerifiedJws | Promise<VerifiedJws> {
    try {
      return verify(token, set.keySet, this.verifyOptions);
    } catch (e) {
      if (!mayRefetch || !(e instanceof JwsError) || e.detail !== KID_MISS) throw e;
      if (this.inflight === null) {
        if (now - this.lastKidRefetchAt < this.o.cooldown) throw e;
        this.lastKidRefetchAt = now;
      }
      return this.refresh(now, true).then((fresh) => verify(token, (fresh ?? set).keySet, this.verifyOptions));
    }
  }

  /** One shared fetch; resolves to the new set, or null when it failed (or is cooling down). */
  private refresh(now: number, force = false): Promise<FetchedSet | null> {
    if (this.inflight !== null) return this.inflight;
    if (!force && now - this.lastFailureAt < this.o.cooldown) return Promise.resolve(null);
    const run = this.fetchSet().then(
      (keySet) => {
        this.set = { keySet, fetchedAt: this.o.clock.now() };
        return this.set;
      },
      (e: unknown) => {
        this.lastFailureAt = this.o.clock.now();
        this.o.warn?.(`jwt.jwkUrl: fetching the JWK set failed (${describe(e)}); ${this.set === null ? 'tokens are refused until it succeeds' : 'the last good set is used until it expires'}.`);
        return null;
      },
    );
    const tracked = run.finally(() => {
      if (this.inflight === tracked) this.inflight = null;
    });
    this.inflight = tracked;
    return tracked;
  }

  private async fetchSet(): Promise<JwsKeySet> {
    this.fetches++;
    const doFetch = this.o.fetch ?? globalThis.fetch;
    const maxBytes = this.o.maxBytes ?? DEFAULT_MAX_JWKS_BYTES;
    const response = await doFetch(this.o.url, {
      method: 'GET',
      headers: { accept: 'application/json, application/jwk-set+json' },
      redirect: 'follow',
      signal: AbortSignal.timeout(this.o.timeout),
    });
    if (response.status !== 200) {
      await response.body?.cancel().catch(() => {});
      throw new FetchFailed(`HTTP status ${response.status}`);
    }
    const text = await readCapped(response, maxBytes);
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch {
      throw new FetchFailed('the response is not JSON');
    }
    if (typeof doc !== 'object' || doc === null || !Array.isArray((doc as { keys?: unknown }).keys)) {
      throw new FetchFailed('the response is not a JWK set ({"keys": [...]})');
    }
    return this.usableKeys((doc as { keys: unknown[] }).keys);
  }

  private usableKeys(entries: readonly unknown[]): JwsKeySet {
    const byKid = new Map<string, JwsKey | null>();
    let skipped = 0;
    for (const entry of entries) {
      const key = this.importEntry(entry);
      if (key === null || key.kid === undefined) {
        skipped++;
        continue;
      }
      byKid.set(key.kid, byKid.has(key.kid) ? null : key);
    }
    const keys = [...byKid.values()].filter((k): k is JwsKey => k !== null);
    if (keys.length === 0) throw new FetchFailed(`no key usable for ${this.o.algorithm} with a kid (${skipped} ignored)`);
    const strict = compileKeySet(keys, { strictKid: true });
    const kids: ReadonlySet<string> = new Set(keys.map((k) => k.kid as string));
    return Object.freeze({
      keys: strict.keys,
      strictKid: true,
      symmetric: false,
      select(alg: string, kid: string | undefined): readonly JwsKey[] {
        if (kid === undefined) throw new JwsError('unknown_kid', 'no kid (required with a JWK set)');
        if (!kids.has(kid)) throw new JwsError('unknown_kid', KID_MISS);
        return strict.select(alg, kid);
      },
    });
  }

  /** A public key from one JWKS entry, or null when it is not usable here. */
  private importEntry(entry: unknown): JwsKey | null {
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) return null;
    const jwk = entry as Record<string, unknown>;
    if (typeof jwk.kid !== 'string' || jwk.kid.length === 0 || jwk.kid.length > 256) return null;
    if (PRIVATE_MEMBERS.some((m) => Object.hasOwn(jwk, m))) return null;
    const publicOnly: Record<string, unknown> = {};
    for (const m of PUBLIC_MEMBERS) if (Object.hasOwn(jwk, m)) publicOnly[m] = jwk[m];
    try {
      const key = importKey({ alg: this.o.algorithm, jwk: publicOnly });
      return key.kind === 'public' ? key : null;
    } catch {
      return null;
    }
  }
}

/** Reads a response body as UTF-8, refusing more than `maxBytes`. */
async function readCapped(response: Response, maxBytes: number): Promise<string> {
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  if (declared > maxBytes) {
    await response.body?.cancel().catch(() => {});
    throw new FetchFailed(`the response is larger than ${maxBytes} bytes`);
  }
  if (response.body === null) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => {});
      throw new FetchFailed(`the response is larger than ${maxBytes} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function describe(e: unknown): string {
  if (e instanceof FetchFailed) return e.message;
  if (e instanceof Error && (e.name === 'TimeoutError' || e.name === 'AbortError')) return 'timed out';
  if (e instanceof Error) {
    const cause = (e as { cause?: unknown }).cause;
    if (cause instanceof Error) {
      const code = (cause as { code?: unknown }).code;
      return `${e.message}: ${cause.message}${typeof code === 'string' && !cause.message.includes(code) ? ` (${code})` : ''}`;
    }
    return e.message;
  }
  return 'unknown error';
}
