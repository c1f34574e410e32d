/**
 * Who an API key authenticates as (docs/security.md #156).
 *
 * A key with an owner: the owner, exactly as their password would (an inactive owner is
 * refused). An owner-less key (a service identity): a synthetic user built here, the one
 * place that shape is decided — id 0 (no row ever has it), username `apikey:<name>`, not
 * staff, not superuser, an unusable password, active. Such a caller IS authenticated
 * (`IsAuthenticated` passes: it presented a valid credential); what it may do is decided
 * by its scopes (`HasScope`), never by staff flags. `isServicePrincipal` tells it apart.
 */
import type { User } from '../core/user.js';
import type { ApiKeyRecord } from '../stores/types.js';

export const SERVICE_USER_ID = 0;

export function serviceUser(key: ApiKeyRecord): User {
  return {
    id: SERVICE_USER_ID,
    username: `apikey:${key.name}`,
    email: '',
    emailVerified: false,
    firstName: '',
    lastName: '',
    isActive: true,
    isStaff: false,
    isSuperuser: false,
    lastLogin: null,
    dateJoined: new Date(key.createdAt),
    password: '!',
  };
}

/** Is this the synthetic user of an owner-less key? */
export function isServicePrincipal(user: User): boolean {
  return user.id === SERVICE_USER_ID && user.username.startsWith('apikey:');
}
