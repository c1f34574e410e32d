/**
 * The API key layer's typed errors. Every refusal of a presented key is one 401 with one
 * message (`Invalid API key.`): malformed, bad checksum, unknown, wrong secret, revoked,
 * expired, inactive owner look the same to the caller (docs/security.md #154).
 */
import { AuthenticationFailed } from '../core/errors.js';

export const INVALID_API_KEY = 'Invalid API key.';

export class InvalidApiKey extends AuthenticationFailed {
  constructor() {
    super(INVALID_API_KEY, undefined, 'invalid_api_key');
  }
}
