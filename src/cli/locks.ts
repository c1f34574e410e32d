/**
 * `gatehouse locks` (who is locked out of logging in) and `gatehouse unlock USER`
 * (`--address IP` for an address): the login throttle's counters (`LoginThrottle`:
 * USERNAME, PAIR = username from one address, ADDRESS, DEVICE).
 *
 * The counters live in the `ThrottleStore` of the running servers. With `throttle.store
 * redis` (the default once `redis.url` is set) they are in Redis and these commands read
 * and clear them there. With `throttle.store memory` each server process keeps its own,
 * out of reach of any other process: the commands say so and exit 1 (restarting the
 * server clears them). While Redis is unreachable a server counts in its own memory
 * (`throttle.onStoreFailure: local`); those counters are out of reach too.
 *
 * `unlock USER` clears the USERNAME counter and every PAIR counter of that username (the
 * username as the throttle buckets it: `Alice` and `alice` are one). DEVICE counters are
 * named by the device cookie's random nonce, not by the username, so they are listed but
 * not cleared by `unlock USER`: a device that locked itself waits out its own lock (at
 * most `throttle.loginMaxBackoff`), or logs in without its device cookie. The clearing
 * itself is `unlockLogin` (src/throttle/unlock.ts), which emits the `login_unlocked` event.
 */
import type { Command } from 'commander';
import type { Redis } from 'ioredis';
import type { Settings } from '../core/settings.js';
import type { Gatehouse } from '../server/app.js';
import { closeRedisClient, createRedisClient, redactRedisUrl, RedisThrottleStore } from '../stores/redis/index.js';
import { whenReady } from '../stores/redis/connection.js';
import type { BackoffState } from '../stores/types.js';
import { addressIdent, usernameId } from '../throttle/index.js';
import { unlockLogin } from '../throttle/unlock.js';
import { cliEventSink } from './events.js';
import { CliError } from './errors.js';
import { formatDuration } from './format.js';

interface Options {
  db?: string;
  config?: string;
  redis?: string;
}

/** What the lock commands borrow from the main program. */
export interface LockCommandDeps {
  io: { stdout: (text: string) => void; stderr: (text: string) => void };
  common: (cmd: Command) => Command;
  settingsFor: (opts: Options) => Settings;
  withApp: <T>(opts: Options, fn: (app: Gatehouse) => Promise<T>) => Promise<T>;
}

/** Why a memory store cannot be reached, for the command's output and exit status 1. */
export const MEMORY_STORE =
  'the login throttle keeps its counters in the memory of each server process (throttle.store "memory"), ' +
  'out of reach of this command: restarting the server clears every lock. To list and clear locks from the CLI, ' +
  'share the counters in Redis: set redis.url (GATEHOUSE_REDIS, --redis) on the servers and here (throttle.store then defaults to "redis")';

/** The Redis throttle counters of the settings, for the duration of `fn`. */
async function withRedisCounters<T>(settings: Settings, fn: (c: { client: Redis; store: RedisThrottleStore; prefix: string; where: string }) => Promise<T>): Promise<T> {
  const url = settings.redis.url;
  if (settings.throttle.store !== 'redis' || url === null) throw new CliError(MEMORY_STORE);
  const where = `Redis ${redactRedisUrl(url)}`;
  const prefix = settings.redis.keyPrefix;
  const client = createRedisClient(url, { keyPrefix: prefix, timeoutMs: settings.redis.timeout });
  try {
    if (!(await whenReady(client, settings.redis.timeout))) throw new CliError(`${where} is unreachable: the login throttle's counters cannot be read`);
    return await fn({ client, store: new RedisThrottleStore(client, { keyPrefix: prefix }), prefix, where });
  } finally {
    await closeRedisClient(client);
  }
}

/** Every key under `<prefix><pattern>` (SCAN, never KEYS), without the prefix. */
async function scanKeys(client: Redis, prefix: string, pattern: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await client.scan(cursor, 'MATCH', `${prefix}${pattern}`, 'COUNT', 500);
    cursor = next;
    for (const key of batch) keys.push(key.slice(prefix.length));
  } while (cursor !== '0');
  return [...new Set(keys)].sort();
}

