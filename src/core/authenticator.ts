/**
 * The authenticator contract (DRF's `BaseAuthentication`).
 */
import type { RequestView } from './request.js';
import type { Principal } from './user.js';

export interface Authenticator {
  /** A short name for logs and the echo of who authenticated (`TokenAuthentication`, …). */
  readonly name: string;
  /**
   * Returns a principal when the request carries valid credentials of this scheme,
   * `null` when it carries none of this scheme (the next authenticator is tried),
   * and throws `AuthenticationFailed` when it carries credentials of this scheme
   * that are wrong (no further authenticator is tried).
   */
  authenticate(req: RequestView): Promise<Principal | null> | Principal | null;
  /**
   * The `WWW-Authenticate` challenge, or null. Only the route's first authenticator
   * is asked; a null challenge turns 401 into 403, as in DRF.
   */
  challenge(req: RequestView): string | null;
}
