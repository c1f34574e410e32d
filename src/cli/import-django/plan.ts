/**
 * The plan of `import-django`: each Django record compared with the Gatehouse database
 * (inside the import's transaction), then written.
 *
 * Users are matched by username AND id (simplejwt tokens name users by id):
 * - same username and same id → already present. When the password hash, e-mail, names,
 *   flags or date joined differ, Gatehouse's row is kept and the user is listed as
 *   changed: after a first import, a login rehashes the password and users change
 *   passwords, so a later run must neither undo that nor stop on it (`last_login` is
 *   not compared);
 * - the username with another id, or the id held by another username, is a conflict. Conflicts refuse the whole import unless
 *   `skipConflicts`: then those users, and their tokens and JWT records, are left out.
 * Tokens are matched by digest: present when it is the same user's; a digest held by
 * another user is a conflict. The tokens of a changed user are never added: a password
 * change in Gatehouse revoked them, and a later run must not bring them back. Outstanding JWTs are matched by `jti`: a blacklisting not
 * yet known is added; nothing else is ever changed.
 */
import type { DjangoData, DjangoOutstanding, DjangoToken, DjangoUser } from './django.js';
import type { Sql } from './target.js';
import { emailKey } from '../../stores/email-key.js';
import { planApiKeys, writeApiKeys, type ApiKeyPlan, type WrittenApiKey } from './apikeys.js';

export interface Plan {
  users: { add: DjangoUser[]; present: number; changed: string[]; skipped: DjangoUser[] };
  tokens: { add: DjangoToken[]; present: number; skipped: number; ofChangedUsers: number };
  outstanding: { add: DjangoOutstanding[]; blacklist: DjangoOutstanding[]; present: number; skipped: number };
  apiKeys: ApiKeyPlan;
  conflicts: string[];
}

interface GatehouseUserRow {
  id: number;
  username: string;
  password: string;
  email: string;
  email_verified: number | boolean;
  first_name: string;
  last_name: string;
  is_active: number | boolean;
  is_staff: number | boolean;
  is_superuser: number | boolean;
  date_joined: number;
}

const USER_SELECT = 'SELECT id, username, password, email, email_verified, first_name, last_name, is_active, is_staff, is_superuser, date_joined FROM gatehouse_user';

function sameUser(g: GatehouseUserRow, d: DjangoUser): boolean {
  return (
    g.password === d.password &&
    g.email === d.email &&
    Boolean(g.email_verified) === d.emailVerified &&
    g.first_name === d.firstName &&
    g.last_name === d.lastName &&
    Boolean(g.is_active) === d.isActive &&
    Boolean(g.is_staff) === d.isStaff &&
    Boolean(g.is_superuser) === d.isSuperuser &&
    Number(g.date_joined) === d.dateJoined
  );
}

async function planUser(sql: Sql, d: DjangoUser): Promise<'add' | 'present' | 'changed' | string> {
  const [byName] = await sql.all<GatehouseUserRow>(`${USER_SELECT} WHERE username = ?`, [d.username]);
  if (byName) {
    if (Number(byName.id) !== d.id) return `user "${d.username}" already exists in Gatehouse with id ${byName.id}, not Django's id ${d.id}`;
    return sameUser(byName, d) ? 'present' : 'changed';
  }
  const [byId] = await sql.all<GatehouseUserRow>(`${USER_SELECT} WHERE id = ?`, [d.id]);
  if (byId) return `Django user "${d.username}" has id ${d.id}, which Gatehouse's user "${byId.username}" holds`;
  return 'add';
}

