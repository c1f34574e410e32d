/**
 * `gatehouse import-django --from <Django database>`: users (password hashes as they
 * are), DRF authtoken keys, knox tokens and simplejwt's outstanding/blacklisted tokens
 * into the Gatehouse database, so that every user logs in with the same password and
 * every token handed out keeps working (or stays refused). See
 * docs/migrating-from-django.md.
 *
 * 1. read and check every Django row (any bad row: all problems listed, nothing written);
 * 2. in ONE Gatehouse transaction: compare with what is there (`plan.ts`); conflicts
 *    refuse everything unless `--skip-conflicts`; `--dry-run` stops here and reports;
 * 3. write, commit, and print a summary. A second run finds everything present and says so.
 */
import type { Command } from 'commander';
import type { Settings } from '../../core/settings.js';
import { InvalidRows, TABLES, readDjango, type DjangoData } from './django.js';
import { makePlan, planSize, writePlan, type Plan } from './plan.js';
import { Progress, type ProgressOutput } from './progress.js';
import { openSource, SourceError } from './source.js';
import { openTarget } from './target.js';
import { checkCreatable, describeDatabase } from '../database.js';
import { cliEventSink } from '../events.js';
import { apiKeyEvent } from '../../apikeys/events.js';
import type { WrittenApiKey } from './apikeys.js';

export interface ImportDjangoOptions {
  db?: string;
  config?: string;
  from: string;
  dryRun?: boolean;
  skipConflicts?: boolean;
  userTable?: string;
}

