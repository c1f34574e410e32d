/**
 * `gatehouse apikeys create | list | revoke | update`: API keys from the command line.
 *
 * - `create --name N [--user U] [--scope S]... [--expires 30d] [--rate 100/min]`: prints
 *   the key once, on standard output (nothing else there); without `--user` the key has
 *   no owner (a service identity). Attributes are validated by the service's one rule.
 * - `list [--user U]`: id, identifier (`<prefix><lookup id>`), owner, scopes, rate,
 *   times; never a secret.
 * - `revoke ID|IDENTIFIER`: by id, or by the identifier `list` prints.
 * - `update ID|IDENTIFIER [--scopes a,b] [--rate 100/min|none] [--name N] [--expires 30d|none]`:
 *   the operator may change everything (an empty `--scopes ""` removes every scope).
 * Works whether or not `apiKeys.enabled` is set (a server with it off accepts no key).
 */
import { ValidationError } from '../core/errors.js';
import { drfDateTime } from '../core/json.js';
import { parseDuration } from '../core/duration.js';
import { ApiKeyService } from '../apikeys/service.js';
import type { Gatehouse } from '../server/app.js';
import type { ApiKeyPatch, ApiKeyRecord } from '../stores/types.js';
import { CliError } from './errors.js';

export interface CreateApiKeyOptions {
  name: string;
  user?: string;
  scope?: string[];
  expires?: string;
  rate?: string;
}

const CLI = { via: 'cli' } as const;

function service(app: Gatehouse): ApiKeyService {
  if (app.apiKeys) return app.apiKeys;
  const s = app.settings.apiKeys;
  try {
    return new ApiKeyService(app.stores, { prefix: s.prefix, minRefreshInterval: s.minRefreshInterval, cacheSize: 0, events: app.events }, { now: () => Date.now() });
  } catch (e) {
    throw new CliError((e as Error).message);
  }
}

async function ownerId(app: Gatehouse, username: string | undefined): Promise<number | null> {
  if (username === undefined) return null;
  const user = await app.stores.users.getByUsername(username);
  if (!user) throw new CliError(`no user ${username}`);
  return user.id;
}

/** The identifier shown for a key (not secret): the prefix and lookup id. */
export function apiKeyIdentifier(app: Gatehouse, k: ApiKeyRecord): string {
  return k.digest.includes('$') ? k.lookupId : `${app.settings.apiKeys.prefix}${k.lookupId}`;
}

export async function createApiKey(app: Gatehouse, opts: CreateApiKeyOptions): Promise<string> {
  let expiresAt: number | null = null;
  if (opts.expires !== undefined) {
    try {
      expiresAt = Date.now() + parseDuration(opts.expires);
    } catch (e) {
      throw new CliError(`--expires: ${(e as Error).message}`, 2);
    }
  }
  try {
    const { key } = await service(app).create({
      name: opts.name,
      userId: await ownerId(app, opts.user),
      scopes: opts.scope ?? [],
      expiresAt,
      rate: opts.rate ?? null,
    }, CLI);
    return `${key}\n`;
  } catch (e) {
    if (e instanceof ValidationError) throw usageError(e, (f) => `--${f === 'scopes' ? 'scope' : f}`);
    throw e;
  }
}

export async function listApiKeys(app: Gatehouse, username?: string): Promise<string> {
  const userId = username === undefined ? undefined : (await ownerId(app, username)) ?? undefined;
  const keys = await service(app).list(userId);
  if (keys.length === 0) return 'No API keys.\n';
  const when = (ms: number | null) => (ms === null ? '-' : drfDateTime(ms));
  const names = new Map<number, string>();
  for (const u of await app.stores.users.list()) names.set(u.id, u.username);
  return keys
    .map((k) =>
      [
        k.id,
        apiKeyIdentifier(app, k),
        k.name,
        k.userId === null ? '(service)' : names.get(k.userId) ?? `id ${k.userId}`,
        `scopes ${k.scopes.join(',') || '-'}`,
        `rate ${k.rate ?? '-'}`,
        `created ${when(k.createdAt)}`,
        `last used ${when(k.lastUsedAt)}`,
        `expires ${when(k.expiresAt)}`,
        k.revokedAt === null ? 'active' : `revoked ${when(k.revokedAt)}`,
      ].join('\t') + '\n',
    )
    .join('');
}

/** The key `which` names: its id, or the identifier `list` prints. */
async function findKey(app: Gatehouse, which: string): Promise<ApiKeyRecord> {
  const keys = await service(app).list();
  const match = /^\d{1,15}$/.test(which) ? keys.find((k) => k.id === Number(which)) : keys.find((k) => apiKeyIdentifier(app, k) === which);
  if (!match) throw new CliError(`no API key ${which}`);
  return match;
}

/** A service's field errors as the CLI's usage error (exit 2), named by option. */
function usageError(e: ValidationError, option: (field: string) => string): CliError {
  return new CliError(Object.entries(e.fields).map(([f, m]) => `${f === 'non_field_errors' ? 'error' : option(f)}: ${m.join(' ')}`).join('; '), 2);
}

export async function revokeApiKey(app: Gatehouse, which: string): Promise<string> {
  const match = await findKey(app, which);
  if (!(await service(app).revoke(match.id, CLI))) throw new CliError(`API key ${match.id} is already revoked`);
  return `Revoked API key ${match.id} (${apiKeyIdentifier(app, match)}, ${match.name}).\n`;
}

export interface UpdateApiKeyOptions {
  name?: string;
  scopes?: string;
  expires?: string;
  rate?: string;
}

/** The options as a patch: `none` clears the rate or the expiry, `--scopes ""` every scope. */
function patchOf(opts: UpdateApiKeyOptions): ApiKeyPatch {
  const patch: ApiKeyPatch = {};
  if (opts.name !== undefined) patch.name = opts.name;
  if (opts.scopes !== undefined) patch.scopes = opts.scopes.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (opts.rate !== undefined) patch.rate = opts.rate === 'none' ? null : opts.rate;
  if (opts.expires !== undefined) {
    try {
      patch.expiresAt = opts.expires === 'none' ? null : Date.now() + parseDuration(opts.expires);
    } catch (e) {
      throw new CliError(`--expires: ${(e as Error).message}`, 2);
    }
  }
  if (Object.keys(patch).length === 0) throw new CliError('nothing to change: give --name, --scopes, --rate or --expires', 2);
  return patch;
}

export async function updateApiKey(app: Gatehouse, which: string, opts: UpdateApiKeyOptions): Promise<string> {
  const patch = patchOf(opts);
  const match = await findKey(app, which);
  let updated: ApiKeyRecord | null;
  try {
    updated = await service(app).update(match.id, patch, CLI);
  } catch (e) {
    if (e instanceof ValidationError) throw usageError(e, (f) => `--${f}`);
    throw e;
  }
  if (!updated) throw new CliError(`no API key ${which}`);
  const when = (ms: number | null) => (ms === null ? 'never' : drfDateTime(ms));
  return `Updated API key ${updated.id} (${apiKeyIdentifier(app, updated)}): name ${updated.name}, scopes ${updated.scopes.join(',') || '-'}, rate ${updated.rate ?? '-'}, expires ${when(updated.expiresAt)}.\n`;
}
