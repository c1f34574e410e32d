/** The hidden password prompt on a fake terminal: raw mode, editing keys, abandoning. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { PromptAborted, promptNewPassword, readHidden } from '../../src/cli/prompt.js';

/** A fake terminal: records raw-mode switches and everything written to it. */
function terminal() {
  const input = Object.assign(new PassThrough(), { isTTY: true, isRaw: false, modes: [] as boolean[] });
  const raw = (on: boolean) => {
    input.modes.push(on);
    input.isRaw = on;
  };
  let screen = '';
  return { streams: { input: Object.assign(input, { setRawMode: raw }), output: { write: (t: string) => (screen += t) } }, input, screen: () => screen };
}

test('readHidden: raw mode while reading (no echo), restored after; backspace, Ctrl-U and arrow keys edit the line', async () => {
  const t = terminal();
  const reading = readHidden('Password: ', t.streams);
  t.input.write('secrex\u007ft\u001b[D\u0015se');
  t.input.write('cret\r');
  assert.equal(await reading, 'secret');
  assert.deepEqual(t.input.modes, [true, false]);
  assert.equal(t.screen(), 'Password: \n', 'nothing typed is written back');
});

test('readHidden: Ctrl-C, or Ctrl-D on an empty line, abandons; raw mode is restored', async () => {
  for (const key of ['\u0003', '\u0004']) {
    const t = terminal();
    const reading = readHidden('Password: ', t.streams);
    t.input.write(key === '\u0003' ? `abc${key}` : key);
    await assert.rejects(reading, PromptAborted);
    assert.deepEqual(t.input.modes, [true, false]);
  }
});

test('promptNewPassword: twice, blank and mismatched pairs asked again, three tries at most', async () => {
  const t = terminal();
  const asking = promptNewPassword(t.streams);
  for (const line of ['', 'one', 'two', 'same', 'same']) {
    await new Promise((r) => setImmediate(r));
    t.input.write(`${line}\r`);
  }
  assert.equal(await asking, 'same');
  assert.equal(t.screen(), "Password: \nError: Blank passwords aren't allowed.\nPassword: \nPassword (again): \nError: Your passwords didn't match.\nPassword: \nPassword (again): \n");
  const u = terminal();
  const failing = promptNewPassword(u.streams);
  for (const line of ['a', 'b', 'a', 'b', 'a', 'b']) {
    await new Promise((r) => setImmediate(r));
    u.input.write(`${line}\r`);
  }
  await assert.rejects(failing, /no password after 3 tries/);
});

test('promptNewPassword: both entries typed ahead in one burst are both read', async () => {
  const t = terminal();
  const asking = promptNewPassword(t.streams);
  t.input.write('pasted-1\rpasted-1\r');
  assert.equal(await asking, 'pasted-1');
});
