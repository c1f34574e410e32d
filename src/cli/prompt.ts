/**
 * Password prompts on a terminal, as Django's `createsuperuser` / `changepassword`:
 * the password is typed twice, never echoed (the terminal is put in raw mode and nothing
 * is written back), and a blank or mismatched pair is asked for again (at most three
 * times). Ctrl-C or Ctrl-D on an empty line abandons the prompt.
 *
 * Only for a terminal: scripts pipe the password in with `--password-stdin`, and a
 * command whose standard input is not a terminal is refused instead of waiting (the
 * callers check `input.isTTY` first).
 */

/** The terminal a prompt talks to (process.stdin / process.stderr, or fakes in tests). */
export interface PromptStreams {
  input: NodeJS.ReadableStream & { isTTY?: boolean; isRaw?: boolean; setRawMode?: (raw: boolean) => unknown };
  output: { write: (text: string) => unknown };
}

/** The prompt was abandoned (Ctrl-C, Ctrl-D, end of input) or kept failing. */
export class PromptAborted extends Error {}

const ENTER = new Set(['\r', '\n']);
const ERASE = new Set(['\u007f', '\b']);

/** What one typed character does to the line being read. */
type Key = { kind: 'done' } | { kind: 'abort'; why: string } | { kind: 'erase' } | { kind: 'clear' } | { kind: 'char' } | { kind: 'ignore' };

function keyOf(ch: string, empty: boolean): Key {
  if (ENTER.has(ch)) return { kind: 'done' };
  if (ch === '\u0003') return { kind: 'abort', why: 'interrupted' };
  if (ch === '\u0004') return empty ? { kind: 'abort', why: 'end of input' } : { kind: 'ignore' };
  if (ERASE.has(ch)) return { kind: 'erase' };
  if (ch === '\u0015') return { kind: 'clear' };
  return ch < ' ' ? { kind: 'ignore' } : { kind: 'char' };
}

/** Read one line without echoing it. */
export function readHidden(prompt: string, { input, output }: PromptStreams): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    let value: string[] = [];
    let escape = false; // inside an escape sequence (arrow keys …): skipped up to its final letter
    const wasRaw = input.isRaw === true;
    const finish = (error?: Error) => {
      input.off('data', onData);
      input.off('end', onEnd);
      input.setRawMode?.(wasRaw);
      input.pause();
      output.write('\n');
      if (error) reject(error);
      else resolve(value.join(''));
    };
    const onEnd = () => finish(new PromptAborted('end of input'));
    const onData = (chunk: Buffer | string) => {
      const chars = [...String(chunk)];
      for (const [i, ch] of chars.entries()) {
        if (escape) {
          escape = !/[A-Za-z~]/.test(ch);
          continue;
        }
        if (ch === '\u001b') {
          escape = true;
          continue;
        }
        const key = keyOf(ch, value.length === 0);
        if (key.kind === 'done') {
          // What was typed ahead (the second entry pasted at once) is left for the next prompt.
          finish();
          if (i + 1 < chars.length) input.unshift(chars.slice(i + 1).join(''));
          return;
        }
        if (key.kind === 'abort') return finish(new PromptAborted(key.why));
        if (key.kind === 'erase') value = value.slice(0, -1);
        else if (key.kind === 'clear') value = [];
        else if (key.kind === 'char') value.push(ch);
      }
    };
    input.setRawMode?.(true); // echo off before the prompt shows: nothing typed after it is echoed
    output.write(prompt);
    input.setEncoding('utf8');
    input.on('data', onData);
    input.on('end', onEnd);
    input.resume();
  });
}

/**
 * A new password, typed twice without echo (Django's wording for the prompts and the
 * errors). Throws `PromptAborted` after three failed tries or when abandoned.
 */
export async function promptNewPassword(streams: PromptStreams, tries = 3): Promise<string> {
  for (let i = 0; i < tries; i++) {
    const first = await readHidden('Password: ', streams);
    if (first === '') {
      streams.output.write("Error: Blank passwords aren't allowed.\n");
      continue;
    }
    const second = await readHidden('Password (again): ', streams);
    if (first === second) return first;
    streams.output.write("Error: Your passwords didn't match.\n");
  }
  throw new PromptAborted(`no password after ${tries} tries`);
}

/** Read one visible line (the terminal echoes it: it stays in cooked mode), e.g. a y/N answer. */
export function readLine(prompt: string, { input, output }: PromptStreams): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    let line = '';
    const finish = (error?: Error) => {
      input.off('data', onData);
      input.off('end', onEnd);
      input.pause();
      if (error) reject(error);
      else resolve(line);
    };
    const onEnd = () => finish(new PromptAborted('end of input'));
    const onData = (chunk: Buffer | string) => {
      const text = String(chunk);
      const end = text.search(/[\r\n]/);
      if (end < 0) {
        line += text;
        if (line.length > 1024) finish(new PromptAborted('answer too long'));
        return;
      }
      line += text.slice(0, end);
      finish();
      const rest = text.slice(end + 1).replace(/^\n/, '');
      if (rest) input.unshift(rest);
    };
    output.write(prompt);
    input.setEncoding('utf8');
    input.on('data', onData);
    input.on('end', onEnd);
    input.resume();
  });
}
