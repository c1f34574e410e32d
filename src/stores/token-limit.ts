/**
 * The token limit (`tokens.tokenLimitPerUser`, knox's `TOKEN_LIMIT_PER_USER`): the one
 * decision every store applies inside its token insert, once it has counted the user's
 * unexpired tokens (under the same lock or transaction as the insert).
 */
import type { TokenLimit } from './types.js';

/**
 * How many of the user's oldest unexpired tokens to delete before inserting one more
 * (0: none), or `'refuse'` (the store then throws `TokenLimitReached`, nothing written).
 */
export function tokensToEvict(active: number, limit: TokenLimit | undefined): number | 'refuse' {
  if (!limit || active < limit.max) return 0;
  return limit.action === 'refuse' ? 'refuse' : active - limit.max + 1;
}
