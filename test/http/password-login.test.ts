/**
 * Password login over HTTP with users whose hashes were produced by real Django
 * (every hasher), the upgrade of outdated hashes at login, the pbkdf2 policy for a
 * database shared with Django, and the timing of unknown vs known usernames.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startServer, type TestServer } from '../helpers.js';

interface Vector {
  id: string;
  hasher: string;
  password: string;
  wrong: string;
  encoded: string;
}
const vectors = (JSON.parse(readFileSync(new URL('../passwords/django-vectors.json', import.meta.url), 'utf8')) as { vectors: Vector[] }).vectors;

/**
 * One vector per hasher whose password can travel in JSON and has no 72-byte quirk, with
 * argon2's two variants (argon2id and argon2i, both Django formats) counted apart.
 */
function onePerHasher(): Vector[] {
  const seen = new Map<string, Vector>();
  const kind = (v: Vector) => (v.hasher === 'argon2' ? `argon2/${v.encoded.split('$')[1]}` : v.hasher);
  for (const v of vectors) if (!seen.has(kind(v)) && !v.password.includes('\u0000')) seen.set(kind(v), v);
  return [...seen.values()];
}

let s: TestServer;
before(async () => {
  s = await startServer();
});
after(() => s.close());

async function userWithHash(username: string, encoded: string): Promise<number> {
  const u = await s.app.stores.users.create({ username, password: encoded, dateJoined: new Date() });
  return u.id;
}

const obtain = (username: string, password: string) => s.send('POST', '/api-token-auth/', { body: { username, password } });

describe('login with Django-made hashes', () => {
  for (const v of onePerHasher()) {
    test(`${v.hasher} (${v.id}): right password logs in and the hash is upgraded to argon2id; wrong one does not`, async () => {
      const username = `user-${v.id}`.replace(/[^\w.@+-]/g, '_');
      const id = await userWithHash(username, v.encoded);
      const wrong = await obtain(username, v.wrong);
      assert.equal(wrong.status, 400);
      assert.deepEqual(wrong.json, { non_field_errors: ['Unable to log in with provided credentials.'] });
      assert.equal((await s.app.stores.users.getById(id))!.password, v.encoded, 'a failed login changes nothing');
      const ok = await obtain(username, v.password);
      if (v.hasher === 'unusable') {
        assert.equal(ok.status, 400);
        return;
      }
      assert.equal(ok.status, 200, v.id);
      const stored = (await s.app.stores.users.getById(id))!.password;
      assert.match(stored, /^argon2\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
      assert.equal((await obtain(username, v.password)).status, 200, 'the upgraded hash still verifies');
    });
  }

  test('no stored hash ever contains the password', async () => {
    for (const u of await s.app.stores.users.list()) {
      for (const v of vectors) if (v.password.length > 3) assert.equal(u.password.includes(v.password), false);
    }
  });
});

describe('pbkdf2_sha256 policy (database shared with Django)', () => {
  test('new hashes are Django pbkdf2_sha256 with the configured iterations; argon2 hashes are converted at login', async () => {
    const p = await startServer({ settings: { passwords: { algorithm: 'pbkdf2_sha256', pbkdf2Iterations: 600_000 } } });
    try {
      await p.createUser('dana', 'dana-password-1');
      const dana = (await p.app.users.getByUsername('dana'))!;
      assert.match(dana.password, /^pbkdf2_sha256\$600000\$[A-Za-z0-9]{22}\$[A-Za-z0-9+/]{43}=$/);
      const argon = vectors.find((v) => v.hasher === 'argon2')!;
      const id = (await p.app.stores.users.create({ username: 'erin', password: argon.encoded, dateJoined: new Date() })).id;
      const res = await p.send('POST', '/api-token-auth/', { body: { username: 'erin', password: argon.password } });
      assert.equal(res.status, 200);
      assert.match((await p.app.stores.users.getById(id))!.password, /^pbkdf2_sha256\$600000\$/);
    } finally {
      await p.close();
    }
  });
});

describe('timing does not reveal which usernames exist (docs/security.md #81)', () => {
  test('median time of an unknown user is within a wide band of a wrong password', async (ctx) => {
    await s.createUser('timed', 'timed-password-1');
    // A server of its own: failures are padded to the costliest hash seen, and the Django
    // vectors above (bcrypt, scrypt) would make each of these 60 failures last as long.
    const fresh = await startServer();
    ctx.after(() => fresh.close());
    await fresh.createUser('timed', 'timed-password-1');
    const sample = async (username: string) => {
      const t = performance.now();
      await fresh.app.users.authenticate(username, 'not-the-password');
      return performance.now() - t;
    };
    const known: number[] = [];
    const unknown: number[] = [];
    for (let i = 0; i < 30; i++) {
      known.push(await sample('timed'));
      unknown.push(await sample(`nobody-${i}`));
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[15]!;
    const ratio = median(unknown) / median(known);
    // A skipped hash would be ~100x faster; the band is generous for a shared 2-core box.
    assert.ok(ratio > 0.5 && ratio < 2, `unknown/known median ratio ${ratio.toFixed(2)}`);
  });

  test('unknown user, wrong password and inactive user give byte-identical answers', async () => {
    await s.createUser('inactive', 'inactive-password-1', { isActive: false });
    const answers = await Promise.all([obtain('nobody', 'x'), obtain('timed', 'x'), obtain('inactive', 'inactive-password-1')]);
    for (const a of answers) {
      assert.equal(a.status, 400);
      assert.equal(a.text, answers[0]!.text);
      assert.equal(a.headers['set-cookie'], undefined);
    }
  });
});
