/**
 * A minimal browser for cookie-mode tests: a cookie jar (Max-Age=0 deletes), its own
 * Origin, and the SPA's CSRF header (`X-CSRFToken` from the `csrftoken` cookie).
 */
import assert from 'node:assert/strict';
import type { RequestOptions, TestResponse, TestServer } from './helpers.js';

const setCookies = (res: TestResponse): string[] => (res.headers['set-cookie'] as string[] | undefined) ?? [];

export interface BrowserRequest extends RequestOptions {
  /** Send the CSRF header from the jar's CSRF cookie (default true). */
  csrf?: boolean;
  /** `Origin` to send: default the server's own; null sends none. */
  origin?: string | null;
}

/** A minimal browser: a cookie jar (Max-Age=0 deletes), its own Origin, and the SPA's CSRF header. */
export class Browser {
  readonly jar = new Map<string, string>();
  constructor(readonly s: TestServer, readonly csrfName = 'csrftoken', readonly headerName = 'X-CSRFToken') {}

  store(res: TestResponse): void {
    for (const line of setCookies(res)) {
      const [pair] = line.split(';');
      const name = pair!.slice(0, pair!.indexOf('='));
      let value = pair!.slice(pair!.indexOf('=') + 1);
      if (value === '""') value = '';
      if (/; Max-Age=0(;|$)/.test(line)) this.jar.delete(name);
      else this.jar.set(name, value);
    }
  }

  cookieHeader(): string {
    return [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  async send(method: string, path: string, o: BrowserRequest = {}): Promise<TestResponse> {
    const headers: Record<string, string> = {};
    if (this.jar.size > 0) headers.Cookie = this.cookieHeader();
    const origin = o.origin === undefined ? this.s.url : o.origin;
    if (origin !== null) headers.Origin = origin;
    const token = this.jar.get(this.csrfName);
    if (o.csrf !== false && token !== undefined) headers[this.headerName] = token;
    const res = await this.s.send(method, path, { ...(o.body === undefined ? {} : { body: o.body }), headers: { ...headers, ...o.headers } });
    this.store(res);
    return res;
  }

  async login(username = 'alice', password = `${username}-password-1`): Promise<TestResponse> {
    const csrf = await this.send('GET', '/api/token/csrf/');
    assert.equal(csrf.status, 200, csrf.text);
    const res = await this.send('POST', '/api/token/', { body: { username, password } });
    assert.equal(res.status, 200, res.text);
    return res;
  }

  get access(): string {
    return this.jar.get('gatehouse-access')!;
  }
  get refresh(): string {
    return this.jar.get('gatehouse-refresh')!;
  }
}

