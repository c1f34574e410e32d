/**
 * A tiny counting semaphore with a bounded wait queue, used to cap how many password
 * hashes run at once (argon2 takes ~19 MiB each; docs/security.md #91).
 */
import { PasswordHasherBusy } from './errors.js';

/**
 * Runs at most `maxConcurrent` tasks at a time; up to `maxQueue` more wait in FIFO
 * order. A task submitted when both are full is refused at once with
 * `PasswordHasherBusy` (rejected promise, nothing started).
 */
export class Semaphore {
  #active = 0;
  readonly #waiting: Array<() => void> = [];

  /** Throws RangeError unless `maxConcurrent` ≥ 1 and `maxQueue` ≥ 0 are integers. */
  constructor(
    readonly maxConcurrent: number,
    readonly maxQueue: number,
  ) {
    if (!Number.isSafeInteger(maxConcurrent) || maxConcurrent < 1) throw new RangeError('maxConcurrent must be an integer ≥ 1');
    if (!Number.isSafeInteger(maxQueue) || maxQueue < 0) throw new RangeError('maxQueue must be an integer ≥ 0');
  }

  /** Tasks running now. */
  get active(): number {
    return this.#active;
  }

  /** Tasks waiting for a slot. */
  get queued(): number {
    return this.#waiting.length;
  }

  /**
   * Run `task` when a slot is free and settle with its result. Rejects with
   * `PasswordHasherBusy` (without running `task`) when every slot is taken and the
   * queue is full; otherwise rejects only if `task` does. The slot is always released.
   */
  async run<T>(task: () => Promise<T>): Promise<T> {
    await this.#acquire();
    try {
      return await task();
    } finally {
      this.#release();
    }
  }

  #acquire(): Promise<void> {
    if (this.#active < this.maxConcurrent) {
      this.#active++;
      return Promise.resolve();
    }
    if (this.#waiting.length >= this.maxQueue) return Promise.reject(new PasswordHasherBusy());
    // The releasing task hands its slot straight to the waiter (#active unchanged).
    return new Promise<void>((resolve) => this.#waiting.push(resolve));
  }

  #release(): void {
    const next = this.#waiting.shift();
    if (next) next();
    else this.#active--;
  }
}
