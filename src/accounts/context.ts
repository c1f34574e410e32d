/**
 * What every account operation works with: the settings, the stores and user service,
 * the clock, the security-event sink, the purpose-bound links (`AccountLinks`), the
 * mailer (`AccountMail`) and the password validators. Built once by `AccountService`.
 */
import type { Clock } from '../core/clock.js';
import type { EventSink } from '../core/events.js';
import type { Settings } from '../core/settings.js';
import type { User } from '../core/user.js';
import type { Stores } from '../stores/types.js';
import type { UserService } from '../users/service.js';
import type { AccountLinks } from './tokens.js';
import type { AccountMail } from './mail.js';
import type { PasswordOwner } from './types.js';

export interface AccountContext {
  settings: Settings['accounts'];
  stores: Stores;
  users: UserService;
  clock: Clock;
  events: EventSink;
  links: AccountLinks;
  mail: AccountMail;
  /** Django's validators' messages for `password` (empty: acceptable). */
  validate(password: string, owner: PasswordOwner): string[];
}

/** The user as stored now (after a write), or `fallback` when the row is gone. */
export async function reread(ctx: AccountContext, fallback: User): Promise<User> {
  return (await ctx.stores.users.getById(fallback.id)) ?? fallback;
}
