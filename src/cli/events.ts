/**
 * Every `gatehouse` command that changes state logs a `cli` security event once it has
 * succeeded (a commander `postAction` hook): the command and, for the commands about one
 * user, the username (masked as `log.usernames` says). Never an option value or a token:
 * passwords come from a prompt or standard input, and nothing else is read.
 */
import type { Command } from 'commander';
import { eventLogger, type EventSink } from '../core/events.js';
import { loadSettings, type Settings } from '../core/settings.js';
import { createLogger } from '../server/logger.js';

/** Commands that change state; those whose first argument is a username are marked `true`. */
const STATE_CHANGING: ReadonlyMap<string, boolean> = new Map([
  ['migrate', false],
  ['createuser', true],
  ['changepassword', true],
  ['deleteuser', true],
  ['createtoken', true],
  ['tokens revoke', false],
  ['users set', true],
  ['unlock', true],
  ['mfa reset', true],
  ['keys rotate', false],
  ['keys retire', false],
  ['flushexpired', false],
  ['import-drf-tokens', false],
  ['import-django', false],
  ['apikeys create', false],
  ['apikeys revoke', false],
  ['apikeys update', false],
]);

/** `keys rotate` for the `rotate` subcommand of `keys`; `createuser` for a top-level one. */
function commandPath(action: Command): string {
  const parent = action.parent;
  return parent && parent.parent ? `${parent.name()} ${action.name()}` : action.name();
}

export interface CliEventOptions {
  /** Where the log line goes (the CLI's standard error). */
  write: (text: string) => void;
  env: NodeJS.ProcessEnv;
}

/** Security events of a command, as log lines on `write` at the settings' `logLevel` (usernames masked per `log.usernames`). */
export function cliEventSink(settings: Settings, write: (text: string) => void): EventSink {
  const logger = createLogger(settings.logLevel, { write: (line: string) => void write(line) });
  return eventLogger(logger, { usernames: settings.log.usernames, secretKey: settings.secretKey ?? '' });
}

/** The `postAction` hook: one `cli` event line on `write`, at the settings' `logLevel`. */
export function cliEventHook(options: CliEventOptions): (program: Command, action: Command) => void {
  return (_program, action) => {
    const command = commandPath(action);
    const aboutUser = STATE_CHANGING.get(command);
    if (aboutUser === undefined) return;
    const opts = action.opts<{ config?: string; db?: string }>();
    let settings;
    try {
      settings = loadSettings({ env: options.env, ...(opts.config ? { configPath: opts.config } : {}), overrides: opts.db ? { database: opts.db } : {} });
    } catch {
      return; // the command succeeded with these settings; a second reading cannot fail it
    }
    const emit = cliEventSink(settings, options.write);
    const username = aboutUser ? action.args[0] : undefined;
    emit({ event: 'cli', command, ...(username ? { username } : {}) });
  };
}
