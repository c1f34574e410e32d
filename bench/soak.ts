/**
 * Scale-out soak (issue #5): two `gatehouse serve` processes on one PostgreSQL schema,
 * driven for SOAK_SECONDS (default 120; bounded) by SOAK_CLIENTS virtual clients (default
 * 8, one user each) doing logins (knox, JWT), authenticated requests (opaque and JWT)
 * on random instances, refreshes with rotation, and revocations — logout, logout-all,
 * blacklist, refresh-token reuse (family revocation) and password changes (from a third,
 * in-process instance). After each revocation the client probes the revoked credential
 * on the other instance until it is refused (the lag), and probes revoked credentials at
 * random later on.
 *
 * Afterwards it checks that no credential was accepted in a request sent later than
 * SOAK_GRACE_MS (default 100) after its revocation was answered, that no request got a
 * 5xx, and the database invariants (rotations complete, no live family with two current
 * refresh tokens, tokens per user within the limit, no refresh token outside a family,
 * the client's view of what is live and revoked agrees with the rows). Prints a summary
 * and exits 1 on any violation.
 *
 *     npm run build && SOAK_SECONDS=120 node --import tsx bench/soak.ts
 *
 * PostgreSQL: GATEHOUSE_TEST_POSTGRES (default postgres://postgres@127.0.0.1:5432/test).
 * SOAK_REDIS=redis://…: the servers and the admin instance also on Redis (throttle counters, revocation channel).
 */
import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { SettingsInput } from '../src/core/settings.js';
import { keyDigest } from '../src/tokens/keys.js';
import { adminInstance, jwtPayload, spawnServer, summarize, tempDir, withSchema, type ServerProcess } from '../test/scaleout/harness.js';

const SECONDS = Math.min(3600, Math.max(1, Number(process.env.SOAK_SECONDS ?? 120)));
const CLIENTS = Math.min(64, Math.max(1, Number(process.env.SOAK_CLIENTS ?? 8)));
const GRACE_MS = Number(process.env.SOAK_GRACE_MS ?? 100);
const POSTGRES = process.env.GATEHOUSE_TEST_POSTGRES ?? 'postgres://postgres@127.0.0.1:5432/test';
const REDIS = process.env.SOAK_REDIS;
const TOKEN_LIMIT = 5;

const CONFIG: SettingsInput = {
  passwords: { argon2TimeCost: 1 },
  tokens: { tokenLimitPerUser: TOKEN_LIMIT },
  jwt: { rotateRefreshTokens: true, checkRevokeToken: true },
  throttle: { loginEnabled: false },
  // Redis for the servers and the admin instance alike: throttle counters and the revocation channel.
  ...(REDIS ? { redis: { url: REDIS, keyPrefix: `gh_soak_${randomBytes(4).toString('hex')}:` } } : {}),
};

interface Res {
  status: number;
  json: unknown;
}

const agent = new Agent({ keepAlive: true, maxSockets: 64 });
let requests = 0;
const byStatus = new Map<number, number>();

