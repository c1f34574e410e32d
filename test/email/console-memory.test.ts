/**
 * The console backend writes each message whole, in one write, with Django's console
 * headers and both parts readable (the link unencoded); the memory backend keeps an outbox;
 * `createEmailBackend` picks by `email.backend`; `emailWarnings` is what `serve` warns about.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ConsoleEmailBackend, createEmailBackend, emailWarnings, EmailSendError, MemoryEmailBackend, renderEmail, SmtpEmailBackend } from '../../src/email/index.js';
import { parseSettings } from '../../src/core/settings.js';

const LINK = 'http://localhost:3000/#/activate/NA/dixu9u-7c6edde34470baf0070262705d6924c7';
const activation = () => ({ from: 'webmaster@localhost', to: ['carol@example.com'], ...renderEmail('activation', { siteName: 'Oracle', domain: 'localhost:3000', protocol: 'http', username: 'carol', email: 'carol@example.com', url: LINK }) });

function capture() {
  const writes: string[] = [];
  return { writes, target: { write: (text: string) => writes.push(text) } };
}

describe('console backend', () => {
  test('one write per message: headers, the text part, the HTML part, a separator', async () => {
    const { writes, target } = capture();
    const backend = new ConsoleEmailBackend(target);
    await backend.send(activation());
    await backend.send({ ...activation(), to: ['dave@example.com'] });
    assert.equal(writes.length, 2);
    const out = writes[0] as string;
    const boundary = /boundary="([^"]+)"/.exec(out)?.[1] as string;
    const [head, ...rest] = out.split('\n\n');
    assert.match(head as string, new RegExp(`^Content-Type: multipart/alternative;\n boundary="${boundary}"\nMIME-Version: 1\\.0\nSubject: Account activation on Oracle\nFrom: webmaster@localhost\nTo: carol@example\\.com\nDate: \\w{3}, \\d{2} \\w{3} \\d{4} \\d{2}:\\d{2}:\\d{2} -0000\nMessage-ID: <[^>\\s]+@[^>\\s]+>$`));
    const body = rest.join('\n\n');
    assert.ok(body.includes(`Content-Type: text/plain; charset="utf-8"\nMIME-Version: 1.0\nContent-Transfer-Encoding: 7bit\n\n${activation().text}\n--${boundary}\n`));
    assert.ok(body.includes(`Content-Type: text/html; charset="utf-8"\nMIME-Version: 1.0\nContent-Transfer-Encoding: 7bit\n\n${activation().html}\n--${boundary}--\n`));
    assert.ok(out.endsWith(`--${boundary}--\n${'-'.repeat(79)}\n`));
    assert.ok(out.includes(LINK), 'the link is readable as is');
    assert.match(writes[1] as string, /\nTo: dave@example\.com\n/);
  });

  test('a text-only message is one part; non-ASCII is 8bit; header values stay on one line', async () => {
    const { writes, target } = capture();
    await new ConsoleEmailBackend(target).send({ from: 'a@example.com\r\nBcc: x@evil', to: ['b@example.com'], subject: 'Grüße', text: 'Grüße aus Köln' });
    const out = writes[0] as string;
    assert.match(out, /^Content-Type: text\/plain; charset="utf-8"\nMIME-Version: 1\.0\nContent-Transfer-Encoding: 8bit\nSubject: Grüße\nFrom: a@example\.com Bcc: x@evil\nTo: b@example\.com\nDate: [^\n]+\nMessage-ID: [^\n]+\n\nGrüße aus Köln\n-{79}\n$/);
  });

  test('a stream that throws gives EmailSendError', async () => {
    const backend = new ConsoleEmailBackend({ write: () => { throw new Error('EPIPE'); } });
    await assert.rejects(backend.send(activation()), (e: unknown) => e instanceof EmailSendError && /could not write the e-mail to the console: EPIPE/.test(e.message));
  });
});

describe('memory backend', () => {
  test('keeps every message in order; clear() empties the outbox', async () => {
    const backend = new MemoryEmailBackend();
    const message = activation();
    await backend.send(message);
    await backend.send({ ...message, to: ['other@example.com'] });
    message.to.push('late@example.com');
    assert.deepEqual(backend.messages.map((m) => m.to), [['carol@example.com'], ['other@example.com']]);
    assert.equal(backend.messages[0]?.text, activation().text);
    backend.clear();
    assert.deepEqual(backend.messages, []);
  });
});

describe('createEmailBackend and emailWarnings', () => {
  const email = (input: Record<string, unknown> = {}) => parseSettings({ email: input }).email;

  test('the defaults are Django\'s: console, webmaster@localhost, localhost:25, no TLS, 10 s', () => {
    assert.deepEqual(email(), { backend: 'console', from: 'webmaster@localhost', host: 'localhost', port: 25, user: null, password: null, security: 'none', timeout: 10_000, tlsCa: null, templates: null });
    assert.ok(createEmailBackend(email()) instanceof ConsoleEmailBackend);
    assert.ok(createEmailBackend(email({ backend: 'memory' })) instanceof MemoryEmailBackend);
    assert.ok(createEmailBackend(email({ backend: 'smtp' })) instanceof SmtpEmailBackend);
  });

  test('bad values are refused with the option named', () => {
    assert.throws(() => email({ backend: 'sendmail' }), /email\.backend/);
    assert.throws(() => email({ security: 'ssl' }), /email\.security/);
    assert.throws(() => email({ from: 'a@example.com\nBcc: x@evil' }), /email\.from: must be one line/);
    assert.throws(() => email({ timeout: 0 }), /email\.timeout/);
    assert.throws(() => email({ hots: 'x' }), /did you mean "host"/);
  });

  test('the console backend is for development: warned', () => {
    assert.deepEqual(emailWarnings(email()).length, 1);
    assert.match(emailWarnings(email())[0] as string, /console.*development only/);
  });

  test('credentials over plain SMTP are warned about; over STARTTLS/TLS not', () => {
    const plain = emailWarnings(email({ backend: 'smtp', host: 'smtp.example.com', port: 587, user: 'u', password: 'secret-password' }));
    assert.equal(plain.length, 1);
    assert.match(plain[0] as string, /unencrypted to smtp\.example\.com:587/);
    assert.ok(!(plain[0] as string).includes('secret-password'));
    assert.deepEqual(emailWarnings(email({ backend: 'smtp', security: 'starttls', user: 'u', password: 'p' })), []);
    assert.deepEqual(emailWarnings(email({ backend: 'smtp' })), []);
  });
});
