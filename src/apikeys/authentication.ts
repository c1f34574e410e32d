/**
 * `ApiKeyAuthentication`: `Authorization: Api-Key <key>` and `<apiKeys.header>: <key>`
 * (default `X-Api-Key`; null turns the header off). docs/security.md #154.
 *
 * - `Authorization` is ours only when it starts with exactly `Api-Key` and one space
 *   (case-sensitive, as the scheme djangorestframework-api-key documents). The rest is the
 *   key; no further splitting — unlike drf-api-key, `Foo Api-Key <key>` is another scheme
 *   (not ours: null), and `Api-Key  <key>` or `Api-Key <key> x` is a malformed key (401).
 * - The custom header's whole value is the key.
 * - When both are present, `Authorization` is used.
 * - A present but bad key → 401 `{"detail":"Invalid API key."}`; no key → null.
 * `auth` is the key record (its `scopes` are what `HasScope` checks). Challenge: `Api-Key`.
 */
import type { Authenticator } from '../core/authenticator.js';
import { then } from '../core/maybe.js';
import type { RequestView } from '../core/request.js';
import type { Principal } from '../core/user.js';
import type { ApiKeyRecord } from '../stores/types.js';
import type { ApiKeyPrincipal, ApiKeyService } from './service.js';

export const API_KEY_SCHEME = 'Api-Key';
const SCHEME_PREFIX = `${API_KEY_SCHEME} `;

const toPrincipal = ({ user, key }: ApiKeyPrincipal): Principal<ApiKeyRecord> => ({ user, auth: key });

/** The presented key, or null when the request carries none. */
export function presentedApiKey(req: RequestView, header: string | null): string | null {
  const authorization = req.headers.authorization;
  if (authorization !== undefined && authorization.startsWith(SCHEME_PREFIX)) return authorization.slice(SCHEME_PREFIX.length);
  if (header === null) return null;
  return req.headers[header] ?? null;
}

export class ApiKeyAuthentication implements Authenticator {
  readonly name = 'ApiKeyAuthentication';
  private readonly header: string | null;

  constructor(private readonly service: ApiKeyService, header: string | null = 'X-Api-Key') {
    this.header = header === null ? null : header.toLowerCase();
  }

  authenticate(req: RequestView): Principal<ApiKeyRecord> | null | Promise<Principal<ApiKeyRecord>> {
    const key = presentedApiKey(req, this.header);
    if (key === null) return null;
    return then(this.service.authenticateKey(key), toPrincipal);
  }

  challenge(): string {
    return API_KEY_SCHEME;
  }
}

/** Is `auth` an API key record (as this module's principals carry)? */
export function apiKeyOf(principal: Principal | null): ApiKeyRecord | null {
  const auth: unknown = principal?.auth;
  if (typeof auth !== 'object' || auth === null) return null;
  const a = auth as Partial<ApiKeyRecord>;
  return typeof a.lookupId === 'string' && Array.isArray(a.scopes) && typeof a.digest === 'string' ? (auth as ApiKeyRecord) : null;
}
