/**
 * Gatehouse settings: every option in one place. The zod schema holds each option's type,
 * bounds and default; `SETTING_ROWS` adds a one-line doc and the DRF / knox / simplejwt
 * setting it stands for. The reference (`SETTINGS_DOC`, rendered into README.md and
 * docs/settings.md) reads defaults from the parsed defaults and types from the schema
 * where it states one (src/core/settings-doc.ts), so no default is written twice.
 *
 * Sources, later ones winning: defaults → `gatehouse.config.json` (or `--config FILE` /
 * `GATEHOUSE_CONFIG`) → `GATEHOUSE_*` environment variables → command-line flags.
 * Everything is validated at start with one clear message per bad value.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { parseDuration } from './duration.js';
import { HTTP_TOKEN } from './request.js';
import { DURATION_META, OPTIONAL_DURATION_META, settingsReference, type SettingDoc, type SettingRow } from './settings-doc.js';
import { PASSWORD_VALIDATOR_NAMES, validatorName } from '../passwords/validation/names.js';

/** A duration option: seconds (number) or `"5m"`-style string → milliseconds. */
function durationSchema<N extends boolean>(nullable: N) {
  const schema = z.unknown().transform((v, ctx): N extends true ? number | null : number => {
    if (v === null && nullable) return null as never;
    if (typeof v !== 'number' && typeof v !== 'string') {
      ctx.addIssue({ code: 'custom', message: `must be a duration: seconds or a string such as "5m", "1d"${nullable ? ', or null' : ''}` });
      return z.NEVER;
    }
    try {
      return parseDuration(v) as never;
    } catch (e) {
      ctx.addIssue({ code: 'custom', message: (e as Error).message });
      return z.NEVER;
    }
  });
  // The reference renders these as durations (type and default): src/core/settings-doc.ts.
  return schema.meta(nullable ? OPTIONAL_DURATION_META : DURATION_META);
}
const duration = durationSchema(false);
const optionalDuration = durationSchema(true);
/** A lifetime, TTL or timeout: 0 would mean "already over" (or, for Node's timeouts, "never"), so it is refused. */
const POSITIVE = 'must be longer than 0 (a lifetime, TTL or timeout of 0 is refused)';
const positiveDuration = duration.refine((v) => v > 0, POSITIVE);
const optionalPositiveDuration = optionalDuration.refine((v) => v === null || v > 0, `${POSITIVE}; null means none`);

/** A Django password validator name (class name or dotted path); an unknown one gets the nearest known name. */
const passwordValidatorName = z.string().superRefine((name, ctx) => {
  if (validatorName(name) !== null) return;
  const near = nearestName(PASSWORD_VALIDATOR_NAMES, name.slice(name.lastIndexOf('.') + 1));
  ctx.addIssue({ code: 'custom', message: `unknown password validator "${name}"${near ? ` (did you mean "${near}"?)` : ''}; known: ${PASSWORD_VALIDATOR_NAMES.join(', ')}` });
});

const passwordsSchema = z
  .object({
    algorithm: z.enum(['argon2id', 'pbkdf2_sha256']).default('argon2id'),
    argon2MemoryCost: z.number().int().min(19456).max(4_194_304).default(19456),
    argon2TimeCost: z.number().int().min(1).max(100).default(2),
    argon2Parallelism: z.number().int().min(1).max(64).default(1),
    pbkdf2Iterations: z.number().int().min(600_000).max(100_000_000).default(1_000_000),
    maxConcurrent: z.number().int().min(1).max(256).default(4),
    maxQueue: z.number().int().min(0).max(100_000).default(64),
    failedLoginMinTime: duration.default(0),
    validators: z.array(passwordValidatorName).max(16).default([...PASSWORD_VALIDATOR_NAMES]),
    minLength: z.number().int().min(0).max(4096).default(8),
    similarityMaxRatio: z.number().min(0.1, 'must be at least 0.1 (as Django\'s max_similarity)').max(1).default(0.7),
    commonPasswordsFile: z.union([z.null(), z.string().min(1)]).default(null),
  })
  .strict();

/** A path prefix a route set mounts at: `/auth`, `/api/dj-rest-auth` (no trailing slash). */
const routePrefix = z.string().regex(/^(?:\/[A-Za-z0-9._~-]+)+$/, 'must be a path such as "/auth" (no trailing slash)');

/** A front-end link template: a relative URL naming each of `names` as `{name}` (and no other placeholder). */
function linkTemplate(names: readonly string[]) {
  return z
    .string()
    .max(500)
    .regex(/^[^\s/][^\s]*$/, 'must be a relative URL without spaces, such as "#/activate/{uid}/{token}"')
    .refine((v) => names.every((n) => v.includes(`{${n}}`)), `must contain ${names.map((n) => `{${n}}`).join(' and ')}`)
    .refine((v) => (v.match(/\{[^}]*\}/g) ?? []).every((p) => names.includes(p.slice(1, -1))), `may only contain the placeholders ${names.map((n) => `{${n}}`).join(', ')}`);
}

/**
 * Accounts: which field a password login names the user by, whether e-mail addresses
 * are unique, and the account service's flows, e-mails and front-end links
 * (src/accounts). The account service (sign-up, e-mail change) and the login lookup
 * (`UserService.findLoginUser`) read these.
 */
const accountsSchema = z
  .object({
    loginField: z.enum(['username', 'email', 'either']).default('username'),
    uniqueEmail: z.boolean().default(true),
    siteName: z.string().min(1).max(200).default('Gatehouse'),
    domain: z.union([z.null(), z.string().regex(/^[A-Za-z0-9.-]+(?::\d{1,5})?$/, 'must be a host name with an optional port, such as "app.example.com" or "localhost:3000"')]).default(null),
    protocol: z.enum(['https', 'http']).default('https'),
    djoser: z.union([z.null(), routePrefix]).default(null),
    djRestAuth: z.union([z.null(), routePrefix]).default(null),
    djRestAuthJwt: z.boolean().default(false),
    djRestAuthOldPassword: z.boolean().default(true),
    activation: z.boolean().default(true),
    sendConfirmationEmail: z.boolean().default(false),
    passwordChangedEmail: z.boolean().default(false),
    usernameChangedEmail: z.boolean().default(false),
    retypePassword: z.boolean().default(true),
    activationUrl: linkTemplate(['uid', 'token']).default('#/activate/{uid}/{token}'),
    passwordResetConfirmUrl: linkTemplate(['uid', 'token']).default('#/password/reset/confirm/{uid}/{token}'),
    usernameResetConfirmUrl: linkTemplate(['uid', 'token']).default('#/username/reset/confirm/{uid}/{token}'),
    allauthPasswordResetConfirmUrl: linkTemplate(['uid', 'token']).default('password-reset/confirm/{uid}/{token}/'),
    emailConfirmationUrl: linkTemplate(['key']).default('dj-rest-auth/registration/account-confirm-email/{key}/'),
    passwordResetTimeout: positiveDuration.prefault('3d'),
    emailVerification: z.enum(['mandatory', 'optional', 'none']).default('optional'),
    emailConfirmationExpire: positiveDuration.prefault('3d'),
  })
  .strict();

const tokensSchema = z
  .object({
    keyword: z
      .string()
      .regex(/^[A-Za-z][A-Za-z0-9_-]*$/, 'must be a single word such as "Token" or "Bearer"')
      .default('Token'),
    ttl: optionalPositiveDuration.default(null),
    autoRefresh: z.boolean().default(false),
    minRefreshInterval: duration.prefault(60),
    maxLifetime: optionalPositiveDuration.default(null),
    tokenLimitPerUser: z.union([z.null(), z.number().int().min(1)]).default(null),
    cacheSize: z.number().int().min(0).max(10_000_000).default(10_000),
  })
  .strict();

const apiKeysSchema = z
  .object({
    enabled: z.boolean().default(false),
    prefix: z.string().regex(/^[a-z][a-z0-9]{0,14}_$/, 'must be 2 to 16 lower-case letters or digits ending in "_", such as "gk_"').default('gk_'),
    header: z.union([z.null(), z.string().regex(/^[A-Za-z][A-Za-z0-9-]{0,63}$/, 'must be a header name such as "X-Api-Key"')]).default('X-Api-Key'),
    minRefreshInterval: duration.prefault(60),
    cacheSize: z.number().int().min(0).max(10_000_000).default(10_000),
    revokeOnPasswordChange: z.boolean().default(false),
    manageScope: z.union([z.null(), z.string().regex(/^[A-Za-z0-9_:.\-/]{1,100}$/)]).default('apikeys:manage'),
  })
  .strict();

const trustedDevicesSchema = z
  .object({
    enabled: z.boolean().default(true),
    lifetime: positiveDuration.prefault('30d'),
    cookieName: z.string().regex(HTTP_TOKEN, 'must be a cookie name').max(64).default('gatehouse-mfa-device'),
  })
  .strict();

