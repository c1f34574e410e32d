/**
 * `BasicAuthentication`: `Authorization: Basic base64(user:password)`, parsed as DRF 3.14.
 */
import type { Authenticator } from '../core/authenticator.js';
import { AuthenticationFailed } from '../core/errors.js';
import { sameScheme, splitWhitespace, type RequestView } from '../core/request.js';
import type { Principal } from '../core/user.js';
import type { UserService } from './service.js';

export const BASIC_NO_CREDENTIALS = 'Invalid basic header. No credentials provided.';
export const BASIC_HAS_SPACES = 'Invalid basic header. Credentials string should not contain spaces.';
export const BASIC_BAD_BASE64 = 'Invalid basic header. Credentials not correctly base64 encoded.';
export const BASIC_INVALID = 'Invalid username/password.';
export const BASIC_NEEDS_SECOND_FACTOR = 'A second factor is required: log in at a login endpoint instead of HTTP Basic.';

/**
 * Python's lenient `base64.b64decode` (validate=False): characters outside the
 * alphabet are dropped, then the padding must be right. Returns null where Python
 * raises `binascii.Error`.
 */
export function pythonB64decode(text: string): Buffer | null {
  const clean = text.replace(/[^A-Za-z0-9+/=]/g, '');
  const eq = clean.indexOf('=');
  const data = eq < 0 ? clean : clean.slice(0, eq);
  const padding = eq < 0 ? 0 : clean.length - eq;
  const rem = data.length % 4;
  if (rem === 1 || (rem === 2 && padding < 2) || (rem === 3 && padding < 1)) return null;
  return Buffer.from(data, 'base64');
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

export interface BasicAuthenticationOptions {
  /**
   * Send `WWW-Authenticate: Basic realm="api"` (default). False reproduces DRF's
   * default class list, where `SessionAuthentication` comes first and has no
   * challenge, so failures there are 403.
   */
  challenge?: boolean;
  realm?: string;
  /** The client address for the login throttle (default: the socket peer). */
  clientAddress?: (req: RequestView) => string;
  /**
   * This instance serves a login endpoint that runs the MFA gate itself (knox login): a
   * user with a second factor is let through to it (and gets a ticket there). Default
   * false: such a user is refused (a password alone never authenticates them).
   */
  loginEndpoint?: boolean;
}

/**
 * - other scheme / no header → null;
 * - `Basic` alone → 401 `Invalid basic header. No credentials provided.`;
 * - more than two parts → `... should not contain spaces.`;
 * - bad base64 → `... not correctly base64 encoded.`;
 * - wrong username/password or inactive user → `Invalid username/password.`
 * - a user with a second factor (`UserService.requiresSecondFactor`), unless the instance
 *   serves a login endpoint → `A second factor is required: …` (`code` `mfa_required`).
 * Credentials decode as UTF-8, falling back to latin-1; split at the first `:`
 * (no colon: the whole text is the username and the password is empty, as 3.14).
 */
export class BasicAuthentication implements Authenticator {
  readonly name = 'BasicAuthentication';
  private readonly challengeValue: string | null;
  private readonly clientAddress: (req: RequestView) => string;
  private readonly loginEndpoint: boolean;

  constructor(private readonly users: UserService, options: BasicAuthenticationOptions = {}) {
    this.clientAddress = options.clientAddress ?? ((req) => req.remoteAddress);
    this.loginEndpoint = options.loginEndpoint ?? false;
    this.challengeValue = options.challenge === false ? null : `Basic realm="${options.realm ?? 'api'}"`;
  }

  async authenticate(req: RequestView): Promise<Principal<null> | null> {
    const header = req.headers.authorization;
    if (!header) return null;
    const parts = splitWhitespace(header);
    if (parts.length === 0 || !sameScheme(parts[0] as string, 'basic')) return null;
    if (parts.length === 1) throw new AuthenticationFailed(BASIC_NO_CREDENTIALS);
    if (parts.length > 2) throw new AuthenticationFailed(BASIC_HAS_SPACES);
    const bytes = pythonB64decode(parts[1] as string);
    if (bytes === null) throw new AuthenticationFailed(BASIC_BAD_BASE64);
    let text: string;
    try {
      text = utf8.decode(bytes);
    } catch {
      text = bytes.toString('latin1');
    }
    const colon = text.indexOf(':');
    const username = colon < 0 ? text : text.slice(0, colon);
    const password = colon < 0 ? '' : text.slice(colon + 1);
    const user = await this.users.authenticate(username, password, this.clientAddress(req));
    if (!user) throw new AuthenticationFailed(BASIC_INVALID);
    if (!this.loginEndpoint && (await this.users.requiresSecondFactor(user))) {
      throw new AuthenticationFailed(BASIC_NEEDS_SECOND_FACTOR, { code: 'mfa_required' }, 'mfa_required');
    }
    return { user, auth: null };
  }

  challenge(): string | null {
    return this.challengeValue;
  }
}
