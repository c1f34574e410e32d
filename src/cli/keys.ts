/**
 * `gatehouse keys rotate | list | retire <kid>`: the JWT signing-key ring.
 *
 * Each command opens the database named by the settings (`--db`, `--config`, the
 * environment) directly — it does not start the application, so a ring that the
 * server refuses (e.g. keys of another algorithm) can still be repaired. The database
 * must exist already (`gatehouse migrate` creates it); it is named on standard error.
 * Running servers see every change on their next request (the store's change signal).
 *
 * - `rotate`: a new key in `jwt.algorithm` becomes the active signer; the previous
 *   active key stays valid for verification until retired. Needs the server secret,
 *   resolved as `serve` does (configured, or the generated `<db>.secret` file).
 * - `list`: kid, algorithm, status, creation and retirement times — never key material.
 * - `retire <kid>`: the key verifies nothing from the next request on; the active key
 *   only with `--force`.
 *
 * Failure modes: exit 1 with a one-line message (unknown kid, ring not decryptable with
 * this secret, keys of another algorithm, bad settings); exit 2 on wrong usage.
 */
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { drfDateTime } from '../core/json.js';
import type { Settings } from '../core/settings.js';
import { isJwsAlgorithm } from '../jwt/jws/index.js';
import { JwtKeyConfigError, KeyRingError, listKeys, retireKey, rotateKey } from '../jwt/keyring/index.js';
import { openStores } from '../server/app.js';
import { resolveSecret } from '../server/secret.js';
import type { Stores } from '../stores/types.js';

/** `--db` / `--config` as every command takes them. */
export interface KeyCommandOptions {
  db?: string;
  config?: string;
}

/** What the key commands borrow from the main program (passed in to avoid an import cycle). */
export interface KeyCommandDeps {
  readonly io: { stdout: (text: string) => void; stderr: (text: string) => void };
  /** Settings for these options, as the other commands load them. */
  readonly settingsFor: (opts: KeyCommandOptions) => Settings;
  /** Adds `--db` and `--config` to a command. */
  readonly common: (cmd: Command) => Command;
  /** The error the CLI prints without a stack trace (main.ts's `CliError`). */
  readonly fail: (message: string, exitCode?: number) => Error;
  /** Refuses a database that does not exist (before anything is written) and names the one in use. */
  readonly useDatabase?: (settings: Settings) => Promise<void>;
}

export function registerKeyCommands(program: Command, deps: KeyCommandDeps): void {
  const { io, common, fail } = deps;
  /** The settings, once the database they name is known to exist. */
  const settingsFor = async (opts: KeyCommandOptions): Promise<Settings> => {
    const settings = deps.settingsFor(opts);
    await deps.useDatabase?.(settings);
    return settings;
  };
  const keys = program.command('keys').description('manage the JWT signing-key ring (rotation with kid)');

  /** Runs `fn` on the stores of the settings, mapping key-ring errors to CLI errors. */
  const withStores = async <T>(settings: Settings, fn: (stores: Stores) => Promise<T>): Promise<T> => {
    const stores = await openStores(settings);
    try {
      return await fn(stores);
    } catch (e) {
      if (e instanceof KeyRingError || e instanceof JwtKeyConfigError) throw fail(`keys: ${e.message}`);
      throw e;
    } finally {
      await stores.close();
    }
  };
  const when = (ms: number | null) => (ms === null ? '-' : drfDateTime(ms));

  common(
    keys
      .command('rotate')
      .description('create a new signing key in jwt.algorithm and make it active; the previous active key stays valid for verification until retired'),
  ).action(async (opts: KeyCommandOptions) => {
    const settings = await settingsFor(opts);
    const algorithm = settings.jwt.algorithm;
    if (!isJwsAlgorithm(algorithm)) throw fail(`keys rotate: unsupported jwt.algorithm "${String(algorithm)}"`);
    const secret = resolveSecret(settings.secretKey, settings.database);
    if (secret.generated) io.stderr(`gatehouse: no secretKey configured: generated one into ${secret.file ? resolve(secret.file) : 'the secret file'} (mode 0600); keep it safe\n`);
    await withStores(settings, async (stores) => {
      const before = (await listKeys({ keys: stores.keys })).find((k) => k.status === 'active');
      const key = await rotateKey({ keys: stores.keys, algorithm, secretKey: secret.secret });
      io.stdout(
        `Created key ${key.kid} (${key.alg}); it now signs new tokens.${before ? ` Key ${before.kid} is verify-only until retired (gatehouse keys retire ${before.kid}).` : ''}\n`,
      );
    });
  });

  common(keys.command('list').description('list the ring keys: kid, algorithm, status, created, retired (never key material)')).action(
    async (opts: KeyCommandOptions) => {
      await withStores(await settingsFor(opts), async (stores) => {
        const list = await listKeys({ keys: stores.keys });
        if (list.length === 0) io.stdout('The key ring is empty (tokens are signed with the static key from the settings).\n');
        for (const k of list) io.stdout(`${k.kid}\t${k.alg}\t${k.status}\tcreated ${when(k.createdAt)}\tretired ${when(k.retiredAt)}\n`);
      });
    },
  );

  common(keys.command('retire').description('retire a key: tokens signed with it are refused from the next request on').argument('<kid>'))
    .option('--force', 'also retire the active key (new tokens are then signed with the static key, if any)')
    .action(async (kid: string, opts: KeyCommandOptions & { force?: boolean }) => {
      await withStores(await settingsFor(opts), async (stores) => {
        await retireKey({ keys: stores.keys, kid, force: opts.force === true });
        io.stdout(`Retired key ${kid}; tokens signed with it are refused from now on.\n`);
      });
    });
}