export const JWT_ALGORITHMS = ['HS256', 'HS384', 'HS512', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const;

const claimName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_:.-]{0,63}$/, 'must be a claim name (letters, digits, _ : . -)');

const jwtSchema = z
  .object({
    accessTokenLifetime: positiveDuration.prefault('5m'),
    refreshTokenLifetime: positiveDuration.prefault('1d'),
    rotateRefreshTokens: z.boolean().default(false),
    blacklistAfterRotation: z.boolean().default(false),
    updateLastLogin: z.boolean().default(false),
    algorithm: z.enum(JWT_ALGORITHMS).default('HS256'),
    signingKey: z.union([z.null(), z.string().min(1)]).default(null),
    verifyingKey: z.string().default(''),
    audience: z.union([z.null(), z.string().min(1), z.array(z.string().min(1)).min(1)]).default(null),
    issuer: z.union([z.null(), z.string().min(1)]).default(null),
    jwkUrl: z.union([z.null(), z.url({ protocol: /^https?$/ })]).default(null),
    jwkCacheTtl: positiveDuration.prefault('10m'),
    jwkCooldown: duration.prefault('30s'),
    jwkTimeout: positiveDuration.prefault('2s'),
    leeway: duration.prefault(0),
    authHeaderTypes: z.array(z.string().regex(HTTP_TOKEN, 'must be an HTTP auth-scheme token')).min(1).default(['Bearer']),
    authHeaderName: z.string().regex(/^[A-Za-z0-9_-]+$/, 'must be a header name or a Django META key such as HTTP_AUTHORIZATION').default('HTTP_AUTHORIZATION'),
    userIdField: z.enum(['id', 'username']).default('id'),
    userIdClaim: claimName.default('user_id'),
    authTokenClasses: z.array(z.enum(['access', 'sliding'])).min(1).default(['access']),
    tokenTypeClaim: z.union([z.null(), claimName]).default('token_type'),
    jtiClaim: z.union([z.null(), claimName]).default('jti'),
    slidingTokenRefreshExpClaim: claimName.default('refresh_exp'),
    slidingTokenLifetime: positiveDuration.prefault('5m'),
    slidingTokenRefreshLifetime: positiveDuration.prefault('1d'),
    checkRevokeToken: z.boolean().default(false),
    revokeTokenClaim: claimName.default('hash_password'),
    checkUserIsActive: z.boolean().default(true),
    reuseDetection: z.boolean().default(true),
    reuseGrace: duration.prefault(0),
    refreshMaxLifetime: optionalPositiveDuration.default(null),
    accessTokenDenylist: z.boolean().default(false),
    verifiedCacheSize: z.number().int().min(0).max(10_000_000).default(10_000),
    maxTokenBytes: z.number().int().min(512).max(65_536).default(8192),
    lifetimeSlack: optionalDuration.default(0),
    strictUserId: z.boolean().default(true),
  })
  .strict();

/** A DRF throttle rate: `"<n>/<period>"`, period's first letter s, m, h or d (`"100/min"`, `"1000/day"`). */
const rate = z.string().regex(/^\d{1,9}\/[smhd][a-z]*$/, 'must be a DRF rate such as "100/min" or "1000/day"');