/** Compare everything with the database; `onRow` is called after each record (progress). */
export async function makePlan(sql: Sql, data: DjangoData, onRow: () => void = () => {}): Promise<Plan> {
  const plan: Plan = {
    users: { add: [], present: 0, changed: [], skipped: [] },
    tokens: { add: [], present: 0, skipped: 0, ofChangedUsers: 0 },
    outstanding: { add: [], blacklist: [], present: 0, skipped: 0 },
    apiKeys: { add: [], present: 0 },
    conflicts: [],
  };
  const excluded = new Set<number>();
  const changed = new Set<number>();
  for (const d of data.users) {
    const verdict = await planUser(sql, d);
    if (verdict === 'add') plan.users.add.push(d);
    else if (verdict === 'present') plan.users.present++;
    else if (verdict === 'changed') {
      plan.users.present++;
      plan.users.changed.push(d.username);
      changed.add(d.id);
    }
    else {
      plan.conflicts.push(verdict);
      plan.users.skipped.push(d);
      excluded.add(d.id);
    }
    onRow();
  }
  for (const t of data.tokens) {
    if (excluded.has(t.userId)) plan.tokens.skipped++;
    else {
      const [row] = await sql.all<{ user_id: number }>('SELECT user_id FROM gatehouse_token WHERE digest = ?', [t.digest]);
      if (!row && changed.has(t.userId)) plan.tokens.ofChangedUsers++;
      else if (!row) plan.tokens.add.push(t);
      else if (Number(row.user_id) === t.userId) plan.tokens.present++;
      else plan.conflicts.push(`${t.kind === 'drf' ? 'authtoken_token' : 'knox_authtoken'} ${t.ref}: Gatehouse already holds this token for another user (id ${row.user_id})`);
    }
    onRow();
  }
  for (const o of data.outstanding) {
    if (o.userId !== null && excluded.has(o.userId)) plan.outstanding.skipped++;
    else {
      const [row] = await sql.all<{ blacklisted_at: number | null }>('SELECT blacklisted_at FROM gatehouse_jwt_outstanding WHERE jti = ?', [o.jti]);
      if (!row) plan.outstanding.add.push(o);
      else if (o.blacklistedAt !== null && row.blacklisted_at === null) plan.outstanding.blacklist.push(o);
      else plan.outstanding.present++;
    }
    onRow();
  }
  plan.apiKeys = await planApiKeys(sql, data.apiKeys, plan.conflicts);
  return plan;
}

/** How many rows the plan writes. */
export const planSize = (p: Plan): number => p.users.add.length + p.tokens.add.length + p.outstanding.add.length + p.outstanding.blacklist.length + p.apiKeys.add.length;

const LABEL = { drf: 'imported from DRF', knox: 'imported from knox' } as const;

/** Write the plan (inside the caller's transaction); `onRow` after each row written. */
export async function writePlan(sql: Sql, plan: Plan, dialect: 'sqlite' | 'postgres', onRow: () => void = () => {}): Promise<WrittenApiKey[]> {
  for (const u of plan.users.add) {
    await sql.run(
      `INSERT INTO gatehouse_user (id, username, email, email_key, email_verified, first_name, last_name, is_active, is_staff, is_superuser, last_login, date_joined, password)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [u.id, u.username, u.email, emailKey(u.email), u.emailVerified, u.firstName, u.lastName, u.isActive, u.isStaff, u.isSuperuser, u.lastLogin, u.dateJoined, u.password],
    );
    onRow();
  }
  if (dialect === 'postgres' && plan.users.add.length > 0) {
    // Explicit ids do not move the identity: later `createuser`s must not collide with them.
    await sql.all(`SELECT setval(pg_get_serial_sequence('gatehouse_user', 'id'), (SELECT MAX(id) FROM gatehouse_user))`);
  }
  for (const t of plan.tokens.add) {
    await sql.run(
      'INSERT INTO gatehouse_token (user_id, prefix, digest, created_at, expires_at, last_used_at, label) VALUES (?, ?, ?, ?, ?, NULL, ?)',
      [t.userId, t.prefix, t.digest, t.createdAt, t.expiresAt, LABEL[t.kind]],
    );
    onRow();
  }
  for (const o of plan.outstanding.add) {
    await sql.run(
      `INSERT INTO gatehouse_jwt_outstanding (jti, user_id, token_type, family_id, created_at, expires_at, blacklisted_at)
       VALUES (?, ?, ?, NULL, ?, ?, ?)`,
      [o.jti, o.userId, o.tokenType, o.createdAt, o.expiresAt, o.blacklistedAt],
    );
    onRow();
  }
  for (const o of plan.outstanding.blacklist) {
    await sql.run('UPDATE gatehouse_jwt_outstanding SET blacklisted_at = ? WHERE jti = ? AND blacklisted_at IS NULL', [o.blacklistedAt, o.jti]);
    onRow();
  }
  return writeApiKeys(sql, plan.apiKeys, Date.now(), onRow);
}
