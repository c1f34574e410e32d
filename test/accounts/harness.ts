/**
 * The account service under test: a whole Gatehouse (so password changes really revoke
 * opaque tokens and JWT refresh families through the user service's listeners) over the
 * given stores, with a fake clock, the in-memory e-mail backend (or one the test gives)
 * and a captured log.
 */
import { Writable } from 'node:stream';
import { FakeClock } from '../../src/core/clock.js';
import { mergeSettings, parseSettings } from '../../src/core/settings.js';
import type { EmailBackend, EmailMessage } from '../../src/email/types.js';
import { MemoryEmailBackend } from '../../src/email/memory.js';
import { createGatehouse, type Gatehouse } from '../../src/server/app.js';
import { createLogger } from '../../src/server/logger.js';
import { MemoryStores } from '../../src/stores/memory/index.js';
import { SqliteStores } from '../../src/stores/sqlite/index.js';
import type { Stores } from '../../src/stores/types.js';

export const SECRET = 'django-insecure-accounts-test-secret-key-0123456789abcdef';
export const STRONG = 'correct-horse-battery';
export const STRONG2 = 'another-staple-7391';

/** The stores every behaviour runs on. */
export const STORE_KINDS: ReadonlyArray<readonly [string, () => Stores]> = [
  ['memory', () => new MemoryStores()],
  ['sqlite', () => SqliteStores.open(':memory:')],
];

class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: string, cb: () => void): void {
    this.text += chunk.toString('utf8');
    cb();
  }
}

export interface Harness {
  app: Gatehouse;
  outbox: MemoryEmailBackend;
  clock: FakeClock;
  /** Everything logged (security events included). */
  log: Capture;
  /** Wait for background mails, then the messages sent to `to` (all when omitted). */
  mails(to?: string): Promise<EmailMessage[]>;
  close(): Promise<void>;
}

export async function harness(stores: Stores, overrides: Record<string, unknown> = {}, email?: EmailBackend): Promise<Harness> {
  const clock = new FakeClock();
  const outbox = new MemoryEmailBackend();
  const log = new Capture();
  const settings = parseSettings(
    mergeSettings(
      {
        database: ':memory:',
        secretKey: SECRET,
        logLevel: 'info',
        accounts: { domain: 'localhost:3000', protocol: 'http', siteName: 'Oracle' },
        email: { backend: 'memory' },
      },
      overrides,
    ),
  );
  const app = await createGatehouse(settings, { stores, clock, email: email ?? outbox, logger: createLogger('info', log) });
  return {
    app,
    outbox,
    clock,
    log,
    async mails(to) {
      await app.accounts.settled();
      return outbox.messages.filter((m) => to === undefined || m.to.includes(to));
    },
    close: () => app.close(),
  };
}

/** The `{uid}` and `{token}` (or `{key}`) of the first link in `message` after `prefix`. */
export function linkParts(message: EmailMessage | undefined, prefix: string): string[] {
  if (!message) throw new Error(`no message (looking for ${prefix})`);
  const start = message.text.indexOf(prefix);
  if (start < 0) throw new Error(`no link ${prefix} in: ${message.text}`);
  const rest = message.text.slice(start + prefix.length).split(/\s/)[0]!;
  return rest.split('/').filter((p) => p !== '');
}

export const ACTIVATE = 'http://localhost:3000/#/activate/';
export const RESET = 'http://localhost:3000/#/password/reset/confirm/';
export const ALLAUTH_RESET = 'http://localhost:3000/password-reset/confirm/';
export const USERNAME_RESET = 'http://localhost:3000/#/username/reset/confirm/';
export const CONFIRM = 'http://localhost:3000/dj-rest-auth/registration/account-confirm-email/';