function call(base: string, method: string, path: string, headers: Record<string, string> = {}, body?: unknown): Promise<Res> {
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  const u = new URL(path, base);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: u.hostname,
        port: u.port,
        path: u.pathname,
        method,
        agent,
        headers: { ...headers, ...(payload ? { 'Content-Type': 'application/json', 'Content-Length': String(payload.length) } : {}) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          requests++;
          const status = res.statusCode ?? 0;
          byStatus.set(status, (byStatus.get(status) ?? 0) + 1);
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = text ? JSON.parse(text) : undefined;
          } catch {
            json = undefined;
          }
          resolve({ status, json });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** A credential the clients hold, and when (if) its revocation was answered. */
interface Credential {
  id: number;
  kind: 'opaque' | 'access' | 'refresh';
  value: string;
  user: number;
  family?: Family;
  revokedAt: number | null;
  /** Refused through its stale revocation claim (password change with `checkRevokeToken`): no row changes until it is used. */
  byClaim?: boolean;
  rotatedAt?: number;
}
interface Family {
  tokens: Credential[];
  revoked: boolean;
}
interface Use {
  cred: Credential;
  sentAt: number;
  status: number;
  instance: string;
}

const credentials: Credential[] = [];
const uses: Use[] = [];
const lags: number[] = [];
const violations: string[] = [];
let revocations = 0;
let credIds = 0;

const pick = <T>(xs: readonly T[]): T => xs[Math.floor(Math.random() * xs.length)]!;

async function main(): Promise<number> {
  const admin0 = new pg.Pool({ connectionString: POSTGRES, max: 2 });
  try {
    await admin0.query('SELECT 1');
  } catch (e) {
    console.error(`soak: PostgreSQL not reachable at ${POSTGRES}: ${(e as Error).message}`);
    await admin0.end();
    return 2;
  }
  const schema = `gh_soak_${randomBytes(5).toString('hex')}`;
  const database = withSchema(POSTGRES, schema);
  const dir = tempDir('soak');
  const admin = await adminInstance(database, CONFIG);
  const servers: ServerProcess[] = [];
  try {
    servers.push(...(await Promise.all([0, 1].map(() => spawnServer({ database, config: CONFIG, dir: dir.path })))));
    const urls = servers.map((s) => s.url);
    const users = await Promise.all(
      Array.from({ length: CLIENTS }, async (_, i) => {
        const username = `soak${i}`;
        const user = await admin.users.create({ username, password: `password-${i}-0` });
        return { id: user.id, username, password: `password-${i}-0`, changes: 0 };
      }),
    );
    console.log(`soak: ${SECONDS} s, ${CLIENTS} clients, 2 instances (${urls.join(', ')}), schema ${schema}${REDIS ? `, Redis ${REDIS}` : ''}`);
    const started = performance.now();
    const deadline = started + SECONDS * 1000;

    const use = async (cred: Credential, url: string): Promise<number> => {
      const sentAt = performance.now();
      let r: Res;
      if (cred.kind === 'refresh') r = await call(url, 'POST', '/api/token/refresh/', {}, { refresh: cred.value });
      else r = await call(url, 'GET', '/api/me/', { Authorization: `${cred.kind === 'opaque' ? 'Token' : 'Bearer'} ${cred.value}` });
      uses.push({ cred, sentAt, status: r.status, instance: url });
      return r.status;
    };
    const newCred = (kind: Credential['kind'], value: string, user: number, family?: Family): Credential => {
      const c: Credential = { id: ++credIds, kind, value, user, revokedAt: null, ...(family ? { family } : {}) };
      credentials.push(c);
      family?.tokens.push(c);
      return c;
    };
    /** After a revocation answered at `at` on `from`: probe on the other instance until refused. */
    const probeUntilRefused = async (cred: Credential, from: string, at: number) => {
      const other = urls.find((u) => u !== from) ?? from;
      for (let i = 0; i < 500; i++) {
        const status = cred.kind === 'refresh' ? await probeRefresh(cred, other) : await use(cred, other);
        if (status === 401) {
          lags.push(performance.now() - at);
          return;
        }
      }
      violations.push(`credential ${cred.id} (${cred.kind}) still accepted after 500 probes`);
    };
    // A revoked refresh token accepted would rotate it: record, never reuse its result.
    const probeRefresh = (cred: Credential, url: string) => use(cred, url);

    const client = async (u: (typeof users)[number]) => {
      const mine = () => credentials.filter((c) => c.user === u.id);
      const live = (kind: Credential['kind']) => mine().filter((c) => c.kind === kind && c.revokedAt === null && c.rotatedAt === undefined);
      const revokeAllOfUser = (at: number, byClaim = false) => {
        for (const c of mine()) {
          if (c.revokedAt !== null) continue;
          c.revokedAt = at;
          if (byClaim) c.byClaim = true;
        }
        for (const c of mine()) if (c.family) c.family.revoked = true;
      };
      while (performance.now() < deadline) {
        const url = pick(urls);
        const dice = Math.random() * 100;
        if (dice < 8) {
          const r = await call(url, 'POST', '/api/auth/login/', {}, { username: u.username, password: u.password });
          if (r.status === 200) newCred('opaque', (r.json as { token: string }).token, u.id);
          else if (r.status !== 403) violations.push(`knox login: ${r.status}`);
        } else if (dice < 14) {
          const r = await call(url, 'POST', '/api/token/', {}, { username: u.username, password: u.password });
          if (r.status !== 200) {
            violations.push(`JWT login: ${r.status}`);
            continue;
          }
          const pair = r.json as { access: string; refresh: string };
          newCred('access', pair.access, u.id);
          newCred('refresh', pair.refresh, u.id, { tokens: [], revoked: false });
        } else if (dice < 56) {
          const pool = [...live('opaque'), ...live('access')];
          if (pool.length) {
            const c = pick(pool);
            const status = await use(c, url);
            if (status !== 200) violations.push(`a live ${c.kind} credential was refused: ${status}`);
          }
        } else if (dice < 68) {
          const pool = live('refresh');
          if (pool.length) {
            const c = pick(pool);
            const sentAt = performance.now();
            const r = await call(url, 'POST', '/api/token/refresh/', {}, { refresh: c.value });
            uses.push({ cred: c, sentAt, status: r.status, instance: url });
            if (r.status === 200) {
              const next = r.json as { access: string; refresh: string };
              c.rotatedAt = performance.now();
              newCred('access', next.access, u.id);
              newCred('refresh', next.refresh, u.id, c.family);
            } else violations.push(`a live refresh token was refused: ${r.status}`);
          }
        } else if (dice < 86) {
          // A revocation.
          const what = pick(['logout', 'logout', 'logoutall', 'blacklist', 'blacklist', 'reuse', 'password'] as const);
          if (what === 'logout') {
            const pool = live('opaque');
            if (!pool.length) continue;
            const c = pick(pool);
            const r = await call(url, 'POST', '/api/auth/logout/', { Authorization: `Token ${c.value}` });
            if (r.status !== 204) violations.push(`logout: ${r.status}`);
            c.revokedAt = performance.now();
            revocations++;
            await probeUntilRefused(c, url, c.revokedAt);
          } else if (what === 'logoutall') {
            const pool = [...live('opaque'), ...live('access')];
            if (!pool.length) continue;
            const c = pick(pool);
            const r = await call(url, 'POST', '/api/auth/logoutall/', { Authorization: `${c.kind === 'opaque' ? 'Token' : 'Bearer'} ${c.value}` });
            if (r.status !== 204) violations.push(`logout-all: ${r.status}`);
            const at = performance.now();
            revokeAllOfUser(at);
            revocations++;
            await probeUntilRefused(c, url, at);
          } else if (what === 'blacklist') {
            const pool = live('refresh');
            if (!pool.length) continue;
            const c = pick(pool);
            const r = await call(url, 'POST', '/api/token/blacklist/', {}, { refresh: c.value });
            if (r.status !== 200) violations.push(`blacklist: ${r.status}`);
            const at = performance.now();
            for (const t of c.family!.tokens) if (t.revokedAt === null) t.revokedAt = at;
            c.family!.revoked = true;
            revocations++;
            await probeUntilRefused(c, url, at);
          } else if (what === 'reuse') {
            const rotated = mine().filter((c) => c.kind === 'refresh' && c.rotatedAt !== undefined && c.family && !c.family.revoked);
            if (!rotated.length) continue;
            const c = pick(rotated);
            const current = c.family!.tokens.find((t) => t.rotatedAt === undefined && t.revokedAt === null);
            const sentAt = performance.now();
            const r = await call(url, 'POST', '/api/token/refresh/', {}, { refresh: c.value });
            uses.push({ cred: c, sentAt, status: r.status, instance: url });
            if (r.status !== 401) violations.push(`reuse of a rotated refresh token: ${r.status}`);
            const at = performance.now();
            for (const t of c.family!.tokens) if (t.revokedAt === null) t.revokedAt = at;
            c.family!.revoked = true;
            revocations++;
            if (current) await probeUntilRefused(current, url, at);
          } else {
            const user = (await admin.users.getByUsername(u.username))!;
            u.password = `password-${u.username}-${++u.changes}`;
            await admin.users.setPassword(user, u.password);
            const at = performance.now();
            revokeAllOfUser(at, true);
            revocations++;
            const pool = mine().filter((c) => c.kind !== 'refresh' && c.rotatedAt === undefined);
            if (pool.length) await probeUntilRefused(pick(pool.slice(-6)), urls[0]!, at);
          }
        } else {
          // Probe an old revoked credential (never a merely rotated one: that is a reuse).
          const pool = mine().filter((c) => c.revokedAt !== null && (c.kind !== 'refresh' || c.family?.revoked));
          if (pool.length) await use(pick(pool), url);
        }
      }
    };
    await Promise.all(users.map(client));
    const elapsed = (performance.now() - started) / 1000;

    // 1. No credential accepted in a request sent after its revocation + grace.
    let acceptedAfter = 0;
    let maxAcceptedLag = 0;
    for (const x of uses) {
      if (x.status !== 200 || x.cred.revokedAt === null || x.sentAt <= x.cred.revokedAt) continue;
      acceptedAfter++;
      const late = x.sentAt - x.cred.revokedAt;
      maxAcceptedLag = Math.max(maxAcceptedLag, late);
      if (late > GRACE_MS) violations.push(`${x.cred.kind} credential ${x.cred.id} accepted on ${x.instance} ${late.toFixed(1)} ms after its revocation`);
    }
    for (const [status, n] of byStatus) if (status >= 500) violations.push(`${n} responses with status ${status}`);

    // 2. Database invariants.
    const q = <R extends Record<string, unknown>>(sql: string, values: unknown[] = []) =>
      admin0.query<R>(sql.replaceAll('$s', `"${schema}"`), values).then((r) => r.rows);
    const dangling = await q(`SELECT jti FROM $s.gatehouse_jwt_outstanding o WHERE replaced_by IS NOT NULL AND NOT EXISTS (SELECT 1 FROM $s.gatehouse_jwt_outstanding n WHERE n.jti = o.replaced_by)`);
    if (dangling.length) violations.push(`${dangling.length} rotations point at a missing token`);
    const forked = await q(
      `SELECT family_id FROM $s.gatehouse_jwt_outstanding o JOIN $s.gatehouse_jwt_family f ON f.id = o.family_id
        WHERE f.revoked_at IS NULL AND o.replaced_by IS NULL AND o.blacklisted_at IS NULL GROUP BY family_id HAVING count(*) > 1`,
    );
    if (forked.length) violations.push(`${forked.length} live families with two current refresh tokens`);
    const familyless = await q(`SELECT jti FROM $s.gatehouse_jwt_outstanding WHERE token_type = 'refresh' AND family_id IS NULL`);
    if (familyless.length) violations.push(`${familyless.length} refresh tokens outside any family`);
    const overLimit = await q(`SELECT user_id, count(*)::int AS n FROM $s.gatehouse_token GROUP BY user_id HAVING count(*) > $1`, [TOKEN_LIMIT]);
    if (overLimit.length) violations.push(`${overLimit.length} users over the token limit`);
    const crossUser = await q(
      `SELECT o.jti FROM $s.gatehouse_jwt_outstanding o JOIN $s.gatehouse_jwt_family f ON f.id = o.family_id WHERE o.user_id IS DISTINCT FROM f.user_id`,
    );
    if (crossUser.length) violations.push(`${crossUser.length} tokens in another user's family`);
    const unblacklisted = await q<{ n: number }>(
      `SELECT count(*)::int AS n FROM $s.gatehouse_jwt_outstanding o JOIN $s.gatehouse_jwt_family f ON f.id = o.family_id WHERE f.revoked_at IS NOT NULL AND o.blacklisted_at IS NULL`,
    );
    // A family revocation blacklists every token of the family, also one a racing rotation created.
    if ((unblacklisted[0]?.n ?? 0) > 0) violations.push(`${unblacklisted[0]?.n} tokens of revoked families not blacklisted`);
    // The client's view agrees with the rows.
    const tokenRows = new Set((await q<{ digest: string }>('SELECT digest FROM $s.gatehouse_token')).map((r) => r.digest));
    const outstanding = new Map(
      (await q<{ jti: string; blacklisted_at: number | null; replaced_by: string | null; revoked_at: number | null }>(
        'SELECT o.jti, o.blacklisted_at, o.replaced_by, f.revoked_at FROM $s.gatehouse_jwt_outstanding o LEFT JOIN $s.gatehouse_jwt_family f ON f.id = o.family_id',
      )).map((r) => [r.jti, r]),
    );
    let disagreements = 0;
    for (const c of credentials) {
      if (c.kind === 'opaque') {
        // A live key may have been evicted by the limit only on /api-token-auth/ (not used here): it must exist.
        if ((c.revokedAt === null) !== tokenRows.has(keyDigest(c.value))) disagreements++;
      } else if (c.kind === 'refresh') {
        const row = outstanding.get(jwtPayload(c.value).jti as string);
        if (!row) disagreements++;
        else if (c.revokedAt !== null && !c.byClaim && row.blacklisted_at === null && row.revoked_at === null) disagreements++;
        else if (c.revokedAt === null && c.rotatedAt === undefined && (row.blacklisted_at !== null || row.revoked_at !== null || row.replaced_by !== null)) disagreements++;
      }
    }
    if (disagreements) violations.push(`${disagreements} credentials whose rows disagree with what the clients were told`);

    const sorted = [...lags].sort((a, b) => a - b);
    console.log(`requests: ${requests} in ${elapsed.toFixed(1)} s = ${(requests / elapsed).toFixed(0)} req/s; by status: ${[...byStatus].sort().map(([s, n]) => `${s}×${n}`).join(', ')}`);
    console.log(`credentials issued: ${credentials.length}; revocations: ${revocations}; revoked-credential uses checked: ${uses.filter((x) => x.cred.revokedAt !== null && x.sentAt > x.cred.revokedAt).length}`);
    console.log(`revocation → refused on the other instance: ${sorted.length ? summarize(sorted) : 'none measured'}`);
    console.log(`accepted after the revocation was answered: ${acceptedAfter} (latest ${maxAcceptedLag.toFixed(2)} ms after); bound (SOAK_GRACE_MS): ${GRACE_MS} ms`);
    console.log(`rows of revoked families not themselves blacklisted: ${unblacklisted[0]?.n ?? 0}`);
    if (violations.length) {
      console.log(`VIOLATIONS (${violations.length}):\n${violations.slice(0, 20).map((v) => `  - ${v}`).join('\n')}`);
      return 1;
    }
    console.log('OK: no revoked credential accepted beyond the bound, no 5xx, database invariants hold');
    return 0;
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
    await admin.close();
    await admin0.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => {});
    await admin0.end();
    agent.destroy();
    dir.cleanup();
  }
}

process.exitCode = await main();
