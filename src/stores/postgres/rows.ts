/** Row ↔ object mapping for the PostgreSQL store: the shared SQL mapping (BIGINT arrives as number, BOOLEAN as boolean), plus PostgreSQL's input guards. */
import type { UserRow as SqlUserRow } from '../sql-rows.js';

export { TOKEN_COLUMNS, USER_COLUMNS, toToken, toUser, type TokenRow } from '../sql-rows.js';
export type UserRow = SqlUserRow<boolean>;

/** Ids are BIGINT: anything that is not a safe integer names no row (and must not reach the server as a type error). */
export const isId = (id: unknown): id is number => Number.isSafeInteger(id);

/** PostgreSQL TEXT cannot hold NUL: such a string names no row (SQLite would simply find none). */
export const storable = (s: string): boolean => !s.includes('\u0000');
