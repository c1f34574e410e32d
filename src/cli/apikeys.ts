/**
 * `gatehouse apikeys create | list | revoke`: API keys from the command line.
 *
 * - `create --name N [--user U] [--scope S]... [--expires 30d] [--rate 100/min]`: prints
 *   the key once, on standard output (nothing else there); without `--user` the key has
 *   no owner (a service identity). Attributes are validated by the service's one rule.
 * - `list [--user U]`: id, identifier (`<prefix><lookup id>`), owner, scopes, rate,
 *   times; never a secret.
 * - `revoke ID|IDENTIFIER`: by id, or by the identifier `list` prints.
 * Works whether or not `apiKeys.enabled` is set (a server with it off accepts no key).
 */
import { ValidationError } from '../core/errors.js';
import { drfDateTime } from '../core/json.js';
import { parseDuration } from '../core/duration.js';
import { ApiKeyService } from '../apikeys/service.js';
import type { Gatehouse } from '../server/app.js';
import type { ApiKeyRecord } from '../stores/types.js';
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
    if (e instanceof ValidationError) {
      throw new CliError(Object.entries(e.fields).map(([f, m]) => `--${f === 'scopes' ? 'scope' : f}: ${m.join(' ')}`).join('; '), 2);
    }
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

export async function revokeApiKey(app: Gatehouse, which: string): Promise<string> {
  const keys = await service(app).list();
  const match = /^\d{1,15}$/.test(which) ? keys.find((k) => k.id === Number(which)) : keys.find((k) => apiKeyIdentifier(app, k) === which);
  if (!match) throw new CliError(`no API key ${which}`);
  if (!(await service(app).revoke(match.id, CLI))) throw new CliError(`API key ${match.id} is already revoked`);
  return `Revoked API key ${match.id} (${apiKeyIdentifier(app, match)}, ${match.name}).\n`;
}
