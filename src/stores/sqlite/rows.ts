/** Row ↔ object mapping for the SQLite store: the shared SQL mapping (flags arrive as INTEGER 0/1). */
import type { UserRow as SqlUserRow } from '../sql-rows.js';

export { TOKEN_COLUMNS, USER_COLUMNS, toToken, toUser, type TokenRow } from '../sql-rows.js';
export type UserRow = SqlUserRow<number>;

/** Reads a user's credential generation (undefined: no such user), for `requireGeneration` inside a transaction. */
export const GENERATION_SQL = 'SELECT credential_generation FROM gatehouse_user WHERE id = ?';