export interface ImportDjangoDeps {
  readonly io: { stdout: (text: string) => void; stderr: (text: string) => void };
  readonly settingsFor: (opts: { db?: string; config?: string }) => Settings;
  readonly common: (cmd: Command) => Command;
  readonly fail: (message: string, exitCode?: number) => Error;
  /** Where the progress bar goes (default: standard error, drawn only when it is a terminal). */
  readonly progress?: ProgressOutput;
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

function limitLines(lines: string[], max = 20): string {
  const shown = lines.slice(0, max).map((l) => `  - ${l}`);
  if (lines.length > max) shown.push(`  … and ${lines.length - max} more`);
  return shown.join('\n');
}

/** "3 users, 2 tokens (1 DRF, 1 knox) and 2 simplejwt tokens (1 blacklisted)" for what a plan adds. */
function describeAdded(plan: Plan): string {
  const drf = plan.tokens.add.filter((t) => t.kind === 'drf').length;
  const knox = plan.tokens.add.length - drf;
  const blacklisted = plan.outstanding.add.filter((o) => o.blacklistedAt !== null).length;
  const parts = [
    plural(plan.users.add.length, 'user'),
    `${plural(plan.tokens.add.length, 'token')} (${drf} DRF authtoken, ${knox} knox)`,
    `${plural(plan.outstanding.add.length, 'simplejwt refresh/sliding token')} (${blacklisted} blacklisted)`,
  ];
  if (plan.outstanding.blacklist.length > 0) parts.push(`${plural(plan.outstanding.blacklist.length, 'blacklisting')} of tokens Gatehouse already records`);
  if (plan.apiKeys.add.length > 0) parts.push(`${plural(plan.apiKeys.add.length, 'djangorestframework-api-key key')}`);
  return parts.join(', ');
}

function describePresent(plan: Plan): string {
  return `${plural(plan.users.present, 'user')}, ${plural(plan.tokens.present, 'token')}, ${plural(plan.outstanding.present, 'simplejwt token')}`;
}

function sourceNotes(data: DjangoData): string {
  const notes: string[] = [];
  if (data.missing.length > 0) notes.push(`not in the Django database (app not installed): ${data.missing.join(', ')}`);
  if (data.missing.includes(TABLES.emailAddress)) notes.push('without allauth the project never verified e-mail addresses: imported addresses count as verified, except those of inactive users who never logged in (djoser sign-ups never activated: they stay pending)');
  if (data.expired.knox > 0) notes.push(`${plural(data.expired.knox, 'expired knox token')} left out`);
  if (data.expired.outstanding > 0) notes.push(`${plural(data.expired.outstanding, 'expired simplejwt token')} left out`);
  return notes.map((n) => `Note: ${n}.\n`).join('');
}

function changedNote(plan: Plan): string {
  const names = plan.users.changed;
  if (names.length === 0) return '';
  const shown = names.length > 20 ? `${names.slice(0, 20).join(', ')} … and ${names.length - 20} more` : names.join(', ');
  return `Kept Gatehouse's data for ${plural(names.length, 'user')} already imported whose password hash, e-mail, names, flags or date joined differ from Django's (changed in Gatehouse since, e.g. a password rehashed on login): ${shown}.\n${
    plan.tokens.ofChangedUsers > 0 ? `Their Django tokens not in Gatehouse (${plan.tokens.ofChangedUsers}) were left out: a password change in Gatehouse may have revoked them.\n` : ''
  }`;
}

function skippedNote(plan: Plan): string {
  if (plan.users.skipped.length === 0 && plan.tokens.skipped === 0 && plan.outstanding.skipped === 0) return '';
  return `Left out because of conflicts (--skip-conflicts): ${plural(plan.users.skipped.length, 'user')} (${plan.users.skipped
    .map((u) => u.username)
    .join(', ')}), ${plural(plan.tokens.skipped, 'token')}, ${plural(plan.outstanding.skipped, 'simplejwt token')}:\n${limitLines(plan.conflicts)}\n`;
}

/** What the run did (or, dry, would do), printed after the transaction committed. */
function summary(plan: Plan, dryRun: boolean): string {
  const notes = changedNote(plan) + skippedNote(plan);
  const present = `Already in Gatehouse: ${describePresent(plan)}.\n`;
  if (dryRun) {
    const names = plan.users.add.map((u) => u.username);
    const users = names.length === 0 ? '' : `Users to import: ${names.slice(0, 20).join(', ')}${names.length > 20 ? ` … and ${names.length - 20} more` : ''}.\n`;
    const what = planSize(plan) === 0 ? 'Dry run: nothing to import.\n' : `Dry run: would import ${describeAdded(plan)}.\n${users}`;
    return `${what}${present}${notes}Nothing was written (--dry-run).\n`;
  }
  if (planSize(plan) === 0) return `Nothing to import: everything is already in Gatehouse (${describePresent(plan)}).\n${notes}`;
  return `Imported ${describeAdded(plan)}.\n${present}${notes}`;
}

/** Read and check every Django row (the source is closed again before anything is written). */
async function readSource(from: string, userTable: string, fail: ImportDjangoDeps['fail']): Promise<DjangoData> {
  const source = await openSource(from).catch((e: unknown) => {
    throw e instanceof SourceError ? fail(e.message) : e;
  });
  try {
    return await readDjango(source, { userTable, now: Date.now() });
  } catch (e) {
    if (e instanceof InvalidRows) throw fail(`import-django: ${e.message}; nothing was imported:\n${limitLines(e.problems)}`);
    throw e;
  } finally {
    await source.close();
  }
}

/** Run the import; resolves to the plan that was (or, with `dryRun`, would be) written. */
export async function importDjango(opts: ImportDjangoOptions, deps: ImportDjangoDeps): Promise<Plan> {
  const { io, fail } = deps;
  const progress = new Progress(deps.progress ?? { write: (t) => process.stderr.write(t), isTTY: process.stderr.isTTY === true, columns: process.stderr.columns });
  const userTable = opts.userTable ?? 'auth_user';
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(userTable)) throw fail(`--user-table: not a table name: "${userTable}"`, 2);
  const settings = deps.settingsFor(opts);
  // Like `migrate`, the import may create the Gatehouse database (in a directory that exists); it names it first.
  checkCreatable(settings.database);
  io.stderr(`gatehouse: database ${describeDatabase(settings.database)}\n`);
  const data = await readSource(opts.from, userTable, fail);
  const target = await openTarget(settings.database);
  let written: WrittenApiKey[] = [];
  try {
    const plan = await target.transaction(async (sql) => {
      const checking = progress.step('checking', data.users.length + data.tokens.length + data.outstanding.length);
      const made = await makePlan(sql, data, checking.tick);
      checking.done();
      if (made.conflicts.length > 0 && opts.skipConflicts !== true) {
        throw fail(
          `import-django: ${plural(made.conflicts.length, 'conflict')} with the Gatehouse database; nothing was imported:\n${limitLines(made.conflicts)}\n` +
            'Resolve them (e.g. delete or rename the Gatehouse users), or run with --skip-conflicts to import everything else.',
        );
      }
      if (opts.dryRun !== true && planSize(made) > 0) {
        const writing = progress.step('importing', planSize(made));
        written = await writePlan(sql, made, target.dialect, writing.tick);
        writing.done();
      }
      return made;
    });
    io.stdout(sourceNotes(data) + summary(plan, opts.dryRun === true));
    reportImportedKeys(written, settings, io);
    return plan;
  } finally {
    await target.close();
  }
}

/** One `apikey_created` event (`via: import`) per key written, once the transaction committed. */
function reportImportedKeys(written: WrittenApiKey[], settings: Settings, io: ImportDjangoDeps['io']): void {
  if (written.length === 0) return;
  const emit = cliEventSink(settings, io.stderr);
  for (const k of written) emit(apiKeyEvent('apikey_created', k, { via: 'import' }));
}

/** Register `import-django` on the program (main.ts passes what every command shares). */
export function registerImportDjango(program: Command, deps: ImportDjangoDeps): void {
  deps
    .common(
      program
        .command('import-django')
        .description('import users (password hashes kept), DRF authtoken and knox tokens, and simplejwt blacklists from a Django database, in one transaction'),
    )
    .requiredOption('--from <sqlite-path-or-postgres-url>', "the Django project's database (SQLite file or postgres:// URL); only read")
    .option('--dry-run', 'report what would be imported, write nothing')
    .option('--skip-conflicts', 'import everything except users that collide with Gatehouse users (and their tokens); default: refuse')
    .option('--user-table <name>', "Django's user table (a custom user model with AbstractUser's columns)", 'auth_user')
    .action(async (opts: ImportDjangoOptions) => {
      await importDjango(opts, deps);
    });
}
