/** Row ↔ object mapping for the SQLite store: the shared SQL mapping (flags arrive as INTEGER 0/1). */
import type { UserRow as SqlUserRow } from '../sql-rows.js';

export { TOKEN_COLUMNS, USER_COLUMNS, toToken, toUser, type TokenRow } from '../sql-rows.js';
export type UserRow = SqlUserRow<number>;
