/**
 * Values that are synchronous on the hot path and a promise only when real I/O happens
 * (a cache miss, a network store). One helper continues either without allocating a
 * promise for the synchronous case, so no module hand-writes the `instanceof Promise`
 * branch again.
 */
export type MaybePromise<T> = T | Promise<T>;

/** `f(value)` now when `value` is plain, or once it resolves. Errors thrown by `f` propagate the same way. */
export function then<T, R>(value: MaybePromise<T>, f: (v: T) => MaybePromise<R>): MaybePromise<R> {
  return value instanceof Promise ? value.then(f) : f(value);
}

/** True when `value` is a promise (the only place that asks). */
export function isPromise<T>(value: MaybePromise<T>): value is Promise<T> {
  return value instanceof Promise;
}
