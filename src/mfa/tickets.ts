/**
 * MFA tickets: what a password login of a user with a second factor gets instead of a
 * credential. A ticket is 256 random bits (`mfa_` + base64url), stored only as its
 * SHA-256; bound to the user (and the credential generation the password was checked
 * against), the login endpoint and the client (address and User-Agent, digested);
 * it expires (`mfa.ticketLifetime`), takes `mfa.ticketAttempts` wrong proofs, and is used
 * once (`consume`, atomic in the store).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import type { RequestView } from '../core/request.js';
import type { User } from '../core/user.js';
import type { MfaTicketRecord, MfaTicketStore } from '../stores/types.js';
import { MfaRefused } from './errors.js';

const PREFIX = 'mfa_';
const FORMAT = /^mfa_[A-Za-z0-9_-]{43}$/;

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** The client a ticket is bound to: the resolved client address and the User-Agent, digested. */
export function clientDigest(address: string, req: RequestView): string {
  return sha256(`${address}\n${sha256(req.headers['user-agent'] ?? '')}`);
}

const sameDigest = (a: string, b: string): boolean => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

export interface MfaTicketOptions {
  lifetimeMs: number;
  attempts: number;
  clock: Clock;
}

export class MfaTickets {
  constructor(
    private readonly store: MfaTicketStore,
    private readonly options: MfaTicketOptions,
  ) {}

  /** A new ticket for `user` at `endpoint` for `client` (`clientDigest`); expired ones are swept first. */
  async issue(user: User, endpoint: string, client: string): Promise<{ ticket: string; expiresIn: number }> {
    const now = this.options.clock.now();
    await this.store.deleteExpired(now);
    const ticket = PREFIX + randomBytes(32).toString('base64url');
    await this.store.create({
      digest: sha256(ticket),
      userId: user.id,
      endpoint,
      client,
      generation: user.credentialGeneration ?? 0,
      createdAt: now,
      expiresAt: now + this.options.lifetimeMs,
      attemptsLeft: this.options.attempts,
    });
    return { ticket, expiresIn: Math.floor(this.options.lifetimeMs / 1000) };
  }

  /**
   * The live ticket `ticket` names, presented at `endpoint` by `client`; else `MfaRefused`
   * saying why (unknown, used, exhausted, expired, another endpoint, another client).
   */
  async open(ticket: string, endpoint: string, client: string): Promise<MfaTicketRecord> {
    const record = FORMAT.test(ticket) ? await this.store.get(sha256(ticket)) : null;
    if (!record) throw new MfaRefused('mfa_ticket_invalid');
    if (record.usedAt !== null) throw new MfaRefused('mfa_ticket_used');
    if (record.attemptsLeft <= 0) throw new MfaRefused('mfa_ticket_exhausted');
    if (record.expiresAt <= this.options.clock.now()) throw new MfaRefused('mfa_ticket_expired');
    if (record.endpoint !== endpoint) throw new MfaRefused('mfa_ticket_wrong_endpoint');
    if (!sameDigest(record.client, client)) throw new MfaRefused('mfa_ticket_wrong_client');
    return record;
  }

  /** Count a wrong proof against the ticket. */
  async fail(record: MfaTicketRecord): Promise<void> {
    await this.store.fail(record.digest);
  }

  /** Spend the ticket without a login (its user can no longer use it: credentials changed, account gone). */
  async kill(record: MfaTicketRecord): Promise<void> {
    await this.store.consume(record.digest, this.options.clock.now());
  }

  /** Use the ticket: one caller wins; a loser (a concurrent second call) is told it was used. */
  async consume(record: MfaTicketRecord): Promise<void> {
    if (!(await this.store.consume(record.digest, this.options.clock.now()))) throw new MfaRefused('mfa_ticket_used');
  }
}
