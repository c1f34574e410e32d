/**
 * New passwords from the command line (`createuser`, `changepassword`) go through the
 * password validators (`passwords.validators`), as Django's `createsuperuser` and
 * `changepassword` do:
 *
 * - on a terminal, the validators' messages are shown; `createuser` then asks Django's
 *   `Bypass password validation and create user anyway? [y/N]: ` (y keeps the password,
 *   anything else asks for another), `changepassword` asks for another, as Django; after
 *   three refused passwords nothing is changed;
 * - from standard input (`--password-stdin`), a refused password fails the command
 *   (exit 1) with the messages. Django's non-interactive `createsuperuser` does not
 *   validate at all; Gatehouse refuses unless `--skip-password-validation` is given, so
 *   that a script cannot set a weak password by accident (docs/security.md #118);
 * - `--skip-password-validation` turns validation off for the command.
 *
 * The password itself is never printed.
 */
import type { PasswordOwner } from '../accounts/types.js';
import type { Settings } from '../core/settings.js';
import { CommonPasswordsFileError, PasswordValidators } from '../passwords/validators.js';
import { CliError } from './errors.js';
import { PromptAborted } from './prompt.js';

const TRIES = 3;
export const BYPASS_QUESTION = 'Bypass password validation and create user anyway? [y/N]: ';

export interface PasswordCheck {
  command: 'createuser' | 'changepassword';
  username: string;
  owner: PasswordOwner;
  /** Read the password: asked on the terminal (`interactive`) or read from standard input. */
  read: () => Promise<string>;
  interactive: boolean;
  skipValidation: boolean;
  io: { stderr: (text: string) => void; promptLine?: (question: string) => Promise<string> };
}

/** The configured validators, the common-password list read now (a missing file is a clear error). */
export function validatorsFor(settings: Settings): PasswordValidators {
  try {
    return PasswordValidators.fromSettings(settings.passwords).load();
  } catch (e) {
    if (e instanceof CommonPasswordsFileError) throw new CliError(e.message);
    throw e;
  }
}

/** Django's y/N question; an abandoned prompt changes nothing. */
async function bypass(promptLine: (question: string) => Promise<string>, command: string): Promise<boolean> {
  try {
    return (await promptLine(BYPASS_QUESTION)).trim().toLowerCase() === 'y';
  } catch (e) {
    if (e instanceof PromptAborted) throw new CliError(`${command}: no answer (${e.message}); nothing was changed`);
    throw e;
  }
}

/** A password the validators accept (or the operator kept); throws `CliError` otherwise. */
export async function acceptablePassword(validators: PasswordValidators, check: PasswordCheck): Promise<string> {
  const { command, io } = check;
  if (check.skipValidation) return check.read();
  if (!check.interactive) {
    const password = await check.read();
    const messages = validators.validate(password, check.owner);
    if (messages.length === 0) return password;
    throw new CliError(`${command}: the password was refused; nothing was changed:\n${messages.map((m) => `  ${m}\n`).join('')}choose another, or pass --skip-password-validation to keep it anyway`);
  }
  for (let attempt = 0; attempt < TRIES; attempt++) {
    const password = await check.read();
    const messages = validators.validate(password, check.owner);
    if (messages.length === 0) return password;
    io.stderr(`${messages.join('\n')}\n`);
    if (command === 'createuser' && io.promptLine && (await bypass(io.promptLine, command))) return password;
  }
  const what = command === 'createuser' ? 'creation of' : 'password change for';
  throw new CliError(`${command}: Aborting ${what} user "${check.username}" after ${TRIES} attempts; nothing was changed`);
}
