/**
 * The `apikey_created` / `apikey_updated` / `apikey_revoked` security events
 * (docs/security.md #185): the key named by id, lookup id, name and owner, never by the
 * key, its secret or its stored digest; and who did it.
 */
import type { ApiKeyActor, ApiKeyEvent } from '../core/events.js';
import type { ApiKeyRecord } from '../stores/types.js';

/** The code's own calls (not over HTTP, not the CLI). */
export const APPLICATION: ApiKeyActor = { via: 'application' };

/** The event of a change to `key` by `actor` (`changed`: the attributes an update set). */
export function apiKeyEvent(event: ApiKeyEvent['event'], key: Pick<ApiKeyRecord, 'id' | 'lookupId' | 'name' | 'userId'>, actor: ApiKeyActor, changed?: string[]): ApiKeyEvent {
  return {
    event,
    keyId: key.id,
    lookupId: key.lookupId,
    name: key.name,
    userId: key.userId,
    via: actor.via,
    ...(actor.via === 'http' ? { actorId: actor.userId, ...(actor.keyId !== undefined ? { actorKeyId: actor.keyId } : {}) } : {}),
    ...(changed ? { changed } : {}),
  };
}
