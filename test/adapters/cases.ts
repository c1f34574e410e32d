/**
 * The conformance suites' case format and runner (test/adapters/conformance.test.ts,
 * accounts.test.ts): one HTTP request, and the status, headers and exact body every adapter
 * must answer with. `C` is the suite's context (tokens, links read from e-mails, …), filled
 * as the suite runs: bodies, headers and expectations may be functions of it.
 */
import assert from 'node:assert/strict';
import { send, type TestResponse } from '../helpers.js';

/** A value, or made from the context when the case runs (possibly asynchronously: a mail still on its way). */
export type Expected<T, C> = T | ((ctx: C) => T | Promise<T>);

export interface Case<C> {
  name: string;
  method: string;
  path: string;
  /** An array value is sent as several header lines. */
  headers?: (ctx: C) => Record<string, string | string[]>;
  /** An object is sent as JSON; a string or Buffer as it is. */
  body?: Expected<unknown, C>;
  status: number;
  /** Header → exact value, a pattern, or `null` when it must be absent. */
  expectHeaders?: Record<string, string | RegExp | null>;
  /** The exact JSON body (deepEqual). */
  json?: Expected<unknown, C>;
  /** The exact raw body text (e.g. '' for HEAD). */
  text?: string;
  /** More checks; may also record what later cases need into `ctx`. */
  check?: (res: TestResponse, ctx: C) => void | Promise<void>;
}

const resolve = async <T, C>(value: Expected<T, C>, ctx: C): Promise<T> => (typeof value === 'function' ? (value as (c: C) => T | Promise<T>)(ctx) : value);

/** Send `c` to the server at `url` and assert everything it expects. */
export async function runCase<C>(url: string, c: Case<C>, ctx: C): Promise<TestResponse> {
  const body = c.body === undefined ? undefined : await resolve(c.body, ctx);
  const res = await send(url, c.method, c.path, { headers: c.headers?.(ctx) ?? {}, ...(body !== undefined ? { body } : {}) });
  assert.equal(res.status, c.status, `${c.method} ${c.path}: ${res.status} ${res.text.slice(0, 300)}`);
  for (const [name, want] of Object.entries(c.expectHeaders ?? {})) {
    const got = res.headers[name];
    if (want === null) assert.equal(got, undefined, `header ${name} must be absent`);
    else if (want instanceof RegExp) assert.match(String(got), want, `header ${name}`);
    else assert.equal(got, want, `header ${name}`);
  }
  if (c.json !== undefined) assert.deepEqual(res.json, await resolve(c.json, ctx));
  if (c.text !== undefined) assert.equal(res.text, c.text);
  await c.check?.(res, ctx);
  return res;
}