const throttleSchema = z
  .object({
    rates: z.record(z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be a scope name'), z.union([z.null(), rate])).default({ anon: null, user: null }),
    loginEnabled: z.boolean().default(true),
    accountEmailRate: z.union([z.null(), rate]).default('5/hour'),
    loginUsernameRate: rate.default('10/h'),
    loginAddressRate: rate.default('100/h'),
    loginMaxBackoff: positiveDuration.prefault('1h'),
    loginCleanAddressTries: z.number().int().min(0).max(1000).default(3),
    deviceCookieName: z.string().regex(HTTP_TOKEN, 'must be a cookie name').default('gatehouse-device'),
    deviceCookieLifetime: optionalDuration.refine((v) => v === null || v >= 1000, 'must be at least 1 second, or null').prefault('30d'),
    maxEntries: z.number().int().min(100).max(100_000_000).default(100_000),
    /** Absent: `redis` when `redis.url` is set, else `memory` (resolved by `settingsSchema`). */
    store: z.enum(['memory', 'redis']).optional(),
    onStoreFailure: z.enum(['local', 'closed']).default('local'),
  })
  .strict();

const redisObject = z
  .object({
    url: z.union([z.null(), z.string().regex(/^rediss?:\/\/\S+$/i, 'must be a redis:// or rediss:// URL')]).default(null),
    keyPrefix: z.string().regex(/^[A-Za-z0-9_.:-]{0,64}$/, 'must be up to 64 letters, digits, "_", ".", ":" or "-"').default('gatehouse:'),
    tokenCache: z.boolean().default(false),
    tokenCacheTtl: positiveDuration.prefault('30s'),
    timeout: positiveDuration.prefault('2s'),
  })
  .strict();

/** `redis` is an object; a URL string (or null) is short for `{"url": …}`. */
const redisSchema = z.preprocess((v) => (typeof v === 'string' || v === null ? { url: v } : v), redisObject);

const sameSite = z.enum(['Strict', 'Lax', 'None']);

const cookiesSchema = z
  .object({
    enabled: z.boolean().default(false),
    accessName: z.string().regex(HTTP_TOKEN, 'must be a cookie name').default('gatehouse-access'),
    refreshName: z.string().regex(HTTP_TOKEN, 'must be a cookie name').default('gatehouse-refresh'),
    domain: z.union([z.null(), z.string().min(1)]).default(null),
    refreshPath: z.string().startsWith('/').default('/api/token/'),
    sameSite: sameSite.default('Lax'),
    secure: z.boolean().default(true),
    csrf: z.boolean().default(true),
    csrfCookieName: z.string().regex(HTTP_TOKEN, 'must be a cookie name').default('csrftoken'),
    csrfHeaderName: z.string().regex(/^[A-Za-z0-9-]+$/, 'must be a header name').default('X-CSRFToken'),
    trustedOrigins: z.array(z.string().regex(/^https?:\/\/[^/\s]+$/, 'must be an origin such as "https://app.example.com"')).default([]),
  })
  .strict();

const httpSchema = z
  .object({
    trustedProxies: z.array(z.string().regex(/^[0-9a-fA-F:.]+(\/\d{1,3})?$/, 'must be an IP address or CIDR range')).default([]),
    maxBodySize: z.number().int().min(1024).max(10 * 1024 * 1024).default(16 * 1024),
    requestTimeout: positiveDuration.prefault(30),
  })
  .strict();

/** An exact origin as browsers serialize it: scheme, host, port when not the default; no wildcard, path or slash. */
const exactOrigin = z.string().refine(
  (v) => {
    if (!/^https?:\/\/[^/?#\s@*]+$/i.test(v)) return false;
    try {
      return new URL(v).origin === v;
    } catch {
      return false;
    }
  },
  { message: 'must be an exact origin as browsers send it, such as "https://app.example.com" (lower case, no path, no default port, no wildcard)' },
);
const headerName = z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'must be a header name');

const corsSchema = z
  .object({
    allowedOrigins: z.array(exactOrigin).default([]),
    allowCredentials: z.boolean().default(false),
    allowedHeaders: z.array(headerName).default(['Authorization', 'Content-Type']),
    exposedHeaders: z.array(headerName).default([]),
    maxAge: duration.prefault('10m'),
  })
  .strict();

/** A WebAuthn RP ID: a host name (no scheme, port or IP address), lower case. */
const rpIdName = z.string().max(253).regex(/^(?=.*[a-z])[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/, 'must be a host name such as "example.com" (no scheme, port or path)');

/** Whether a browser accepts `rpId` on a page of `origin`: its host is the RP ID or below it; HTTPS, or HTTP on localhost. */
function rpIdFitsOrigin(rpId: string, origin: string): boolean {
  const url = new URL(origin);
  const local = url.hostname === 'localhost' || url.hostname.endsWith('.localhost');
  return (url.protocol === 'https:' || local) && (url.hostname === rpId || url.hostname.endsWith(`.${rpId}`));
}

const passkeysSchema = z
  .object({
    enabled: z.boolean().default(false),
    rpId: z.union([z.null(), rpIdName]).default(null),
    rpName: z.string().min(1).max(100).default('Gatehouse'),
    origins: z.array(exactOrigin).max(50).default([]),
    userVerification: z.enum(['required', 'preferred', 'discouraged']).default('preferred'),
    challengeLifetime: positiveDuration.refine((v) => v <= 3_600_000, 'must be at most 1h').prefault('5m'),
    maxPerUser: z.number().int().min(1).max(100).default(10),
  })
  .strict()
  .superRefine((p, ctx) => {
    if (!p.enabled) return;
    if (p.rpId === null) ctx.addIssue({ code: 'custom', path: ['rpId'], message: 'required when passkeys.enabled: the host name passkeys are bound to, e.g. "example.com"' });
    if (p.origins.length === 0) ctx.addIssue({ code: 'custom', path: ['origins'], message: 'required when passkeys.enabled: the origins of the pages that call WebAuthn, e.g. ["https://app.example.com"]' });
    const rpId = p.rpId;
    const misfits = rpId === null ? [] : p.origins.filter((o) => !rpIdFitsOrigin(rpId, o));
    if (misfits.length > 0) ctx.addIssue({ code: 'custom', path: ['origins'], message: `${misfits.join(', ')}: not HTTPS (or HTTP on localhost) at passkeys.rpId "${rpId}" or a host below it` });
  });

const logSchema = z
  .object({
    access: z.boolean().default(false),
    usernames: z.enum(['hashed', 'plain']).default('hashed'),
  })
  .strict();

const metricsSchema = z
  .object({
    enabled: z.boolean().default(false),
    token: z.union([z.null(), z.string().min(16, 'must be at least 16 characters')]).default(null),
    allowFrom: z.array(z.string().regex(/^[0-9a-fA-F:.]+(\/\d{1,3})?$/, 'must be an IP address or CIDR range')).default([]),
  })
  .strict();

const noLineBreak = (v: string) => !/[\r\n]/.test(v);
const emailSchema = z
  .object({
    backend: z.enum(['console', 'smtp', 'memory']).default('console'),
    from: z.string().min(1).max(320).refine(noLineBreak, 'must be one line').default('webmaster@localhost'),
    host: z.string().min(1).max(253).default('localhost'),
    port: z.number().int().min(1).max(65535).default(25),
    user: z.union([z.null(), z.string().min(1).max(320)]).default(null),
    password: z.union([z.null(), z.string().min(1).max(1024)]).default(null),
    security: z.enum(['none', 'starttls', 'tls']).default('none'),
    timeout: positiveDuration.prefault('10s'),
    tlsCa: z.union([z.null(), z.string().min(1)]).default(null),
    templates: z.union([z.null(), z.string().min(1)]).default(null),
  })
  .strict();

const mfaSchema = z
  .object({
    enabled: z.boolean().default(false),
    issuer: z.string().min(1).max(100).refine((s) => !s.includes(':'), 'must not contain ":"').default('Gatehouse'),
    totp: z
      .object({
        algorithm: z.enum(['SHA1', 'SHA256', 'SHA512']).default('SHA1'),
        digits: z.number().int().min(6).max(8).default(6),
        period: z.number().int().min(15).max(120).default(30),
        window: z.number().int().min(0).max(5).default(1),
      })
      .strict()
      .prefault({}),
    recoveryCodes: z
      .object({ count: z.number().int().min(1).max(50).default(10) })
      .strict()
      .prefault({}),
    failureRate: rate.default('10/h'),
    ticketLifetime: positiveDuration.refine((v) => v <= 3_600_000, 'must be at most an hour').prefault('5m'),
    ticketAttempts: z.number().int().min(1).max(100).default(5),
    trustedDevices: trustedDevicesSchema.prefault({}),
  })
  .strict();

export const settingsSchema = z
  .object({
    secretKey: z
      .string()
      .min(32, 'must be at least 32 characters (generate one with `openssl rand -base64 48`)')
      .optional(),
    database: z.string().min(1).default('./gatehouse.sqlite3'),
    host: z.string().min(1).default('127.0.0.1'),
    port: z.number().int().min(0).max(65535).default(8000),
    workers: z.union([z.number().int().min(0).max(1024), z.literal('auto')], { error: 'must be an integer from 0 to 1024 or "auto"' }).default(1),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    passwords: passwordsSchema.default(() => passwordsSchema.parse({})),
    accounts: accountsSchema.default(() => accountsSchema.parse({})),
    tokens: tokensSchema.default(() => tokensSchema.parse({})),
    apiKeys: apiKeysSchema.default(() => apiKeysSchema.parse({})),
    mfa: mfaSchema.prefault({}),
    jwt: jwtSchema.default(() => jwtSchema.parse({})),
    throttle: throttleSchema.default(() => throttleSchema.parse({})),
    cookies: cookiesSchema.default(() => cookiesSchema.parse({})),
    http: httpSchema.default(() => httpSchema.parse({})),
    cors: corsSchema.default(() => corsSchema.parse({})),
    redis: redisSchema.prefault({}),
    log: logSchema.default(() => logSchema.parse({})),
    metrics: metricsSchema.default(() => metricsSchema.parse({})),
    email: emailSchema.default(() => emailSchema.parse({})),
    passkeys: passkeysSchema.prefault({}),
  })
  .strict()
  .superRefine((s, ctx) => {
    if (s.throttle.store === 'redis' && s.redis.url === null) {
      ctx.addIssue({ code: 'custom', path: ['throttle', 'store'], message: '"redis" needs redis.url (GATEHOUSE_REDIS, --redis)' });
    }
    if (s.redis.tokenCache && s.redis.url === null) {
      ctx.addIssue({ code: 'custom', path: ['redis', 'tokenCache'], message: 'needs redis.url (GATEHOUSE_REDIS, --redis)' });
    }
    if (s.cookies.enabled && s.jwt.jtiClaim === null) {
      ctx.addIssue({ code: 'custom', path: ['jwt', 'jtiClaim'], message: 'cookie mode (cookies.enabled) needs a jti claim: a session is the recorded family of its refresh tokens' });
    }
  })
  .transform((s) => ({
    ...s,
    throttle: { ...s.throttle, store: s.throttle.store ?? (s.redis.url !== null ? ('redis' as const) : ('memory' as const)) },
  }));

export type SettingsInput = z.input<typeof settingsSchema>;
export type Settings = z.output<typeof settingsSchema>;

export type { SettingDoc } from './settings-doc.js';

/** The settings reference's hand-written columns, in the order the README lists it. */
const SETTING_ROWS: SettingRow[] = [
  { key: 'secretKey', type: 'string (≥ 32 chars)', defaultText: 'generated into `<db>.secret` (0600) on first start', doc: 'Server secret; later the default JWT signing key. Env `GATEHOUSE_SECRET_KEY`.', equivalent: 'Django `SECRET_KEY`' },
  { key: 'database', type: 'path or URL', doc: 'A SQLite file path (created and migrated on start), or a `postgres://` URL for several instances on one database (`?schema=` picks the schema; migrated on start under an advisory lock). Env `GATEHOUSE_DATABASE`, flag `--db`.', equivalent: 'Django `DATABASES`' },
  { key: 'host', type: 'string', doc: 'Address `gatehouse serve` listens on. Flag `--host`.', equivalent: '—' },
  { key: 'port', type: 'integer', doc: 'Port `gatehouse serve` listens on. Flag `--port`.', equivalent: '—' },
  { key: 'workers', type: 'integer or `auto`', doc: 'Processes `gatehouse serve` runs on one port (node:cluster); `0` or `auto`: one per CPU. They share the database (and Redis), so tokens and revocations work across them. Flag `--workers`.', equivalent: 'gunicorn `--workers`' },
  { key: 'logLevel', doc: 'Structured log level; logs never contain tokens or passwords.', equivalent: 'Django `LOGGING`' },
  { key: 'passwords.algorithm', doc: 'Hasher for new and upgraded passwords; `pbkdf2_sha256` for a database shared with Django.', equivalent: 'Django `PASSWORD_HASHERS[0]`' },
  { key: 'passwords.argon2MemoryCost', type: 'KiB', doc: 'argon2id memory (OWASP minimum 19 MiB).', equivalent: 'Django `Argon2PasswordHasher.memory_cost`' },
  { key: 'passwords.argon2TimeCost', type: 'integer', doc: 'argon2id iterations.', equivalent: '`Argon2PasswordHasher.time_cost`' },
  { key: 'passwords.argon2Parallelism', type: 'integer', doc: 'argon2id lanes.', equivalent: '`Argon2PasswordHasher.parallelism`' },
  { key: 'passwords.pbkdf2Iterations', type: 'integer ≥ 600000', doc: 'PBKDF2-SHA256 iterations (Django 5.2 default) when that hasher is chosen.', equivalent: '`PBKDF2PasswordHasher.iterations`' },
  { key: 'passwords.maxConcurrent', type: 'integer', doc: 'Password hashes computed at once (bounded memory); others wait.', equivalent: '—' },
  { key: 'passwords.maxQueue', type: 'integer', doc: 'Hashes allowed to wait; beyond that login answers 503 with `Retry-After`.', equivalent: '—' },
  { key: 'passwords.validators', type: 'list of validator names', doc: 'Django\'s password validators every new password goes through (account endpoints, `createuser`, `changepassword`), in this order; all their messages are reported together. Class names or Django dotted paths (`django.contrib.auth.password_validation.…`); `[]` turns validation off. See docs/accounts.md, "Password validation".', equivalent: 'Django `AUTH_PASSWORD_VALIDATORS`' },
  { key: 'passwords.minLength', type: 'integer', doc: 'Fewest characters (code points) `MinimumLengthValidator` accepts.', equivalent: '`MinimumLengthValidator` `min_length`' },
  { key: 'passwords.similarityMaxRatio', type: 'number 0.1–1', doc: '`UserAttributeSimilarityValidator` refuses a password whose similarity to the username, first or last name or e-mail address (or a part of one) reaches this ratio.', equivalent: '`UserAttributeSimilarityValidator` `max_similarity`' },
  { key: 'passwords.commonPasswordsFile', type: 'path or null', doc: '`CommonPasswordValidator` list: one lower-case password a line, plain or gzip; null: Django\'s list of 20,000, bundled.', equivalent: '`CommonPasswordValidator` `password_list_path`' },
  { key: 'passwords.failedLoginMinTime', doc: 'Least time a failed login lasts. Every failure is padded to the costliest hash verification seen, and every cost profile stored in the database is verified once at start-up (docs/security.md #117); set this to your slowest legacy hash format\'s cost when such hashes may first be written while the server runs (an import into a running database).', equivalent: '—' },
  { key: 'accounts.loginField', doc: 'What a password login names the user by, on every login path. `email`: the address, matched case-insensitively, naming one account only (among accounts sharing it, the verified one, then the exact-case one; otherwise the login fails like a wrong password, docs/security.md #122); simplejwt and cookie-mode login then read the body field `email`, `/api-token-auth/` and knox keep `username` (its value is the address), HTTP Basic takes it as the user-id. `either`: the username first, then the address when the value contains `@`.', equivalent: 'Django `USERNAME_FIELD`, djoser `LOGIN_FIELD`, allauth `ACCOUNT_AUTHENTICATION_METHOD`' },
  { key: 'accounts.uniqueEmail', doc: 'E-mail addresses are unique, compared case-insensitively: sign-up and e-mail change refuse an address another account has (without telling whether it exists). `false` lets several accounts share one address (an e-mail login then names one only as `loginField` says).', equivalent: 'allauth `ACCOUNT_UNIQUE_EMAIL`' },
  { key: 'accounts.siteName', type: 'string', doc: 'The site name in account e-mails (subjects and bodies).', equivalent: 'djoser/templated-mail `SITE_NAME`, Django `Site.name`' },
  { key: 'accounts.domain', type: 'host[:port] or null', doc: 'The front end the e-mailed links point to (`{protocol}://{domain}/{url}`). Links are never built from a request\'s `Host`. Required when an account route set is mounted (`accounts.djoser`, `accounts.djRestAuth`): the server refuses to start without it.', equivalent: 'djoser `DOMAIN`, Django `Site.domain`' },
  { key: 'accounts.protocol', doc: 'Scheme of the e-mailed links.', equivalent: 'djoser `PROTOCOL` (Django: the request\'s scheme)' },
  { key: 'accounts.djoser', type: 'path or null', doc: 'Mount djoser\'s account routes under this prefix, e.g. `/auth` (`/auth/users/`, `/auth/users/activation/`, …).', equivalent: '`path("auth/", include("djoser.urls"))`' },
  { key: 'accounts.djRestAuth', type: 'path or null', doc: 'Mount dj-rest-auth\'s account routes under this prefix, e.g. `/dj-rest-auth` (`login/`, `user/`, `password/reset/`, `registration/`, …).', equivalent: '`path("dj-rest-auth/", include("dj_rest_auth.urls"))`' },
  { key: 'accounts.djRestAuthJwt', doc: 'dj-rest-auth routes: `login/` and sign-up answer `{"access","refresh","user"}` (in cookie mode the tokens go into the cookie-mode cookies), `logout/` blacklists the refresh token of the body or of the refresh cookie. `false`: the opaque token, `{"key"}`.', equivalent: 'dj-rest-auth `USE_JWT`' },
  { key: 'accounts.djRestAuthOldPassword', doc: 'dj-rest-auth `password/change/` asks for the current password (`old_password`).', equivalent: 'dj-rest-auth `OLD_PASSWORD_FIELD_ENABLED`' },
  { key: 'accounts.activation', doc: 'djoser flow: a new account is inactive until the activation link mailed to its address is used. `false`: active at once (and the confirmation e-mail when `accounts.sendConfirmationEmail`).', equivalent: 'djoser `SEND_ACTIVATION_EMAIL`' },
  { key: 'accounts.sendConfirmationEmail', doc: 'djoser flow: mail "account created and activated" after activation (or at sign-up when `accounts.activation` is off).', equivalent: 'djoser `SEND_CONFIRMATION_EMAIL`' },
  { key: 'accounts.passwordChangedEmail', doc: 'djoser flow: mail "your password has been changed" after a password change or reset.', equivalent: 'djoser `PASSWORD_CHANGED_EMAIL_CONFIRMATION`' },
  { key: 'accounts.usernameChangedEmail', doc: 'Mail "your username has been changed" after a username change or reset.', equivalent: 'djoser `USERNAME_CHANGED_EMAIL_CONFIRMATION`' },
  { key: 'accounts.retypePassword', doc: 'djoser routes: sign-up takes `re_password`, `set_password` and `reset_password_confirm` take `re_new_password`, each compared with the password (`The two password fields didn\'t match.`). `false`: no retype field.', equivalent: 'djoser `USER_CREATE_PASSWORD_RETYPE`, `SET_PASSWORD_RETYPE`, `PASSWORD_RESET_CONFIRM_RETYPE`' },
  { key: 'accounts.activationUrl', type: 'link template', doc: 'Front-end path of the activation link (after `{protocol}://{domain}/`).', equivalent: 'djoser `ACTIVATION_URL`' },
  { key: 'accounts.passwordResetConfirmUrl', type: 'link template', doc: 'djoser flow: front-end path of the password-reset link.', equivalent: 'djoser `PASSWORD_RESET_CONFIRM_URL`' },
  { key: 'accounts.usernameResetConfirmUrl', type: 'link template', doc: 'Front-end path of the username-reset link.', equivalent: 'djoser `USERNAME_RESET_CONFIRM_URL`' },
  { key: 'accounts.allauthPasswordResetConfirmUrl', type: 'link template', doc: 'dj-rest-auth flow: front-end path of the password-reset link (base-36 uid, allauth token).', equivalent: 'the `password_reset_confirm` URL name dj-rest-auth reverses' },
  { key: 'accounts.emailConfirmationUrl', type: 'link template', doc: 'dj-rest-auth flow: front-end path of the e-mail confirmation link; the page POSTs the key to `registration/verify-email/`.', equivalent: 'allauth `account_confirm_email` URL' },
  { key: 'accounts.passwordResetTimeout', doc: 'How long activation, password-reset and username-reset links stay valid.', equivalent: 'Django `PASSWORD_RESET_TIMEOUT`' },
  { key: 'accounts.emailVerification', doc: 'dj-rest-auth flow: `mandatory`/`optional` mail a confirmation key at sign-up (`mandatory`: login refused until it is used); `none` mails nothing.', equivalent: 'allauth `ACCOUNT_EMAIL_VERIFICATION`' },
  { key: 'accounts.emailConfirmationExpire', doc: 'dj-rest-auth flow: how long a confirmation key stays valid (and only while the address is unverified: single use).', equivalent: 'allauth `ACCOUNT_EMAIL_CONFIRMATION_EXPIRE_DAYS`' },
  { key: 'tokens.keyword', type: 'string', doc: 'Authorization scheme of opaque tokens (compared case-insensitively).', equivalent: 'DRF `TokenAuthentication.keyword`, knox `AUTH_HEADER_PREFIX`' },
  { key: 'tokens.ttl', defaultNote: '(never expire)', doc: 'Lifetime of a new opaque token.', equivalent: 'knox `TOKEN_TTL`' },
  { key: 'tokens.autoRefresh', doc: 'Push a token\'s expiry to now + ttl when it is used.', equivalent: 'knox `AUTO_REFRESH`' },
  { key: 'tokens.minRefreshInterval', doc: 'Least time between two writes of one token\'s expiry / last-used time.', equivalent: 'knox `MIN_REFRESH_INTERVAL`' },
  { key: 'tokens.maxLifetime', doc: 'Absolute lifetime from creation, never extended by auto-refresh.', equivalent: 'knox `AUTO_REFRESH_MAX_TTL`' },
  { key: 'tokens.tokenLimitPerUser', type: 'integer or null', doc: 'Most unexpired tokens per user: knox login answers 403, `/api-token-auth/` evicts the oldest.', equivalent: 'knox `TOKEN_LIMIT_PER_USER`' },
  { key: 'tokens.cacheSize', type: 'integer', doc: 'Verified-token lookups kept in memory (0 disables); revocations clear them at once.', equivalent: '—' },
  { key: 'apiKeys.enabled', doc: 'Accept API keys (`Authorization: Api-Key <key>`, `apiKeys.header`) on the built-in routes and mount their management at `/api/auth/apikeys/`.', equivalent: 'djangorestframework-api-key `HasAPIKey`' },
  { key: 'apiKeys.prefix', type: 'string', doc: 'Recognisable start of every new key (secret scanners match it); 2 to 16 lower-case letters or digits ending in `_`.', equivalent: '—' },
  { key: 'apiKeys.header', type: 'header name or null', doc: 'Second header whose whole value is the key; null accepts `Authorization: Api-Key` only.', equivalent: 'drf-api-key `API_KEY_CUSTOM_HEADER`' },
  { key: 'apiKeys.minRefreshInterval', doc: 'Least time between two writes of one key\'s last-used time.', equivalent: '—' },
  { key: 'apiKeys.cacheSize', type: 'integer', doc: 'Verified-key lookups kept in memory (0 disables); revocations clear them at once.', equivalent: '—' },
  { key: 'apiKeys.revokeOnPasswordChange', doc: 'Revoke a user\'s API keys when their password changes (keys are for services and survive it by default).', equivalent: '—' },
  { key: 'apiKeys.manageScope', type: 'string or null', doc: 'Scope an API key needs to manage API keys over HTTP; null: only JWT and opaque tokens may.', equivalent: '—' },
  { key: 'passkeys.enabled', doc: 'Passkeys (WebAuthn): registration and management at `/api/auth/passkeys/`, passwordless login at `/api/auth/passkeys/login/`, and the `webauthn` second factor. Needs `passkeys.rpId` and `passkeys.origins`. See docs/mfa.md.', equivalent: 'dj-rest-auth / allauth `MFA_PASSKEY_LOGIN_ENABLED`' },
  { key: 'passkeys.rpId', type: 'host name or null', doc: 'The relying party id passkeys are bound to: the site\'s host name or a parent domain of it (`example.com` serves `app.example.com`). Changing it orphans every registered passkey.', equivalent: 'allauth `MFA_WEBAUTHN` RP id (the site domain)' },
  { key: 'passkeys.rpName', type: 'string', doc: 'The site name authenticators show when a passkey is created.', equivalent: '—' },
  { key: 'passkeys.origins', type: 'list of origins', doc: 'Exact origins of the pages that run the ceremonies (`https://app.example.com`); HTTPS, or HTTP on localhost; each host must be `passkeys.rpId` or below it. An assertion made on any other page is refused.', equivalent: '—' },
  { key: 'passkeys.userVerification', doc: 'User verification (PIN, biometrics) asked at registration and for the second factor: `required` refuses assertions without it. Passwordless login always requires it.', equivalent: 'allauth `MFA_WEBAUTHN_USER_VERIFICATION`' },
  { key: 'passkeys.challengeLifetime', doc: 'How long a WebAuthn challenge (registration, login, second factor) can be answered; single use (at most 1h).', equivalent: '—' },
  { key: 'passkeys.maxPerUser', type: 'integer', doc: 'Most passkeys one user may register (1 to 100).', equivalent: '—' },
  { key: 'mfa.enabled', doc: 'Second factors: TOTP and recovery codes managed at `/api/auth/mfa/` (docs/mfa.md).', equivalent: 'django-allauth `allauth.mfa`' },
  { key: 'mfa.issuer', type: 'string', doc: 'Issuer shown by authenticator apps (the `otpauth://` URI); no `:`.', equivalent: 'allauth `MFA_TOTP_ISSUER`' },
  { key: 'mfa.totp.algorithm', doc: 'HMAC of new TOTP devices (enrolled devices keep theirs).', equivalent: '—' },
  { key: 'mfa.totp.digits', type: 'integer (6–8)', doc: 'Digits of a TOTP code of new devices.', equivalent: 'allauth `MFA_TOTP_DIGITS`' },
  { key: 'mfa.totp.period', type: 'integer seconds (15–120)', doc: 'Seconds per TOTP step of new devices.', equivalent: 'allauth `MFA_TOTP_PERIOD`' },
  { key: 'mfa.totp.window', type: 'integer (0–5)', doc: 'Steps accepted either side of now (clock drift).', equivalent: 'allauth `MFA_TOTP_TOLERANCE`' },
  { key: 'mfa.recoveryCodes.count', type: 'integer (1–50)', doc: 'Recovery codes in a set (generated when TOTP is confirmed, or on demand).', equivalent: 'allauth `MFA_RECOVERY_CODE_COUNT`' },
  { key: 'mfa.failureRate', type: 'rate', doc: 'Wrong second-factor proofs allowed per user before backing off (doubling up to `throttle.loginMaxBackoff`).', equivalent: '—' },
  { key: 'mfa.ticketLifetime', doc: 'How long the MFA ticket a password login of a user with a second factor gets stays valid (at most an hour); the second call must come before.', equivalent: 'dj-rest-auth mfa / allauth headless: the pending-login stage timeout' },
  { key: 'mfa.ticketAttempts', type: 'integer', doc: 'Wrong second factors one MFA ticket takes before it is dead (the per-user throttle of the factors counts them too).', equivalent: '—' },
  { key: 'mfa.trustedDevices.enabled', doc: 'A second call with `"remember_device": true` sets the trusted-device cookie: later password logins of that user from that browser skip the second factor until it expires or is revoked.', equivalent: 'allauth `MFA_TRUST_ENABLED`' },
  { key: 'mfa.trustedDevices.lifetime', doc: 'How long a trusted device skips the second factor.', equivalent: 'allauth `MFA_TRUST_COOKIE_AGE`' },
  { key: 'mfa.trustedDevices.cookieName', type: 'string', doc: 'Name of the trusted-device cookie (HttpOnly, SameSite=Strict, Path=/, Secure unless the request is for localhost).', equivalent: 'allauth `MFA_TRUST_COOKIE_NAME`' },
  { key: 'jwt.accessTokenLifetime', doc: 'Lifetime of access tokens.', equivalent: 'simplejwt `ACCESS_TOKEN_LIFETIME`' },
  { key: 'jwt.refreshTokenLifetime', doc: 'Lifetime of refresh tokens.', equivalent: '`REFRESH_TOKEN_LIFETIME`' },
  { key: 'jwt.rotateRefreshTokens', doc: '`/api/token/refresh/` also returns a new refresh token.', equivalent: '`ROTATE_REFRESH_TOKENS`' },
  { key: 'jwt.blacklistAfterRotation', doc: 'Blacklist the submitted refresh token when rotating; `/verify/` then consults the blacklist.', equivalent: '`BLACKLIST_AFTER_ROTATION`' },
  { key: 'jwt.updateLastLogin', doc: 'Obtain endpoints set `last_login`.', equivalent: '`UPDATE_LAST_LOGIN`' },
  { key: 'jwt.algorithm', doc: 'The one accepted algorithm (pinned by the key, never read from tokens).', equivalent: '`ALGORITHM`' },
  { key: 'jwt.signingKey', type: 'string or null', defaultNote: '= `secretKey`', doc: 'HMAC secret, or PEM private key for asymmetric algorithms.', equivalent: '`SIGNING_KEY`' },
  { key: 'jwt.verifyingKey', type: 'PEM string', doc: 'Public key for asymmetric algorithms (derived from the private key when empty).', equivalent: '`VERIFYING_KEY`' },
  { key: 'jwt.audience', type: 'string, list or null', doc: 'Required `aud` (and added to new tokens).', equivalent: '`AUDIENCE`' },
  { key: 'jwt.issuer', type: 'string or null', doc: 'Required `iss` (and added to new tokens).', equivalent: '`ISSUER`' },
  { key: 'jwt.jwkUrl', type: 'URL or null', doc: 'Verify tokens against this JWKS (selected by `kid`).', equivalent: '`JWK_URL`' },
  { key: 'jwt.jwkCacheTtl', doc: 'How long a fetched JWKS is trusted.', equivalent: 'PyJWKClient `lifespan`' },
  { key: 'jwt.jwkCooldown', doc: 'Least time between two fetches triggered by unknown `kid`s.', equivalent: '—' },
  { key: 'jwt.jwkTimeout', doc: 'Timeout of one JWKS fetch.', equivalent: 'PyJWKClient `timeout`' },
  { key: 'jwt.leeway', doc: 'Clock skew allowed on `exp`, `nbf`, `iat`.', equivalent: '`LEEWAY`' },
  { key: 'jwt.authHeaderTypes', type: 'list of strings', doc: 'Accepted schemes (exact case, as simplejwt); the first is the challenge.', equivalent: '`AUTH_HEADER_TYPES`' },
  { key: 'jwt.authHeaderName', type: 'string', doc: 'Header carrying the token (Django META key or header name).', equivalent: '`AUTH_HEADER_NAME`' },
  { key: 'jwt.userIdField', doc: 'User field written into tokens.', equivalent: '`USER_ID_FIELD`' },
  { key: 'jwt.userIdClaim', type: 'claim name', doc: 'Claim holding the user id (written as a string; integers accepted).', equivalent: '`USER_ID_CLAIM`' },
  { key: 'jwt.authTokenClasses', type: 'list of `access`, `sliding`', doc: 'Token types accepted by `JWTAuthentication`.', equivalent: '`AUTH_TOKEN_CLASSES`' },
  { key: 'jwt.tokenTypeClaim', type: 'claim name or null', doc: 'Claim naming the token type; null disables the type check.', equivalent: '`TOKEN_TYPE_CLAIM`' },
  { key: 'jwt.jtiClaim', type: 'claim name or null', doc: 'Claim holding the token id.', equivalent: '`JTI_CLAIM`' },
  { key: 'jwt.slidingTokenRefreshExpClaim', type: 'claim name', doc: 'Claim holding a sliding token\'s refresh deadline.', equivalent: '`SLIDING_TOKEN_REFRESH_EXP_CLAIM`' },
  { key: 'jwt.slidingTokenLifetime', doc: 'Lifetime of sliding tokens.', equivalent: '`SLIDING_TOKEN_LIFETIME`' },
  { key: 'jwt.slidingTokenRefreshLifetime', doc: 'How long a sliding token can be refreshed.', equivalent: '`SLIDING_TOKEN_REFRESH_LIFETIME`' },
  { key: 'jwt.checkRevokeToken', doc: 'Embed a revocation claim; password change and logout-all then refuse every older token.', equivalent: '`CHECK_REVOKE_TOKEN`' },
  { key: 'jwt.revokeTokenClaim', type: 'claim name', doc: 'Name of that claim (its value is an HMAC, never a password hash derivative).', equivalent: '`REVOKE_TOKEN_CLAIM`' },
  { key: 'jwt.checkUserIsActive', doc: 'Refuse tokens of inactive users.', equivalent: '`CHECK_USER_IS_ACTIVE`' },
  { key: 'jwt.reuseDetection', doc: 'With rotation: a refresh token presented again after it was rotated revokes its whole family.', equivalent: '— (RFC 9700 §4.14.2)' },
  { key: 'jwt.reuseGrace', doc: 'Window in which a retried rotation gets the same replacement instead of tripping reuse detection.', equivalent: '—' },
  { key: 'jwt.refreshMaxLifetime', doc: 'Absolute lifetime of a refresh family from login; rotation never extends past it.', equivalent: '—' },
  { key: 'jwt.accessTokenDenylist', doc: 'Check every access token\'s `jti` against a denylist (revocation of single access tokens).', equivalent: '—' },
  { key: 'jwt.verifiedCacheSize', type: 'integer', doc: 'Verified signatures kept in memory (0 disables); revocation is checked outside it.', equivalent: '—' },
  { key: 'jwt.lifetimeSlack', doc: 'A token whose `exp` is later than now + its type\'s lifetime + `leeway` + this is refused (`Token is invalid`): no token outlives the configured lifetimes, whoever signed it. Raise it when another issuer sharing the key (a Django simplejwt) uses longer lifetimes; `null` turns the check off.', equivalent: '—' },
  { key: 'jwt.strictUserId', doc: 'Only an id\'s canonical form names a user: `1` or `"1"` (simplejwt 5.5.1 writes strings, older versions integers); `"01"`, `"+1"`, `" 1"`, `"1.0"` name no one (401 `User not found`; `1.5` was never an id). With `userIdField: username`, only a string. `false` accepts leading zeros as older versions did.', equivalent: '—' },
  { key: 'jwt.maxTokenBytes', type: 'bytes', doc: 'Longest token accepted.', equivalent: '—' },
  { key: 'throttle.rates', type: 'object: scope → rate or null', doc: 'Rates of `AnonRateThrottle` (`anon`), `UserRateThrottle` (`user`) and `ScopedRateThrottle` scopes, as `"100/min"`.', equivalent: 'DRF `DEFAULT_THROTTLE_RATES`' },
  { key: 'throttle.accountEmailRate', type: 'rate or null', doc: 'Account e-mails (activation, confirmation, reset, "account exists") sent to one address (case-insensitive); beyond it the mail is skipped silently and the answer does not change. Counted in the throttle store (shared through Redis). `throttle.rates.accounts` (default `30/hour` when absent, `null`: none) limits each client address on the anonymous account endpoints.', equivalent: '— (allauth: a 180 s cooldown on its own views)' },
  { key: 'throttle.loginEnabled', doc: 'Throttle failed logins on every login endpoint (per username and per client address, backing off).', equivalent: '— (DRF has none by default)' },
  { key: 'throttle.loginUsernameRate', type: 'rate', doc: 'Failed logins allowed per username (per address, per device, and from all untrusted clients together) before backing off.', equivalent: '—' },
  { key: 'throttle.loginAddressRate', type: 'rate', doc: 'Failed logins allowed per client address (IPv6 by /64) before backing off.', equivalent: '—' },
  { key: 'throttle.loginMaxBackoff', doc: 'Longest lock-out of an address, a username from one address, or a device (the wait doubles each time); the username-wide lock never grows past `period / N`.', equivalent: '—' },
  { key: 'throttle.loginCleanAddressTries', type: 'integer', doc: 'While a username is locked for untrusted clients (an attack from many addresses), an address with fewer failures than this on that username may still try (docs/permissions-and-throttling.md).', equivalent: '—' },
  { key: 'throttle.deviceCookieName', type: 'cookie name', doc: 'Device cookie set on each successful password login (HttpOnly, SameSite=Strict, scoped to the login endpoint): attempts that present it are judged by that device\'s own failures, not the username\'s lock.', equivalent: 'OWASP device cookies' },
  { key: 'throttle.deviceCookieLifetime', doc: 'How long a device cookie is accepted; `null`: no device cookies (every client is judged as untrusted).', equivalent: '—' },
  { key: 'throttle.maxEntries', type: 'integer', doc: 'Most throttle keys kept in memory (the oldest are dropped).', equivalent: '—' },
  { key: 'throttle.store', defaultText: '`redis` when `redis.url` is set, else `memory`', doc: 'Where throttle counters live: this process, or Redis (shared by every instance; atomic Lua scripts).', equivalent: 'Django `CACHES` (DRF throttles use the default cache)' },
  { key: 'throttle.onStoreFailure', doc: 'Redis unreachable: `local` counts in this process meanwhile (each instance enforces the limits alone; one warning per outage); `closed` answers 503 with `Retry-After`.', equivalent: '—' },
  { key: 'cookies.enabled', doc: 'Cookie mode: JWT login and refresh set HttpOnly cookies; authentication reads them.', equivalent: 'dj-rest-auth `USE_JWT` + `JWT_AUTH_COOKIE`' },
  { key: 'cookies.accessName', type: 'cookie name', doc: 'Access-token cookie.', equivalent: '`JWT_AUTH_COOKIE`' },
  { key: 'cookies.refreshName', type: 'cookie name', doc: 'Refresh-token cookie (scoped to `refreshPath`).', equivalent: '`JWT_AUTH_REFRESH_COOKIE`' },
  { key: 'cookies.domain', type: 'string or null', doc: 'Cookie `Domain` (none: host-only).', equivalent: '`JWT_AUTH_COOKIE_DOMAIN`' },
  { key: 'cookies.refreshPath', type: 'path', doc: '`Path` of the refresh cookie; must cover the refresh and logout endpoints where they are mounted (under `/auth`: `/auth/api/token/`).', equivalent: '`JWT_AUTH_REFRESH_COOKIE_PATH`' },
  { key: 'cookies.sameSite', doc: '`SameSite` of the cookies.', equivalent: '`JWT_AUTH_SAMESITE`' },
  { key: 'cookies.secure', doc: '`Secure` flag; may be false only when the server listens on localhost.', equivalent: '`JWT_AUTH_SECURE` (default False there)' },
  { key: 'cookies.csrf', doc: 'CSRF protection for cookie-authenticated unsafe requests, login, refresh and logout.', equivalent: '`JWT_AUTH_COOKIE_USE_CSRF` (default False there)' },
  { key: 'cookies.csrfCookieName', type: 'cookie name', doc: 'Cookie carrying the CSRF token (readable by scripts).', equivalent: 'Django `CSRF_COOKIE_NAME`' },
  { key: 'cookies.csrfHeaderName', type: 'header name', doc: 'Header the client echoes the CSRF token in.', equivalent: 'Django `CSRF_HEADER_NAME`' },
  { key: 'cookies.trustedOrigins', type: 'list of origins', doc: 'Origins allowed to send cookie-authenticated unsafe requests besides the server\'s own.', equivalent: 'Django `CSRF_TRUSTED_ORIGINS`' },
  { key: 'cors.allowedOrigins', type: 'list of origins', doc: 'Origins (exact `scheme://host[:port]`, no wildcard) whose pages may call the token endpoints from another origin: their preflights are answered and their responses carry `Access-Control-Allow-Origin: <that origin>`; every response then carries `Vary: Origin`. Empty: no CORS header is sent. See docs/cookie-mode.md, "A page on another origin".', equivalent: 'django-cors-headers `CORS_ALLOWED_ORIGINS`' },
  { key: 'cors.allowCredentials', doc: 'Send `Access-Control-Allow-Credentials: true` to the allowed origins, so that `fetch(…, { credentials: \'include\' })` sends and receives cookies (cookie mode).', equivalent: '`CORS_ALLOW_CREDENTIALS`' },
  { key: 'cors.allowedHeaders', type: 'list of header names', doc: 'Request headers a preflight allows; in cookie mode with CSRF on, `cookies.csrfHeaderName` is added.', equivalent: '`CORS_ALLOW_HEADERS`' },
  { key: 'cors.exposedHeaders', type: 'list of header names', doc: 'Response headers the page may read besides the safelisted ones (e.g. `Retry-After`, `WWW-Authenticate`).', equivalent: '`CORS_EXPOSE_HEADERS`' },
  { key: 'cors.maxAge', doc: 'How long a browser may cache a preflight (`Access-Control-Max-Age`).', equivalent: '`CORS_PREFLIGHT_MAX_AGE`' },
  { key: 'http.trustedProxies', type: 'list of IPs / CIDRs', doc: 'Proxies whose `X-Forwarded-For` is believed (walked right to left); otherwise the socket address is the client.', equivalent: 'DRF `NUM_PROXIES`' },
  { key: 'http.maxBodySize', type: 'bytes', doc: 'Largest request body; larger ones get 413.', equivalent: 'Django `DATA_UPLOAD_MAX_MEMORY_SIZE`' },
  { key: 'http.requestTimeout', doc: 'Time a client has to send a whole request.', equivalent: '—' },
  { key: 'redis.url', type: 'URL or null', doc: 'Redis for several instances: throttle counters, the revocation channel, the token cache. `redis://[user:password@]host[:port][/db]` or `rediss://`; the password is never logged. Env `GATEHOUSE_REDIS`, flag `--redis`; `"redis": "redis://…"` in the file is short for it.', equivalent: 'Django `CACHES` (`django-redis` `LOCATION`)' },
  { key: 'redis.keyPrefix', type: 'string', doc: 'Prefix of every Redis key and of the revocation channel (several deployments on one Redis).', equivalent: 'Django `CACHES` `KEY_PREFIX`' },
  { key: 'redis.tokenCache', doc: 'Share opaque-token lookups between instances in Redis; every revocation invalidates it before returning; bypassed while Redis is down.', equivalent: '—' },
  { key: 'redis.tokenCacheTtl', doc: 'Lifetime of a token-cache entry.', equivalent: 'Django `CACHES` `TIMEOUT`' },
  { key: 'redis.timeout', doc: 'Connect timeout and per-command timeout; a command to an unreachable Redis fails at once (no queueing).', equivalent: 'django-redis `SOCKET_CONNECT_TIMEOUT` / `SOCKET_TIMEOUT`' },
  { key: 'log.access', doc: 'One access-log line per request to the endpoints: method, path without the query string, status, ms, user id (never credentials). Env `GATEHOUSE_LOG__ACCESS`.', equivalent: 'gunicorn `--access-logfile`' },
  { key: 'log.usernames', doc: 'How the username of a failed login appears in the `login_failed` event: `hashed` (HMAC-SHA256 under a key derived from `secretKey`: one username\'s attempts correlate, a password typed into the username field stays unreadable) or `plain` (as typed, cut to 150 characters).', equivalent: '—' },
  { key: 'metrics.enabled', doc: 'Serve `GET /metrics` (Prometheus text format: requests, auth outcomes, logins, lock-outs, cache hits, store latency); 404 while off. Env `GATEHOUSE_METRICS__ENABLED`.', equivalent: 'django-prometheus' },
  { key: 'metrics.token', type: 'string (≥ 16 chars) or null', doc: 'When set, `/metrics` needs `Authorization: Bearer <token>` (compared in constant time); 401 otherwise. Env `GATEHOUSE_METRICS__TOKEN`.', equivalent: '—' },
  { key: 'metrics.allowFrom', type: 'list of IPs / CIDRs', defaultNote: '(any)', doc: 'When not empty, `/metrics` answers only these client addresses (as resolved through `http.trustedProxies`); 403 otherwise.', equivalent: '—' },
  { key: 'email.backend', doc: 'Where account e-mails go: `console` writes each message whole to standard output (development only: `serve` warns at start), `smtp` delivers through `email.host`, `memory` keeps them in an outbox (tests, library use). See docs/email.md.', equivalent: 'Django `EMAIL_BACKEND`' },
  { key: 'email.from', type: 'string', doc: 'Sender of every e-mail, e.g. `"Example <no-reply@example.com>"`.', equivalent: 'Django `DEFAULT_FROM_EMAIL`' },
  { key: 'email.host', type: 'host name', doc: 'SMTP server.', equivalent: 'Django `EMAIL_HOST`' },
  { key: 'email.port', type: 'port', doc: 'SMTP port (587 for STARTTLS, 465 for TLS at most providers).', equivalent: 'Django `EMAIL_PORT`' },
  { key: 'email.user', type: 'string or null', doc: 'SMTP AUTH user name; `null`: no AUTH.', equivalent: 'Django `EMAIL_HOST_USER`' },
  { key: 'email.password', type: 'string or null', doc: 'SMTP AUTH password; never logged nor part of an error message. Env `GATEHOUSE_EMAIL__PASSWORD`.', equivalent: 'Django `EMAIL_HOST_PASSWORD`' },
  { key: 'email.security', doc: '`starttls`: upgrade with STARTTLS, refuse a server that does not offer it; `tls`: TLS from the first byte (port 465); `none`: plain SMTP (a local relay), and `serve` warns when a user or password would travel unencrypted. Certificates are always verified.', equivalent: 'Django `EMAIL_USE_TLS` / `EMAIL_USE_SSL`' },
  { key: 'email.timeout', doc: 'Connect, greeting and socket timeout of one SMTP delivery.', equivalent: 'Django `EMAIL_TIMEOUT`' },
  { key: 'email.tlsCa', type: 'path or null', doc: 'PEM file of the CA certificate(s) to trust for the SMTP server, e.g. a private relay with its own CA.', equivalent: '—' },
  { key: 'email.templates', type: 'directory or null', doc: 'Directory of template overrides: `<kind>.subject.txt`, `<kind>.txt`, `<kind>.html`, with `{{name}}` placeholders; checked at start. Kinds and names in docs/email.md.', equivalent: 'Django `TEMPLATES` `DIRS` (djoser / allauth e-mail templates)' },
];

/**
 * The settings reference, in the order the README lists it: `SETTING_ROWS` with each
 * option's default read from the parsed defaults and its type from the schema where the
 * schema states one (src/core/settings-doc.ts), so neither is written twice.
 */
export const SETTINGS_DOC: SettingDoc[] = settingsReference(
  SETTING_ROWS,
  settingsSchema,
  settingsSchema.parse({}) as unknown as Record<string, unknown>,
);


/** Thrown for invalid settings; `message` lists every problem, one per line. */
export class SettingsError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid Gatehouse settings:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/** Where a setting's value came from, for messages: e.g. `environment variable GATEHOUSE_TOKENS__TTL`. */
export type SettingSource = (path: string) => string | undefined;

/** The options a group accepts (`''`: the top level), from `SETTINGS_DOC`. */
function knownKeys(group: string): string[] {
  const prefix = group === '' ? '' : `${group}.`;
  const keys = SETTINGS_DOC.filter((d) => d.key.startsWith(prefix)).map((d) => d.key.slice(prefix.length).split('.')[0] as string);
  return [...new Set(keys)];
}

/** Edit distance (case-insensitive; a swap of two neighbours counts as one), for "did you mean". */
function editDistance(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  const d: number[][] = Array.from({ length: x.length + 1 }, (_, i) => Array.from({ length: y.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= x.length; i++) {
    for (let j = 1; j <= y.length; j++) {
      const row = d[i] as number[];
      const up = d[i - 1] as number[];
      row[j] = Math.min((up[j] as number) + 1, (row[j - 1] as number) + 1, (up[j - 1] as number) + (x[i - 1] === y[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && x[i - 1] === y[j - 2] && x[i - 2] === y[j - 1]) row[j] = Math.min(row[j] as number, ((d[i - 2] as number[])[j - 2] as number) + 1);
    }
  }
  return (d[x.length] as number[])[y.length] as number;
}

/** The known option of `group` nearest to `key` (close enough to be a typo), if any. */
export function nearestKey(group: string, key: string): string | undefined {
  return nearestName(knownKeys(group), key);
}

/** The name among `candidates` nearest to `key` (close enough to be a typo), if any. */
export function nearestName(candidates: readonly string[], key: string): string | undefined {
  if (key.length > 64) return undefined;
  let best: { key: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const distance = editDistance(key, candidate);
    if (!best || distance < best.distance) best = { key: candidate, distance };
  }
  const allowed = Math.max(key.length >= 4 ? 2 : 1, Math.floor(key.length / 3));
  return best && best.distance <= allowed ? best.key : undefined;
}

/** `tokens.tokenLimitPerUser` → `GATEHOUSE_TOKENS__TOKEN_LIMIT_PER_USER`. */
export function envNameOf(path: string): string {
  return `GATEHOUSE_${path
    .split('.')
    .map((part) => part.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase())
    .join('__')}`;
}

/** The source of `path` or of the nearest enclosing option that has one. */
function sourceOf(path: string[], source: SettingSource | undefined): string | undefined {
  for (let n = path.length; n > 0 && source; n--) {
    const found = source(path.slice(0, n).join('.'));
    if (found) return found;
  }
  return undefined;
}

/** One unknown option, with the nearest known one and where it came from. */
function unknownKey(group: string, key: string, source: SettingSource | undefined): string {
  const full = group === '' ? key : `${group}.${key}`;
  const from = source?.(full);
  const near = nearestKey(group, key);
  const fromEnv = from?.startsWith('environment variable ');
  const hint = near === undefined ? undefined : fromEnv ? `did you mean ${envNameOf(group === '' ? near : `${group}.${near}`)}?` : `did you mean "${near}"?`;
  const notes = [from && `from ${from}`, hint].filter(Boolean);
  return `"${key}"${notes.length ? ` (${notes.join('; ')})` : ''}`;
}

/**
 * Validate a settings object (already merged from all sources). `source` names where a
 * value came from (`loadSettings` passes the environment variables), so that a message
 * says which variable to fix; unknown options get the nearest known one.
 */
export function parseSettings(input: unknown, source?: SettingSource): Settings {
  const result = settingsSchema.safeParse(input ?? {});
  if (result.success) return result.data;
  throw new SettingsError(
    result.error.issues.map((issue) => {
      const segments = issue.path.map(String);
      const path = segments.join('.') || '(root)';
      if (issue.code === 'unrecognized_keys') {
        const group = segments.join('.');
        return `${path === '(root)' ? '' : `${path}: `}unknown option(s) ${issue.keys.map((k) => unknownKey(group, k, source)).join(', ')}`;
      }
      const from = sourceOf(segments, source);
      return `${path}: ${issue.message}${from ? ` (from ${from})` : ''}`;
    }),
  );
}

/** `tokens__token_limit_per_user` → `['tokens', 'tokenLimitPerUser']`. */
function envPath(name: string): string[] {
  return name
    .toLowerCase()
    .split('__')
    .map((part) => part.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase()));
}

/** A value from the environment: JSON when it parses as JSON, else the raw string. */
function envValue(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    node = (typeof next === 'object' && next !== null ? next : (node[key] = {})) as Record<string, unknown>;
  }
  node[path[path.length - 1] as string] = value;
}

/**
 * Variables that are not settings: `GATEHOUSE_CONFIG` (the file), and the test suite's own
 * (`GATEHOUSE_TEST_*` service URLs, `GATEHOUSE_REQUIRE_*` switches, `GATEHOUSE_ORACLE_*`),
 * which CI exports to every process it starts — a server started from a test must not
 * read them as unknown options. Any other `GATEHOUSE_*` variable is a setting, and an
 * unknown one is refused (a typo must not pass silently).
 */
const NOT_SETTINGS = new Set(['CONFIG']);
const NOT_SETTINGS_PREFIXES = ['TEST_', 'REQUIRE_', 'ORACLE_'];
const isNotSetting = (rest: string): boolean => rest === '' || NOT_SETTINGS.has(rest) || NOT_SETTINGS_PREFIXES.some((p) => rest.startsWith(p));

/**
 * Overrides from `GATEHOUSE_*` variables: `GATEHOUSE_SECRET_KEY` → `secretKey`,
 * `GATEHOUSE_TOKENS__TTL=3600` → `tokens.ttl` (double underscore nests).
 * String-typed options keep the raw string (`GATEHOUSE_SECRET_KEY=123…` stays a string).
 */
export function settingsFromEnv(env: NodeJS.ProcessEnv, sources?: Map<string, string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const stringKeys = new Set(['secretKey', 'database', 'host', 'logLevel', 'passwords.algorithm', 'passwords.commonPasswordsFile', 'tokens.keyword', 'jwt.algorithm', 'jwt.signingKey', 'jwt.verifyingKey', 'jwt.issuer', 'jwt.jwkUrl', 'jwt.authHeaderName', 'jwt.userIdClaim', 'jwt.revokeTokenClaim', 'redis.url', 'redis.keyPrefix', 'apiKeys.prefix', 'mfa.trustedDevices.cookieName', 'passkeys.rpId', 'passkeys.rpName']);
  stringKeys.add('metrics.token');
  stringKeys.add('mfa.issuer');
  for (const key of ['backend', 'from', 'host', 'user', 'password', 'security', 'tlsCa', 'templates']) stringKeys.add(`email.${key}`);
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith('GATEHOUSE_') || raw === undefined) continue;
    const rest = name.slice('GATEHOUSE_'.length);
    if (isNotSetting(rest)) continue;
    let path = envPath(rest);
    // `GATEHOUSE_REDIS=redis://…` is `redis.url` (so `GATEHOUSE_REDIS__TOKEN_CACHE` etc. combine with it).
    if (path.length === 1 && path[0] === 'redis') path = ['redis', 'url'];
    const key = path.join('.');
    sources?.set(key, `environment variable ${name}`);
    setPath(out, path, key === 'redis.url' && raw === '' ? null : stringKeys.has(key) ? raw : envValue(raw));
  }
  return out;
}

/** Deep-merge plain objects (later wins); arrays and scalars replace. */
export function mergeSettings(...layers: Array<Record<string, unknown> | undefined>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const layer of layers) {
    if (!layer) continue;
    for (const [k, v] of Object.entries(layer)) {
      if (v === undefined || k === '__proto__' || k === 'constructor') continue;
      const prev = out[k];
      out[k] =
        isPlainObject(prev) && isPlainObject(v) ? mergeSettings(prev, v) : v;
    }
  }
  return out;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Read a JSON config file. A missing default file is fine (returns `{}`); a missing file
 * that was asked for explicitly, or invalid JSON, throws `SettingsError`.
 */
export function readConfigFile(path: string, explicit: boolean): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if (!explicit && (e as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new SettingsError([`config file ${path}: ${(e as Error).message}`]);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new SettingsError([`config file ${path}: not valid JSON (${(e as Error).message})`]);
  }
  if (!isPlainObject(parsed)) throw new SettingsError([`config file ${path}: must contain a JSON object`]);
  return parsed;
}

export interface LoadSettingsOptions {
  /** `--config FILE`; else `GATEHOUSE_CONFIG`; else `./gatehouse.config.json` if present. */
  configPath?: string;
  env?: NodeJS.ProcessEnv;
  /** Command-line overrides (highest precedence). */
  overrides?: Record<string, unknown>;
}

/** A layer's `"redis": "redis://…"` (or null) as `{"redis": {"url": …}}`, so that layers merge option by option. */
function redisAsObject(layer: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (!layer || !(typeof layer.redis === 'string' || layer.redis === null)) return layer;
  return { ...layer, redis: { url: layer.redis } };
}

/** Load and validate settings from every source. */
export function loadSettings(options: LoadSettingsOptions = {}): Settings {
  const env = options.env ?? process.env;
  const explicit = options.configPath ?? env.GATEHOUSE_CONFIG;
  const file = readConfigFile(explicit ?? 'gatehouse.config.json', explicit !== undefined);
  const fromEnv = new Map<string, string>();
  const layers = mergeSettings(redisAsObject(file), settingsFromEnv(env, fromEnv), redisAsObject(options.overrides));
  // A value set by a flag (an override) wins over the environment: only name the variable when it was kept.
  const overridden = (path: string) => path.split('.').reduce<unknown>((node, k) => (isPlainObject(node) ? node[k] : undefined), options.overrides) !== undefined;
  return parseSettings(layers, (path) => (overridden(path) ? undefined : fromEnv.get(path)));
}
