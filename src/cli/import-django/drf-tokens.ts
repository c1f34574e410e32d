/**
 * `gatehouse import-drf-tokens`: DRF authtoken keys from `key,user` rows, all or nothing.
 * Every row is checked first (the user exists, the key is not another user's), in the
 * same transaction that then inserts them all; one bad row imports nothing.
 */
import type { Settings } from '../../core/settings.js';
import { keyDigest, keyPrefix } from '../../tokens/keys.js';
import { openTarget } from './target.js';

export interface DrfTokenRow {
  line: number;
  key: string;
  user: string;
}

/** Some rows cannot be imported: one message per row. */
export class DrfTokenRowsRefused extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('; '));
  }
}

/** Expiry of a token created at `now`, as `OpaqueTokenService.issue` sets it: the sooner of ttl and maxLifetime. */
function initialExpiry(settings: Settings, now: number): number | null {
  const candidates = [settings.tokens.ttl, settings.tokens.maxLifetime].filter((v): v is number => v !== null);
  return candidates.length ? now + Math.min(...candidates) : null;
}

/** Import the rows in one transaction; resolves to how many were imported and how many were already there. */
export async function importDrfTokenRows(rows: readonly DrfTokenRow[], settings: Settings): Promise<{ imported: number; present: number }> {
  const target = await openTarget(settings.database);
  try {
    return await target.transaction(async (sql) => {
      const problems: string[] = [];
      const toInsert = new Map<string, number>();
      let present = 0;
      for (const row of rows) {
        const [user] = await sql.all<{ id: number }>('SELECT id FROM gatehouse_user WHERE username = ?', [row.user]);
        if (!user) {
          problems.push(`line ${row.line}: user "${row.user}" does not exist`);
          continue;
        }
        const [existing] = await sql.all<{ user_id: number }>('SELECT user_id FROM gatehouse_token WHERE digest = ?', [keyDigest(row.key)]);
        const owner = existing ? Number(existing.user_id) : toInsert.get(row.key);
        if (owner === undefined) toInsert.set(row.key, Number(user.id));
        else if (owner === Number(user.id)) present++;
        else problems.push(`line ${row.line}: this key is already another user's token`);
      }
      if (problems.length > 0) throw new DrfTokenRowsRefused(problems);
      const now = Date.now();
      for (const [key, userId] of toInsert) {
        await sql.run(
          'INSERT INTO gatehouse_token (user_id, prefix, digest, created_at, expires_at, last_used_at, label) VALUES (?, ?, ?, ?, ?, NULL, ?)',
          [userId, keyPrefix(key), keyDigest(key), now, initialExpiry(settings, now), 'imported from DRF'],
        );
      }
      return { imported: toInsert.size, present };
    });
  } finally {
    await target.close();
  }
}