/** A counter key → what it counts, with usernames resolved through `names` (username id → username). */
function describeKey(key: string, names: Map<string, string>): { kind: string; who: string } {
  const name = (id: string) => names.get(id) ?? `(no such user; username id ${id.slice(0, 12)}…)`;
  const pair = /^login_pair_([^_]+)_(.*)$/.exec(key);
  if (pair) return { kind: 'username from address', who: `${name(pair[1] as string)} from ${pair[2]}` };
  if (key.startsWith('login_username_')) return { kind: 'username', who: name(key.slice('login_username_'.length)) };
  if (key.startsWith('login_address_')) return { kind: 'address', who: key.slice('login_address_'.length) };
  return { kind: 'device', who: `device ${key.slice('login_device_'.length, 'login_device_'.length + 8)}…` };
}

const stateText = (state: BackoffState, now: number) =>
  `${state.lockedUntil > now ? `locked for ${formatDuration(Math.ceil((state.lockedUntil - now) / 1000) * 1000)} more` : 'not locked'}, ${state.failures} failure${state.failures === 1 ? '' : 's'}`;

export function registerLockCommands(program: Command, deps: LockCommandDeps): void {
  const { io, common, settingsFor, withApp } = deps;

  common(program.command('locks').description('list who is locked out of logging in (the login throttle; needs throttle.store redis)'))
    .option('--all', 'also list counters with failures that are not locked (yet)')
    .action(async (opts: Options & { all?: boolean }) => {
      const settings = settingsFor(opts);
      if (settings.throttle.store !== 'redis' || settings.redis.url === null) throw new CliError(`locks: ${MEMORY_STORE}`);
      await withApp(opts, async (app) => {
        const names = new Map<string, string>();
        for (const u of await app.stores.users.list()) if (!names.has(usernameId(u.username))) names.set(usernameId(u.username), u.username);
        await withRedisCounters(settings, async ({ client, store, prefix, where }) => {
          const now = Date.now();
          let shown = 0;
          for (const key of await scanKeys(client, prefix, 'login_*')) {
            const state = await store.backoff(key, now);
            if (!state || (!opts.all && state.lockedUntil <= now)) continue;
            const { kind, who } = describeKey(key, names);
            io.stdout(`${kind}\t${who}\t${stateText(state, now)}\n`);
            shown++;
          }
          if (shown === 0) io.stdout(`Nobody is locked out (login throttle counters in ${where}).\n`);
        });
      });
    });

  common(program.command('unlock').description("clear a username's login lock-outs (and with --address, an address's); needs throttle.store redis").argument('[username]'))
    .option('--address <ip>', "also clear this client address's counter (IPv6: its /64)")
    .action(async (username: string | undefined, opts: Options & { address?: string }) => {
      if (username === undefined && opts.address === undefined) throw new CliError('unlock: name a username, or an address with --address', 2);
      const settings = settingsFor(opts);
      if (settings.throttle.store !== 'redis' || settings.redis.url === null) throw new CliError(`unlock: ${MEMORY_STORE}`);
      await withRedisCounters(settings, async ({ client, store, prefix, where }) => {
        const { cleared, wereLocked } = await unlockLogin(
          { store, pairKeys: (name) => scanKeys(client, prefix, `login_pair_${usernameId(name)}_*`) },
          { ...(username !== undefined ? { username } : {}), ...(opts.address !== undefined ? { address: opts.address } : {}) },
          { events: cliEventSink(settings, io.stderr), by: 'cli', now: Date.now() },
        );
        const what = [username !== undefined ? `user ${username}` : '', opts.address !== undefined ? `address ${addressIdent(opts.address)}` : ''].filter(Boolean).join(' and ');
        io.stdout(
          cleared === 0
            ? `No login throttle counters for ${what} in ${where}: nothing to unlock.\n`
            : `Unlocked ${what}: cleared ${cleared} counter${cleared === 1 ? '' : 's'} (${wereLocked} locked) in ${where}; every server sees it on the next attempt.\n`,
        );
      });
    });
}
