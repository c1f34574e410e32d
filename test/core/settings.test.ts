/** Settings: defaults, durations, sources and their precedence, validation messages. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDuration } from '../../src/core/duration.js';
import { loadSettings, parseSettings, SETTINGS_DOC, SettingsError, settingsSchema } from '../../src/core/settings.js';

test('durations: seconds or unit strings', () => {
  assert.equal(parseDuration(5), 5000);
  assert.equal(parseDuration('30'), 30_000);
  assert.equal(parseDuration('5m'), 300_000);
  assert.equal(parseDuration('1h30m'), 5_400_000);
  assert.equal(parseDuration('1d'), 86_400_000);
  assert.equal(parseDuration('2w'), 1_209_600_000);
  assert.equal(parseDuration('250ms'), 250);
  for (const bad of ['', 'soon', '5 minutes', '-1', '1y', 'm5', '1h 30m']) assert.throws(() => parseDuration(bad), /not a duration/);
  assert.throws(() => parseDuration(-1));
  assert.throws(() => parseDuration(Number.NaN));
});

test('defaults match the documented ones (knox/DRF: no expiry, no limit, keyword Token)', () => {
  const s = parseSettings({});
  assert.equal(s.database, './gatehouse.sqlite3');
  assert.equal(s.host, '127.0.0.1');
  assert.equal(s.port, 8000);
  assert.equal(s.secretKey, undefined);
  assert.deepEqual(s.tokens, { keyword: 'Token', ttl: null, autoRefresh: false, minRefreshInterval: 60_000, maxLifetime: null, tokenLimitPerUser: null, cacheSize: 10_000 });
  assert.equal(s.passwords.algorithm, 'argon2id');
  assert.equal(s.passwords.argon2MemoryCost, 19456);
  assert.equal(s.http.maxBodySize, 16384);
});

test('jwt.* defaults are simplejwt\'s (drf-wire.md §6)', () => {
  const j = parseSettings({}).jwt;
  assert.equal(j.accessTokenLifetime, 5 * 60_000); // ACCESS_TOKEN_LIFETIME 5 min
  assert.equal(j.refreshTokenLifetime, 86_400_000); // REFRESH_TOKEN_LIFETIME 1 day
  assert.equal(j.rotateRefreshTokens, false);
  assert.equal(j.blacklistAfterRotation, false);
  assert.equal(j.updateLastLogin, false);
  assert.equal(j.algorithm, 'HS256');
  assert.equal(j.signingKey, null); // SIGNING_KEY = SECRET_KEY
  assert.equal(j.verifyingKey, '');
  assert.equal(j.audience, null);
  assert.equal(j.issuer, null);
  assert.equal(j.jwkUrl, null);
  assert.equal(j.leeway, 0);
  assert.deepEqual(j.authHeaderTypes, ['Bearer']);
  assert.equal(j.authHeaderName, 'HTTP_AUTHORIZATION');
  assert.equal(j.userIdField, 'id');
  assert.equal(j.userIdClaim, 'user_id');
  assert.deepEqual(j.authTokenClasses, ['access']);
  assert.equal(j.tokenTypeClaim, 'token_type');
  assert.equal(j.jtiClaim, 'jti');
  assert.equal(j.slidingTokenRefreshExpClaim, 'refresh_exp');
  assert.equal(j.slidingTokenLifetime, 5 * 60_000);
  assert.equal(j.slidingTokenRefreshLifetime, 86_400_000);
  assert.equal(j.checkRevokeToken, false);
  assert.equal(j.revokeTokenClaim, 'hash_password');
  assert.equal(j.checkUserIsActive, true);
  // Beyond simplejwt: reuse detection on, no grace, no absolute cap, no per-request denylist.
  assert.equal(j.reuseDetection, true);
  assert.equal(j.reuseGrace, 0);
  assert.equal(j.refreshMaxLifetime, null);
  assert.equal(j.accessTokenDenylist, false);
});

test('every option is documented in SETTINGS_DOC, README.md and docs/settings.md', () => {
  const leaves: string[] = [];
  const walk = (obj: Record<string, unknown>, prefix: string) => {
    for (const [k, v] of Object.entries(obj)) {
      // `throttle.rates` is one option (a map of scopes), not a group.
      if (v && typeof v === 'object' && !Array.isArray(v) && `${prefix}${k}` !== 'throttle.rates') walk(v as Record<string, unknown>, `${prefix}${k}.`);
      else leaves.push(`${prefix}${k}`);
    }
  };
  walk(parseSettings({ secretKey: 'x'.repeat(32) }) as unknown as Record<string, unknown>, '');
  const documented = SETTINGS_DOC.map((d) => d.key).sort();
  assert.deepEqual(documented, [...leaves].sort());
  const root = new URL('../../', import.meta.url);
  for (const file of ['README.md', 'docs/settings.md']) {
    const text = readFileSync(new URL(file, root), 'utf8');
    for (const key of documented) assert.ok(text.includes(`\`${key}\``), `${file} documents ${key}`);
  }
  assert.ok(settingsSchema);
});

test('validation: one clear message per bad value, unknown keys named', () => {
  try {
    parseSettings({ port: 70000, tokens: { ttl: 'later', tokenLimitPerUser: 0, keyword: 'Two Words' }, secretKey: 'short', what: 1, passwords: { algorithm: 'md5' } });
    assert.fail('should throw');
  } catch (e) {
    assert.ok(e instanceof SettingsError);
    const text = e.message;
    assert.match(text, /port: /);
    assert.match(text, /tokens\.ttl: "later" is not a duration/);
    assert.match(text, /tokens\.tokenLimitPerUser: /);
    assert.match(text, /tokens\.keyword: must be a single word/);
    assert.match(text, /secretKey: must be at least 32 characters/);
    assert.match(text, /unknown option\(s\) "what"/);
    assert.match(text, /passwords\.algorithm: /);
    assert.equal(e.problems.length, 7);
  }
});

test('sources: file < GATEHOUSE_* env < overrides; --config and GATEHOUSE_CONFIG', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-settings-'));
  try {
    const file = join(dir, 'custom.json');
    writeFileSync(file, JSON.stringify({ port: 9000, tokens: { ttl: '1h', autoRefresh: true }, database: 'from-file.sqlite3' }));
    const s = loadSettings({
      configPath: file,
      env: { GATEHOUSE_DATABASE: 'from-env.sqlite3', GATEHOUSE_TOKENS__TTL: '2h', GATEHOUSE_TOKENS__TOKEN_LIMIT_PER_USER: '5', GATEHOUSE_SECRET_KEY: '12345678901234567890123456789012' },
      overrides: { database: 'from-flag.sqlite3' },
    });
    assert.equal(s.port, 9000);
    assert.equal(s.tokens.ttl, 7_200_000);
    assert.equal(s.tokens.autoRefresh, true);
    assert.equal(s.tokens.tokenLimitPerUser, 5);
    assert.equal(s.database, 'from-flag.sqlite3');
    assert.equal(s.secretKey, '12345678901234567890123456789012', 'a numeric-looking secret stays a string');
    assert.equal(loadSettings({ env: { GATEHOUSE_CONFIG: file } }).port, 9000);
    assert.throws(() => loadSettings({ configPath: join(dir, 'missing.json'), env: {} }), /missing\.json/);
    writeFileSync(join(dir, 'broken.json'), '{port: 1');
    assert.throws(() => loadSettings({ configPath: join(dir, 'broken.json'), env: {} }), /not valid JSON/);
    writeFileSync(join(dir, 'array.json'), '[1]');
    assert.throws(() => loadSettings({ configPath: join(dir, 'array.json'), env: {} }), /JSON object/);
    writeFileSync(join(dir, 'proto.json'), '{"__proto__": {"port": 1}, "constructor": 1}');
    assert.equal(loadSettings({ configPath: join(dir, 'proto.json'), env: {} }).port, 8000);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the test suite's GATEHOUSE_* variables are not settings; any other unknown one is refused", () => {
  const env = {
    GATEHOUSE_REQUIRE_SERVICES: '1',
    GATEHOUSE_REQUIRE_ORACLE: '1',
    GATEHOUSE_TEST_POSTGRES: 'postgres://postgres@127.0.0.1:5432/test',
    GATEHOUSE_TEST_REDIS: 'redis://127.0.0.1:6379',
    GATEHOUSE_ORACLE_VERBOSE: '1',
    GATEHOUSE_PORT: '9001',
  };
  assert.equal(loadSettings({ env }).port, 9001);
  assert.throws(() => loadSettings({ env: { GATEHOUSE_PROT: "9001" } }), /unknown option\(s\) "prot"/);
});

test('lifetimes, TTLs and timeouts must be longer than 0; leeway, grace, cooldown and refresh interval may be 0', () => {
  const positive = [
    ['tokens', 'ttl'],
    ['tokens', 'maxLifetime'],
    ['jwt', 'accessTokenLifetime'],
    ['jwt', 'refreshTokenLifetime'],
    ['jwt', 'slidingTokenLifetime'],
    ['jwt', 'slidingTokenRefreshLifetime'],
    ['jwt', 'refreshMaxLifetime'],
    ['jwt', 'jwkCacheTtl'],
    ['jwt', 'jwkTimeout'],
    ['throttle', 'loginMaxBackoff'],
    ['redis', 'tokenCacheTtl'],
    ['redis', 'timeout'],
    ['http', 'requestTimeout'],
  ] as const;
  for (const [group, key] of positive) {
    for (const zero of [0, '0s', '0.0001']) {
      assert.throws(() => parseSettings({ [group]: { [key]: zero } }), new RegExp(`${group}\\.${key}: must be longer than 0`), `${group}.${key} = ${zero}`);
    }
    assert.throws(() => parseSettings({ [group]: { [key]: -5 } }), new RegExp(`${group}\\.${key}: must be a non-negative number`));
  }
  const zeros = parseSettings({ tokens: { minRefreshInterval: 0 }, jwt: { leeway: 0, reuseGrace: 0, jwkCooldown: 0 } });
  assert.deepEqual([zeros.tokens.minRefreshInterval, zeros.jwt.leeway, zeros.jwt.reuseGrace, zeros.jwt.jwkCooldown], [0, 0, 0, 0]);
  assert.equal(parseSettings({ tokens: { ttl: null } }).tokens.ttl, null, 'null still means "never expire"');
});

test('errors name the GATEHOUSE_* variable that caused them and suggest the nearest option', () => {
  const message = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      return (e as Error).message;
    }
    return assert.fail('should throw');
  };
  const env = message(() => loadSettings({ env: { GATEHOUSE_PROT: '9001', GATEHOUSE_TOKENS__TTL: '0', GATEHOUSE_JWT__LEWAY: '5' } }));
  assert.match(env, /unknown option\(s\) "prot" \(from environment variable GATEHOUSE_PROT; did you mean GATEHOUSE_PORT\?\)/);
  assert.match(env, /tokens\.ttl: must be longer than 0.*\(from environment variable GATEHOUSE_TOKENS__TTL\)/);
  assert.match(env, /jwt: unknown option\(s\) "leway" \(from environment variable GATEHOUSE_JWT__LEWAY; did you mean GATEHOUSE_JWT__LEEWAY\?\)/);
  const file = message(() => parseSettings({ tokens: { tll: '1h' }, jwt: { acessTokenLifetime: '5m' }, zzzzzz: 1 }));
  assert.match(file, /tokens: unknown option\(s\) "tll" \(did you mean "ttl"\?\)/);
  assert.match(file, /jwt: unknown option\(s\) "acessTokenLifetime" \(did you mean "accessTokenLifetime"\?\)/);
  assert.match(file, /unknown option\(s\) "zzzzzz"$/m, 'nothing close: no suggestion');
  // A flag overrides the environment: the variable is not blamed for the flag's value.
  assert.doesNotMatch(message(() => loadSettings({ env: { GATEHOUSE_PORT: 'x' }, overrides: { port: 'y' } })), /environment/);
});

test('accounts.*: login by username by default, e-mail addresses unique; loginField is one of three names', () => {
  const { loginField, uniqueEmail } = parseSettings({}).accounts;
  assert.deepEqual({ loginField, uniqueEmail }, { loginField: 'username', uniqueEmail: true });
  assert.equal(loadSettings({ env: { GATEHOUSE_ACCOUNTS__LOGIN_FIELD: 'email' }, configPath: undefined }).accounts.loginField, 'email');
  assert.equal(parseSettings({ accounts: { loginField: 'either', uniqueEmail: false } }).accounts.uniqueEmail, false);
  assert.throws(() => parseSettings({ accounts: { loginField: 'phone' } }), (e: unknown) => e instanceof SettingsError && /accounts\.loginField/.test(e.message));
});

test('accounts.*: the account service\'s defaults are djoser\'s and allauth\'s; links, domain and prefixes are checked', () => {
  const a = parseSettings({}).accounts;
  assert.equal(a.domain, null);
  assert.equal(a.protocol, 'https');
  assert.equal(a.djoser, null);
  assert.equal(a.djRestAuth, null);
  assert.equal(a.activationUrl, '#/activate/{uid}/{token}');
  assert.equal(a.passwordResetTimeout, 3 * 86_400_000);
  assert.equal(a.emailConfirmationExpire, 3 * 86_400_000);
  assert.equal(parseSettings({}).throttle.accountEmailRate, '5/hour');
  assert.equal(parseSettings({ throttle: { accountEmailRate: null } }).throttle.accountEmailRate, null);
  assert.equal(parseSettings({ accounts: { domain: 'localhost:3000', djoser: '/auth' } }).accounts.djoser, '/auth');
  const refused = (accounts: object, key: string) =>
    assert.throws(() => parseSettings({ accounts }), (e: unknown) => e instanceof SettingsError && e.message.includes(`accounts.${key}`));
  refused({ domain: 'https://app.example.com' }, 'domain');
  refused({ domain: 'evil.example/path' }, 'domain');
  refused({ djoser: '/auth/' }, 'djoser');
  refused({ djRestAuth: 'dj-rest-auth' }, 'djRestAuth');
  refused({ activationUrl: '#/activate/{uid}' }, 'activationUrl');
  refused({ activationUrl: '#/activate/{uid}/{token}/{host}' }, 'activationUrl');
  refused({ emailConfirmationUrl: '//evil.example/{key}' }, 'emailConfirmationUrl');
  refused({ passwordResetTimeout: 0 }, 'passwordResetTimeout');
});
