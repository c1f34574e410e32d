/** Row ↔ object mapping for the PostgreSQL store: the shared SQL mapping (BIGINT arrives as number, BOOLEAN as boolean), plus PostgreSQL's input guards. */
import type { UserRow as SqlUserRow } from '../sql-rows.js';
import type { Tx } from './database.js';

export { TOKEN_COLUMNS, USER_COLUMNS, toToken, toUser, type TokenRow } from '../sql-rows.js';
export type UserRow = SqlUserRow<boolean>;

/** Ids are BIGINT: anything that is not a safe integer names no row (and must not reach the server as a type error). */
export const isId = (id: unknown): id is number => Number.isSafeInteger(id);

/** PostgreSQL TEXT cannot hold NUL: such a string names no row (SQLite would simply find none). */
export const storable = (s: string): boolean => !s.includes('\u0000');

/**
 * A user's credential generation, read inside a transaction under a row lock that the
 * generation's `UPDATE` and the user's `DELETE` wait for (and that waits for them, then
 * reads the committed row): null when there is no such user. `FOR SHARE` lets concurrent
 * logins of one user through together; `FOR NO KEY UPDATE` where a caller needs the row
 * to itself anyway (the token limit).
 */
export async function lockedGeneration(t: Pick<Tx, 'query'>, userId: number | null, lock: 'FOR SHARE' | 'FOR NO KEY UPDATE' = 'FOR SHARE'): Promise<number | null> {
  if (!isId(userId)) return null;
  const { rows } = await t.query<{ g: number }>(`SELECT credential_generation AS g FROM gatehouse_user WHERE id = $1 ${lock}`, [userId]);
  return rows[0]?.g ?? null;
}
