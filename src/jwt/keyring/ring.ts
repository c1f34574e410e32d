/**
 * The key ring as seen by one process: the store's signing keys (status `active` or
 * `verify`), decrypted, imported and indexed by `kid`, kept in sync with the store.
 *
 * Hot path: {@link KeyRing.current} compares the store's change signal with the
 * generation of the last load (one cheap synchronous call) and returns the cached
 * snapshot synchronously when it did not move. When it moved (a rotation or
 * retirement by the CLI or another server, or any other write), it reloads the rows
 * (`KeyStore.listKeys`, async) and returns a Promise. Decrypted keys are cached by
 * `kid` (re-decrypted only when a row's ciphertext changes), and the snapshot — with
 * its compiled key set — is rebuilt only when the usable keys or their statuses
 * changed, so unrelated writes cost one small query and nothing else.
 *
 * Ring keys are always in `jwt.algorithm` (never HMAC mixed with asymmetric keys).
 * A row that cannot be used — another algorithm, not decryptable with this
 * `secretKey`, corrupt — is handled in two ways:
 * - at start-up ({@link KeyRing.load} with `strict`), it is a JwtKeyConfigError: the
 *   server refuses to start and the message names the `kid` and the fix;
 * - on a later reload (written by another process while running), it is ignored (it
 *   never verifies), reported once through `warn`, and if it is the active key,
 *   `activeProblem` says why so that signing fails loudly instead of silently
 *   falling back to another key.
 * Retired keys are dropped from memory.
 *
 * Failure modes: `load`/`current` reject with the store's own error when the store
 * fails (the generation is not advanced, so the next call retries).
 */
import type { ChangeSignal, KeyStore, StoredSigningKey } from '../../stores/types.js';
import { compileKeySet, isJwsAlgorithm, type JwsAlgorithm, type JwsKey, type JwsKeySet } from '../jws/index.js';
import { JwtKeyConfigError } from './errors.js';
import { keyFromMaterial } from './material.js';
import type { RingCipher } from './seal.js';

/** One usable ring key. */
export interface RingEntry {
  readonly kid: string;
  readonly status: 'active' | 'verify';
  readonly key: JwsKey;
}

/** An immutable view of the ring at one generation. */
export interface RingSnapshot {
  /** Usable keys (active first), oldest → newest otherwise. */
  readonly entries: readonly RingEntry[];
  /** The key that signs, or null. */
  readonly active: JwsKey | null;
  /** Set when the store has an active key that cannot be used here (then `active` is null). */
  readonly activeProblem: string | null;
  /** Strict-kid key set of the usable keys, or null when there are none. */
  readonly keySet: JwsKeySet | null;
}

interface CacheEntry {
  readonly alg: string;
  readonly encryptedKey: string;
  readonly result: JwsKey | JwtKeyConfigError;
}

export interface KeyRingOptions {
  readonly store: KeyStore;
  readonly changes: ChangeSignal;
  readonly cipher: RingCipher;
  readonly algorithm: JwsAlgorithm;
  readonly warn: (message: string) => void;
}

const EMPTY: RingSnapshot = Object.freeze({ entries: Object.freeze([]), active: null, activeProblem: null, keySet: null });

export class KeyRing {
  private snapshot: RingSnapshot = EMPTY;
  /** Generation of the store when the current snapshot was read; NaN = never loaded. */
  private generation = Number.NaN;
  private readonly cache = new Map<string, CacheEntry>();
  private pending: { generation: number; promise: Promise<RingSnapshot> } | null = null;
  /** Sequence numbers so that a slow, older load never replaces a newer snapshot. */
  private started = 0;
  private applied = 0;

  constructor(private readonly o: KeyRingOptions) {}

  /**
   * The ring now: synchronous while the store's change signal has not moved, else a
   * Promise of the reloaded ring.
   */
  current(): RingSnapshot | Promise<RingSnapshot> {
    const generation = this.o.changes.generation();
    if (generation === this.generation) return this.snapshot;
    if (this.pending !== null && this.pending.generation === generation) return this.pending.promise;
    const promise = this.load(false, generation);
    const pending = { generation, promise };
    this.pending = pending;
    const clear = () => {
      if (this.pending === pending) this.pending = null;
    };
    promise.then(clear, clear);
    return promise;
  }

