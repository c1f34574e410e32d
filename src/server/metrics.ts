/**
 * Prometheus metrics for `GET /metrics` (`metrics.enabled`), in the text exposition
 * format 0.0.4, written here by hand: a handful of counters and one histogram need no
 * client library, and the package takes no runtime dependency for them (this module is
 * loaded only when metrics are on).
 *
 * - `gatehouse_http_requests_total{route,method,status}` — the route's pattern, never the raw path;
 * - `gatehouse_http_request_duration_seconds` — histogram by route;
 * - `gatehouse_auth_outcomes_total{outcome}` — `authenticated`, `anonymous`, or the error code
 *   of a refusal (`authentication_failed`, `not_authenticated`, `token_not_valid`,
 *   `permission_denied`, `throttled`);
 * - `gatehouse_guard_outcomes_total{outcome}` — the application's own routes behind
 *   `app.guard()` / the adapters' `protect()`: `authenticated`, `anonymous`, or the refusal's
 *   status (`refused_401`, `refused_403`, `refused_429`, `error_503`);
 * - `gatehouse_logins_total{result}` — `ok` / `failed` (password logins);
 * - `gatehouse_login_lockouts_total{counter}` — locks started by the login throttle;
 * - `gatehouse_login_unlocks_total{by}` — lock-outs cleared by an operator (`gatehouse unlock`: `cli`);
 * - `gatehouse_refresh_reuse_total` — refresh-token reuse detected (families revoked);
 * - `gatehouse_cache_requests_total{cache,result}` — `hit` / `miss` of the opaque-token
 *   lookup cache (`opaque_token`) and the verified-JWT cache (`jwt_verified`);
 * - `gatehouse_store_duration_seconds{store,operation}` — histogram of store calls.
 */
import { ApiError } from '../core/errors.js';
import type { SecurityEvent } from '../core/events.js';
import type { ObservedRequest } from '../http/engine.js';
import type { GuardOutcome } from '../http/guard.js';
import type { Stores } from '../stores/types.js';

type Labels = Record<string, string>;

/** `name{a="x",b="y"}` with Prometheus's label-value escaping. */
function series(name: string, labels: Labels): string {
  const keys = Object.keys(labels);
  if (keys.length === 0) return name;
  const escape = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
  return `${name}{${keys.map((k) => `${k}="${escape(labels[k] as string)}"`).join(',')}}`;
}

const keyOf = (labels: Labels): string => JSON.stringify(labels);

class Counter {
  private readonly values = new Map<string, { labels: Labels; value: number }>();
  constructor(readonly name: string, readonly help: string) {}

  inc(labels: Labels = {}, by = 1): void {
    const key = keyOf(labels);
    const entry = this.values.get(key);
    if (entry) entry.value += by;
    else this.values.set(key, { labels, value: by });
  }

  render(): string[] {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    for (const { labels, value } of this.values.values()) lines.push(`${series(this.name, labels)} ${value}`);
    return lines;
  }
}

/** Seconds: 0.5 ms to 10 s. */
const BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

class Histogram {
  private readonly values = new Map<string, { labels: Labels; counts: number[]; sum: number; count: number }>();
  constructor(readonly name: string, readonly help: string) {}

  observe(labels: Labels, seconds: number): void {
    const key = keyOf(labels);
    let entry = this.values.get(key);
    if (!entry) this.values.set(key, (entry = { labels, counts: BUCKETS.map(() => 0), sum: 0, count: 0 }));
    for (let i = 0; i < BUCKETS.length; i++) if (seconds <= (BUCKETS[i] as number)) (entry.counts[i] as number)++;
    entry.sum += seconds;
    entry.count++;
  }

  render(): string[] {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    for (const { labels, counts, sum, count } of this.values.values()) {
      BUCKETS.forEach((le, i) => lines.push(`${series(`${this.name}_bucket`, { ...labels, le: String(le) })} ${counts[i]}`));
      lines.push(`${series(`${this.name}_bucket`, { ...labels, le: '+Inf' })} ${count}`);
      lines.push(`${series(`${this.name}_sum`, labels)} ${sum}`);
      lines.push(`${series(`${this.name}_count`, labels)} ${count}`);
    }
    return lines;
  }
}

/** A cache's lookups so far (`OpaqueTokenService.cacheStats`, `JwtVerifier.cacheStats`). */
export type CacheStats = () => { hits: number; misses: number };

/** The codes of refusals that are authentication / authorisation outcomes. */
const AUTH_CODES = new Set(['authentication_failed', 'not_authenticated', 'token_not_valid', 'permission_denied', 'throttled']);

