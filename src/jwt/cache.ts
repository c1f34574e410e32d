/**
 * The one cache type of the JWT layer: bounded, each entry stamped with the store's change
 * generation (and optionally an expiry), so an entry is used only while nothing it depends
 * on may have changed. `clear()` also moves `epoch`: a lookup that started before it
 * (a store read in flight) cannot store a stale answer after it.
 */
interface Entry<V> {
  value: V;
  generation: number;
  /** Epoch ms from which the entry must not be used. */
  until: number;
}

export class BoundedCache<K, V> {
  private readonly map = new Map<K, Entry<V>>();
  /** Moves on every `clear()`. */
  epoch = 0;
  /** `get`s that found a usable entry, and those that did not (metrics). */
  hits = 0;
  misses = 0;

  constructor(readonly maxSize: number) {}

  /** The value cached for `key` at `generation`, unless it has expired at `now` (epoch ms). Never allocates. */
  get(key: K, generation: number, now = 0): V | undefined {
    const e = this.map.get(key);
    if (e === undefined || e.generation !== generation || now >= e.until) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    return e.value;
  }

  /** Is there an entry for `key`, whatever its generation? */
  has(key: K): boolean {
    return this.map.has(key);
  }

  /** Remember `value`; ignored when the cache is disabled or was cleared since `epoch` (read before the lookup). */
  set(key: K, value: V, generation: number, until = Infinity, epoch = this.epoch): void {
    if (this.maxSize === 0 || epoch !== this.epoch) return;
    if (!this.map.has(key) && this.map.size >= this.maxSize) {
      const oldest = this.map.keys().next().value;
      if (oldest !== undefined) this.map.delete(oldest);
    }
    this.map.set(key, { value, generation, until });
  }

  clear(): void {
    this.map.clear();
    this.epoch++;
  }

  get size(): number {
    return this.map.size;
  }
}