  /**
   * Reads the rows and rebuilds the snapshot.
   * @param strict throw JwtKeyConfigError for any unusable active/verify row (start-up).
   * @param generation the change signal read before the query (defaults to now).
   */
  async load(strict: boolean, generation = this.o.changes.generation()): Promise<RingSnapshot> {
    const seq = ++this.started;
    const rows = await this.o.store.listKeys();
    const problems: string[] = [];
    const entries: RingEntry[] = [];
    let activeProblem: string | null = null;
    const seen = new Set<string>();
    for (const row of rows) {
      if (row.status === 'retired') continue;
      seen.add(row.kid);
      const result = this.keyFor(row, strict);
      if (result instanceof JwtKeyConfigError) {
        problems.push(result.message);
        if (row.status === 'active') activeProblem = result.message;
        continue;
      }
      const entry: RingEntry = Object.freeze({ kid: row.kid, status: row.status, key: result });
      if (row.status === 'active') entries.unshift(entry);
      else entries.push(entry);
    }
    if (strict && problems.length > 0) {
      throw new JwtKeyConfigError(problems.length === 1 ? (problems[0] as string) : `the key ring has ${problems.length} unusable keys:\n  - ${problems.join('\n  - ')}`);
    }
    for (const kid of this.cache.keys()) if (!seen.has(kid)) this.cache.delete(kid);
    const next = this.sameAs(entries, activeProblem) ? this.snapshot : build(entries, activeProblem);
    if (seq > this.applied) {
      this.applied = seq;
      this.snapshot = next;
      this.generation = generation;
    }
    return next;
  }

  /** The (cached) key of a row, or the reason it cannot be used (warned once per row version unless `quiet`: the caller throws it). */
  private keyFor(row: StoredSigningKey, quiet: boolean): JwsKey | JwtKeyConfigError {
    const hit = this.cache.get(row.kid);
    if (hit !== undefined && hit.alg === row.alg && hit.encryptedKey === row.encryptedKey) return hit.result;
    const result = this.importRow(row);
    this.cache.set(row.kid, { alg: row.alg, encryptedKey: row.encryptedKey, result });
    if (result instanceof JwtKeyConfigError && !quiet) this.o.warn(`key ring: key "${row.kid}" is ignored: ${result.message}`);
    return result;
  }

  private importRow(row: StoredSigningKey): JwsKey | JwtKeyConfigError {
    const alg = this.o.algorithm;
    if (row.alg !== alg || !isJwsAlgorithm(row.alg)) {
      return new JwtKeyConfigError(
        `key ring key "${row.kid}" is for ${row.alg} but jwt.algorithm is ${alg}; retire it (gatehouse keys retire ${row.kid}) or set jwt.algorithm back to ${row.alg}.`,
      );
    }
    let material: Buffer | undefined;
    try {
      material = this.o.cipher.open(row.kid, row.alg, row.encryptedKey);
      return keyFromMaterial(alg, row.kid, material);
    } catch (e) {
      if (e instanceof JwtKeyConfigError) return e;
      throw e;
    } finally {
      material?.fill(0);
    }
  }

  private sameAs(entries: readonly RingEntry[], activeProblem: string | null): boolean {
    const prev = this.snapshot.entries;
    if (prev.length !== entries.length || this.snapshot.activeProblem !== activeProblem) return false;
    for (let i = 0; i < entries.length; i++) {
      const a = prev[i] as RingEntry;
      const b = entries[i] as RingEntry;
      if (a.kid !== b.kid || a.status !== b.status || a.key !== b.key) return false;
    }
    return true;
  }
}

function build(entries: readonly RingEntry[], activeProblem: string | null): RingSnapshot {
  const first = entries[0];
  return Object.freeze({
    entries: Object.freeze([...entries]),
    active: first !== undefined && first.status === 'active' ? first.key : null,
    activeProblem,
    keySet: entries.length > 0 ? compileKeySet(entries.map((e) => e.key), { strictKid: true }) : null,
  });
}