export class Metrics {
  private readonly requests = new Counter('gatehouse_http_requests_total', 'Requests answered, by route pattern, method and status.');
  private readonly durations = new Histogram('gatehouse_http_request_duration_seconds', 'Time to answer a request, by route pattern.');
  private readonly auth = new Counter('gatehouse_auth_outcomes_total', 'Authentication outcomes of requests: authenticated, anonymous, or the refusal code.');
  private readonly guards = new Counter('gatehouse_guard_outcomes_total', "Outcomes of guards on the application's own routes: authenticated, anonymous, or the refusal's status.");
  private readonly logins = new Counter('gatehouse_logins_total', 'Password logins, by result (ok, failed).');
  private readonly lockouts = new Counter('gatehouse_login_lockouts_total', 'Login throttle locks started, by counter.');
  private readonly unlocks = new Counter('gatehouse_login_unlocks_total', 'Login lock-outs cleared by an operator, by who cleared them.');
  private readonly reuse = new Counter('gatehouse_refresh_reuse_total', 'Refresh-token reuse detected (each revoked the token family).');
  private readonly store = new Histogram('gatehouse_store_duration_seconds', 'Time of store calls, by store and operation.');
  private readonly caches = new Map<string, CacheStats>();

  constructor() {
    for (const result of ['ok', 'failed']) this.logins.inc({ result }, 0);
    this.reuse.inc({}, 0);
  }

  /** An answered request (`EngineOptions.observe`). */
  request(r: ObservedRequest): void {
    const route = r.route ?? 'unmatched';
    this.requests.inc({ route, method: r.method, status: String(r.status) });
    this.durations.observe({ route }, r.ms / 1000);
    if (r.route === null) return;
    const code = r.error instanceof ApiError ? r.error.code : null;
    if (code !== null && AUTH_CODES.has(code)) this.auth.inc({ outcome: code });
    else if (r.userId !== null) this.auth.inc({ outcome: 'authenticated' });
    else if (r.error === undefined) this.auth.inc({ outcome: 'anonymous' });
  }

  /** A guard's answer (`app.guard()`, `protect()`). */
  guard(outcome: GuardOutcome): void {
    if (outcome.ok) this.guards.inc({ outcome: outcome.principal ? 'authenticated' : 'anonymous' });
    else this.guards.inc({ outcome: `${outcome.response.status >= 500 ? 'error' : 'refused'}_${outcome.response.status}` });
  }

  /** A security event (`eventLogger`'s `observe`). */
  event(e: SecurityEvent): void {
    if (e.event === 'login') this.logins.inc({ result: 'ok' });
    else if (e.event === 'login_failed') this.logins.inc({ result: 'failed' });
    else if (e.event === 'login_locked') this.lockouts.inc({ counter: e.counter });
    else if (e.event === 'login_unlocked') this.unlocks.inc({ by: e.by });
    else if (e.event === 'refresh_reuse_detected') this.reuse.inc();
  }

  /** Report `stats` as the cache `name` at each scrape. */
  cache(name: string, stats: CacheStats): void {
    this.caches.set(name, stats);
  }

  /** Time every store call (sync or async) of `stores`; everything else passes through unchanged. */
  timeStores(stores: Stores): Stores {
    const timedParts = new Map<PropertyKey, object>();
    const timed = (name: string, target: object): object =>
      new Proxy(target, {
        get: (t, prop) => {
          const value = Reflect.get(t, prop, t) as unknown;
          if (typeof value !== 'function' || typeof prop !== 'string') return value;
          return (...args: unknown[]) => {
            const started = performance.now();
            const done = () => this.store.observe({ store: name, operation: prop }, (performance.now() - started) / 1000);
            const result = (value as (...a: unknown[]) => unknown).apply(t, args);
            if (result instanceof Promise) return result.finally(done);
            done();
            return result;
          };
        },
      });
    return new Proxy(stores, {
      get: (t, prop) => {
        const value = Reflect.get(t, prop, t) as unknown;
        if (prop === 'users' || prop === 'tokens' || prop === 'jwt' || prop === 'keys') {
          let part = timedParts.get(prop);
          if (!part) timedParts.set(prop, (part = timed(prop, value as object)));
          return part;
        }
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(t) : value;
      },
    });
  }

  /** The exposition text. */
  render(): string {
    const cacheCounter = new Counter('gatehouse_cache_requests_total', 'Cache lookups, by cache and result (hit, miss).');
    for (const [cache, stats] of this.caches) {
      const { hits, misses } = stats();
      cacheCounter.inc({ cache, result: 'hit' }, hits);
      cacheCounter.inc({ cache, result: 'miss' }, misses);
    }
    const all = [this.requests, this.durations, this.auth, this.guards, this.logins, this.lockouts, this.unlocks, this.reuse, cacheCounter, this.store];
    return `${all.flatMap((m) => m.render()).join('\n')}\n`;
  }
}
