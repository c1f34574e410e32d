/**
 * Account e-mails: the link, the message, the per-address throttle and what a failure
 * means — decided here for every operation.
 *
 * - Links are `{accounts.protocol}://{accounts.domain}/{template}` with the template's
 *   `{uid}`, `{token}`, `{key}` filled in: from the settings, never from a request
 *   (docs/security.md, case 141).
 * - `admit(address)`: `throttle.accountEmailRate` per address (case-insensitive, the
 *   address hashed in the key), counted in the shared throttle store. Operations that
 *   name an address ask before looking anything up, so the count and its failures do not
 *   depend on whether an account matches; a refused address gets no mail and the same
 *   answer (case 142).
 * - `deliver(…, 'notify', done)`: the state changed and the answer reveals nothing, so a
 *   backend failure is told: `AccountEmailFailed(done)` (the routes answer 503, the mail
 *   can be asked for again).
 * - `deliver(…, 'quiet')`: the answer must not depend on the mail; a failure is an
 *   `account_email_not_sent` event (never with the link) and the call resolves.
 * - `background(…)`: as quiet, but not awaited, so a request that mails answers as fast
 *   as one that does not (`settled()` waits for the sends in flight).
 */
import { createHash } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import type { EventSink } from '../core/events.js';
import type { Settings } from '../core/settings.js';
import type { User } from '../core/user.js';
import type { Mailer } from '../email/mailer.js';
import type { EmailContext, EmailKind } from '../email/templates.js';
import type { ThrottleStore } from '../stores/types.js';
import { parseRate, type Rate } from '../throttle/rate.js';
import { AccountEmailFailed } from './types.js';

/** The account settings lack what an operation needs (a programming or deployment error, not the caller's). */
export class AccountsNotConfigured extends Error {
  override name = 'AccountsNotConfigured';
}

/** The kinds of mail the account service sends. */
export type AccountMailKind = Exclude<EmailKind, 'test_email'>;

export interface AccountMailOptions {
  /** Renders a kind's templates and hands the message to the backend. */
  mailer: Mailer;
  settings: Settings['accounts'];
  throttleStore: ThrottleStore;
  /** `throttle.accountEmailRate`; null: no limit. */
  rate: string | null;
  clock: Clock;
  events: EventSink;
}

/** One message to send: its kind, its recipient, the user it is about, its link. */
export interface AccountMailItem {
  kind: AccountMailKind;
  to: string;
  user: User;
  url?: string;
}

export class AccountMail {
  private readonly rate: Rate | null;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly options: AccountMailOptions) {
    this.rate = parseRate(options.rate);
  }

  /**
   * Throws `AccountsNotConfigured` without `accounts.domain`: called before an operation
   * that mails a link changes anything (the route sets cannot start without it; a
   * library caller learns it before an account is half made).
   */
  requireDomain(): string {
    const { domain } = this.options.settings;
    if (domain === null) throw new AccountsNotConfigured('accounts.domain is not set: account e-mails need the front end their links point to');
    return domain;
  }

  /** The front-end link: `template` with `params` filled in, on the configured protocol and domain. */
  link(template: string, params: Readonly<Record<string, string>>): string {
    const { protocol } = this.options.settings;
    const domain = this.requireDomain();
    const path = template.replace(/\{(uid|token|key)\}/g, (_, name: string) => params[name] ?? '');
    return `${protocol}://${domain}/${path}`;
  }

  /** May one more account e-mail go to `address`? Counted when it may. */
  async admit(address: string): Promise<boolean> {
    if (!this.rate || address === '') return true;
    const digest = createHash('sha256').update(address.toLowerCase(), 'utf8').digest('hex').slice(0, 32);
    const hit = await this.options.throttleStore.hit(`account_email_${digest}`, this.rate.num, this.rate.durationMs, this.options.clock.now());
    return hit.allowed;
  }

  /** Send now; `notify` throws `AccountEmailFailed(done)` on a backend failure, `quiet` logs it. */
  async deliver(item: AccountMailItem, policy: 'notify', done: string): Promise<void>;
  async deliver(item: AccountMailItem, policy: 'quiet'): Promise<void>;
  async deliver(item: AccountMailItem, policy: 'notify' | 'quiet', done?: string): Promise<void> {
    try {
      await this.send(item);
    } catch (e) {
      this.notSent(item.kind, item.user, 'failed', e);
      if (policy === 'notify') throw new AccountEmailFailed(done ?? 'Done');
    }
  }

  /** Send without waiting; a failure is logged. */
  background(item: AccountMailItem): void {
    const sending = this.deliver(item, 'quiet').finally(() => this.inFlight.delete(sending));
    this.inFlight.add(sending);
  }

  /** Resolves once every background send started so far has ended. */
  async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  /** Record a mail that was not sent (`throttled` by `admit`, or `failed`); `user` when one was looked up. */
  notSent(kind: AccountMailKind, user: User | null, reason: 'failed' | 'throttled', error?: unknown): void {
    this.options.events({
      event: 'account_email_not_sent',
      kind,
      ...(user ? { userId: user.id } : {}),
      reason,
      ...(error instanceof Error ? { error: error.message } : {}),
    });
  }

  private async send(item: AccountMailItem): Promise<void> {
    const { siteName, domain, protocol } = this.options.settings;
    const context: EmailContext<AccountMailKind> = { siteName, domain: domain ?? '', protocol, username: item.user.username, email: item.to, url: item.url ?? '' };
    await this.options.mailer.send(item.kind, item.to, context);
  }
}
