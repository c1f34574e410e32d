/**
 * Who may manage which API keys (docs/security.md #157) — the one rule the HTTP routes
 * call:
 * - a caller authenticated by an API key may manage keys only when that key carries
 *   `apiKeys.manageScope` (default `apikeys:manage`; null: never), and a key it creates
 *   gets no scope its own key lacks (no escalation by minting);
 * - staff see and revoke every key, and create keys for any user or none (owner-less);
 * - anyone else sees, creates and revokes only their own keys;
 * - changes (`requireUpdatable`): staff change any attribute of any key; an owner may
 *   rename their key and narrow its scopes (drop some), never widen them nor change its
 *   rate or expiry (what the operator set for a service stays set). A key-authenticated
 *   caller gives no scope its own key lacks, here as at creation.
 */
import { PermissionDenied } from '../core/errors.js';
import type { ApiKeyActor } from '../core/events.js';
import type { Principal } from '../core/user.js';
import type { ApiKeyPatch, ApiKeyRecord } from '../stores/types.js';
import { apiKeyOf } from './authentication.js';
import { isServicePrincipal } from './principal.js';

/** Throws `PermissionDenied` when this principal may not manage keys at all. */
export function requireManager(principal: Principal, manageScope: string | null): void {
  const key = apiKeyOf(principal);
  if (key && (manageScope === null || !key.scopes.includes(manageScope))) throw new PermissionDenied();
  if (isServicePrincipal(principal.user)) throw new PermissionDenied();
}

/** The caller as the `apikey_*` events name it: the user, and the key when it used one. */
export function httpActor(principal: Principal): ApiKeyActor {
  const key = apiKeyOf(principal);
  return { via: 'http', userId: principal.user.id, ...(key ? { keyId: key.id } : {}) };
}

export function canSee(principal: Principal, record: ApiKeyRecord): boolean {
  return principal.user.isStaff || record.userId === principal.user.id;
}

/** The owner a new key gets: `requested` (staff only; undefined: the caller). */
export function ownerFor(principal: Principal, requested: number | null | undefined): number | null {
  if (requested === undefined || requested === principal.user.id) return principal.user.id;
  if (!principal.user.isStaff) throw new PermissionDenied();
  return requested;
}

/** Throws when a key-authenticated caller asks for scopes its own key lacks. */
export function requireGrantable(principal: Principal, scopes: readonly string[]): void {
  const key = apiKeyOf(principal);
  if (key && scopes.some((s) => !key.scopes.includes(s))) throw new PermissionDenied('An API key cannot grant scopes it does not have.');
}

/** Throws `PermissionDenied` when this caller may not make these changes to `record` (one it may see). */
export function requireUpdatable(principal: Principal, record: ApiKeyRecord, patch: ApiKeyPatch): void {
  requireGrantable(principal, patch.scopes ?? []);
  if (principal.user.isStaff) return;
  if ((patch.rate !== undefined && patch.rate !== record.rate) || (patch.expiresAt !== undefined && patch.expiresAt !== record.expiresAt)) {
    throw new PermissionDenied("Only staff may change a key's rate or expiry.");
  }
  if (patch.scopes?.some((s) => !record.scopes.includes(s))) throw new PermissionDenied('You may remove scopes from your key, not add them.');
}
