/**
 * `TokenAuthentication`: `Authorization: Token <key>`, parsed exactly as DRF 3.14 does.
 */
import type { Authenticator } from '../core/authenticator.js';
import { AuthenticationFailed } from '../core/errors.js';
import { asciiLower, sameScheme, decodeHeaderUtf8, firstWordLength, splitWhitespace, type RequestView } from '../core/request.js';
import type { Principal } from '../core/user.js';
import { then } from '../core/maybe.js';
import type { OpaqueTokenService, TokenPrincipal } from './service.js';
import type { TokenRecord } from '../stores/types.js';

export const NO_CREDENTIALS = 'Invalid token header. No credentials provided.';
export const HAS_SPACES = 'Invalid token header. Token string should not contain spaces.';
export const INVALID_CHARACTERS = 'Invalid token header. Token string should not contain invalid characters.';

/**
 * Reads `Authorization: <keyword> <key>` (keyword compared case-insensitively, parts
 * split on any ASCII whitespace as Python's `bytes.split()`):
 * - no header, or another scheme → null (not ours, try the next authenticator);
 * - keyword alone → 401 `Invalid token header. No credentials provided.`;
 * - three or more parts → 401 `... should not contain spaces.`;
 * - key bytes not UTF-8 → 401 `... should not contain invalid characters.`;
 * - unknown or expired key → 401 `Invalid token.`; inactive user → `User inactive or deleted.`
 * Challenge: `WWW-Authenticate: <keyword>`.
 */
const toPrincipal = ({ user, token }: TokenPrincipal): Principal<TokenRecord> => ({ user, auth: token });

export class TokenAuthentication implements Authenticator {
  readonly name = 'TokenAuthentication';
  private readonly keywordLower: string;

  constructor(private readonly service: OpaqueTokenService, private readonly keyword = 'Token') {
    this.keywordLower = asciiLower(keyword);
  }

  authenticate(req: RequestView): Principal<TokenRecord> | null | Promise<Principal<TokenRecord>> {
    const header = req.headers.authorization;
    // A first word of another length is another scheme (`sameScheme` compares lengths first): not split.
    if (!header || firstWordLength(header) !== this.keywordLower.length) return null;
    const parts = splitWhitespace(header);
    if (parts.length === 0 || !sameScheme(parts[0] as string, this.keywordLower)) return null;
    if (parts.length === 1) throw new AuthenticationFailed(NO_CREDENTIALS);
    if (parts.length > 2) throw new AuthenticationFailed(HAS_SPACES);
    const key = decodeHeaderUtf8(parts[1] as string);
    if (key === null) throw new AuthenticationFailed(INVALID_CHARACTERS);
    const result = this.service.authenticateKey(key);
    return then(result, toPrincipal);
  }

  challenge(): string {
    return this.keyword;
  }
}
