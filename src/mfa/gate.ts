/**
 * The login gate: the one function that decides whether a login may be issued a
 * credential. Every endpoint that issues one (DRF, knox, simplejwt pair and sliding,
 * cookie mode, djoser, dj-rest-auth login and sign-up, passkey login) gets a
 * `VerifiedLogin` from here, and `issueForLogin` (src/http/endpoints/credentials.ts)
 * accepts nothing else: only this module can make one (a type no other module can name
 * a member of, checked again at run time).
 *
 * - First call (no `mfa_ticket` in the body): the endpoint's own credential check runs
 *   (`authenticate`); a user without a second factor (`SecondFactors.methods` empty) or
 *   with a valid trusted-device cookie passes; any other gets `MfaRequired` (a ticket,
 *   src/mfa/tickets.ts) and nothing else.
 * - Second call (`mfa_ticket` + one proof, src/mfa/second-call.ts): the ticket must be
 *   live, of this endpoint and this client; the user must still be active, of the same
 *   credential generation, and pass the endpoint's own `eligible` check; then
 *   `SecondFactors.verify` judges the proof (wrong: counted against the ticket and, by
 *   the factors, against the user), the ticket is used (once), and with
 *   `remember_device` the browser becomes a trusted device.
 */
import type { Audit } from '../core/audit.js';
import type { RequestView } from '../core/request.js';
import type { User } from '../core/user.js';
import type { HandlerContext } from '../http/route.js';
import type { UserService } from '../users/service.js';
import { MfaRefused, MfaRequired } from './errors.js';
import { isSecondCall, readSecondCall, type SecondCall } from './second-call.js';
import { clientDigest, type MfaTickets } from './tickets.js';
import type { TrustedDevices } from './trusted-devices.js';
import type { SecondFactors } from './types.js';

declare const VERIFIED: unique symbol;

/** How a login proved itself: a password alone (no second factor), with a second factor, from a trusted device, or a passkey. */
export type LoginProof = 'password' | 'second_factor' | 'trusted_device' | 'passkey';

/** A login the gate let through: the only thing a credential is issued for. */
export interface VerifiedLogin {
  readonly user: User;
  /** The endpoint (audit name) it was verified for. */
  readonly endpoint: string;
  readonly proof: LoginProof;
  readonly [VERIFIED]: true;
}

const issued = new WeakSet<object>();

function verified(user: User, endpoint: string, proof: LoginProof): VerifiedLogin {
  const login = Object.freeze({ user, endpoint, proof }) as VerifiedLogin;
  issued.add(login);
  return login;
}

/** Throws unless the gate made `login` (a forged or copied value issues nothing). */
export function assertVerified(login: VerifiedLogin): void {
  if (!issued.has(login)) throw new TypeError('a credential may only be issued for a login the MFA gate verified');
}

/** One login attempt at an endpoint. */
export interface LoginAttempt {
  /** The endpoint's audit name: a ticket is redeemed only where it was issued. */
  endpoint: string;
  /** The endpoint's own credential check (fields, password, its own rules): the user, or it throws. */
  authenticate: () => Promise<User>;
  /** The endpoint's rules about the user, applied again on the second call (e.g. active, verified address). */
  eligible?: (user: User) => boolean;
  /**
   * `authenticate` checked a passkey with user verification (src/passkeys): a first factor
   * that is multi-factor by itself. The user passes as `passkey`, never asked for another
   * factor; such an endpoint redeems no ticket.
   */
  passkey?: true;
}

export interface MfaGateDeps {
  factors: SecondFactors;
  tickets: MfaTickets;
  /** Null when `mfa.trustedDevices.enabled` is off. */
  devices: TrustedDevices | null;
  users: Pick<UserService, 'getById'>;
  clientAddress: (req: RequestView) => string;
  audit: Audit;
}

export class MfaGate {
  constructor(private readonly deps: MfaGateDeps) {}

  /** The gate for a login endpoint: a `VerifiedLogin`, or it throws (`MfaRequired`, `MfaRefused`, the endpoint's own refusals). */
  async pass(ctx: HandlerContext, attempt: LoginAttempt): Promise<VerifiedLogin> {
    if (attempt.passkey) return this.passkey(await attempt.authenticate(), attempt.endpoint);
    const body = await ctx.body();
    if (isSecondCall(body)) return this.redeem(ctx, attempt, readSecondCall(body));
    const user = await attempt.authenticate();
    return this.admit(ctx.req, attempt.endpoint, user);
  }

  /** A user authenticated by a passkey (a first factor that is already multi-factor): passes as such. */
  passkey(user: User, endpoint: string): VerifiedLogin {
    return verified(user, endpoint, 'passkey');
  }

  /** Must this user give a second factor (a password alone never authenticates them)? */
  async requiresSecondFactor(user: User): Promise<boolean> {
    return (await this.deps.factors.methods(user)).length > 0;
  }

  /** A password-authenticated user: through, or a ticket. */
  private async admit(req: RequestView, endpoint: string, user: User): Promise<VerifiedLogin> {
    const { factors, devices, tickets, audit } = this.deps;
    const methods = await factors.methods(user);
    if (methods.length === 0) return verified(user, endpoint, 'password');
    if (devices && (await devices.recognise(user, req))) return verified(user, endpoint, 'trusted_device');
    const { ticket, expiresIn } = await tickets.issue(user, endpoint, this.client(req));
    const challenges = await factors.challenges(user);
    audit({ event: 'mfa_required', endpoint, userId: user.id });
    throw new MfaRequired({ ticket, methods, expiresIn, challenges });
  }

  /** A second call: the ticket, the user, the proof; then the ticket is used. */
  private async redeem(ctx: HandlerContext, attempt: LoginAttempt, call: SecondCall): Promise<VerifiedLogin> {
    const { tickets, users, factors, devices, audit } = this.deps;
    const { endpoint } = attempt;
    const refuse = (code: MfaRefused['code'], userId?: number): never => {
      audit({ event: 'mfa_refused', endpoint, ...(userId === undefined ? {} : { userId }), reason: code });
      throw new MfaRefused(code);
    };
    const record = await tickets.open(call.ticket, endpoint, this.client(ctx.req)).catch((e: unknown) => {
      if (e instanceof MfaRefused) refuse(e.code);
      throw e;
    });
    const user = await users.getById(record.userId);
    if (!user || !user.isActive || (user.credentialGeneration ?? 0) !== record.generation || (attempt.eligible && !attempt.eligible(user))) {
      await tickets.kill(record);
      return refuse('mfa_ticket_invalid', record.userId);
    }
    if (!(await factors.verify(user, call.proof, { endpoint, address: this.deps.clientAddress(ctx.req) }))) {
      await tickets.fail(record);
      return refuse('mfa_code_invalid', user.id);
    }
    await tickets.consume(record);
    if (call.rememberDevice && devices) ctx.setCookie(await devices.remember(user, ctx.req));
    return verified(user, endpoint, 'second_factor');
  }

  private client(req: RequestView): string {
    return clientDigest(this.deps.clientAddress(req), req);
  }
}
