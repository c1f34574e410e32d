/**
 * The SMTP backend against a real SMTP server on loopback: plain, STARTTLS and TLS on
 * connect (certificate trusted through `email.tlsCa`), AUTH accepted and refused, a server
 * that is down or silent, an untrusted certificate. What arrives is read back; every failure
 * is an `EmailSendError` naming host:port, and neither it nor the log line carries the
 * password or the message.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { createEmailBackend, EmailSendError, renderEmail, Mailer, type EmailBackend, type EmailBackendOptions } from '../../src/email/index.js';
import { parseSettings } from '../../src/core/settings.js';
import { createLogger } from '../../src/server/logger.js';
import { CERT_PATH, startLoopbackSmtp, type LoopbackSmtp } from './smtp-server.js';

const PASSWORD = 'correct horse battery staple';
const LINK = 'http://localhost:3000/#/activate/NA/dixu9u-7c6edde34470baf0070262705d6924c7';
const servers: LoopbackSmtp[] = [];
const backends: EmailBackend[] = [];
after(async () => {
  await Promise.all(backends.map((b) => b.close?.()));
  await Promise.all(servers.map((s) => s.close()));
});

async function server(options: Parameters<typeof startLoopbackSmtp>[0]): Promise<LoopbackSmtp> {
  const s = await startLoopbackSmtp(options);
  servers.push(s);
  return s;
}

function backend(email: Record<string, unknown>, logger?: EmailBackendOptions['logger']): EmailBackend {
  const b = createEmailBackend(parseSettings({ email: { backend: 'smtp', host: '127.0.0.1', timeout: '2s', ...email } }).email, logger ? { logger } : {});
  backends.push(b);
  return b;
}

const activation = () => ({ from: 'Gatehouse <no-reply@example.com>', to: ['carol@example.com'], ...renderEmail('activation', { siteName: 'Oracle', domain: 'localhost:3000', protocol: 'http', username: 'carol', email: 'carol@example.com', url: LINK }) });

async function failure(b: EmailBackend): Promise<EmailSendError> {
  const error = await b.send(activation()).then(
    () => assert.fail('the send succeeded'),
    (e: unknown) => e,
  );
  assert.ok(error instanceof EmailSendError, String(error));
  return error;
}

/** No trace of the secret or the message anywhere in the error, its cause, or a serialised form. */
function assertClean(text: string): void {
  assert.ok(!text.includes(PASSWORD), `password leaked: ${text}`);
  assert.ok(!text.includes(Buffer.from(`\0smtp-user\0${PASSWORD}`).toString('base64')), `encoded credentials leaked: ${text}`);
  assert.ok(!text.includes('dixu9u'), `the link leaked: ${text}`);
  assert.ok(!text.includes('activation process'), `the body leaked: ${text}`);
}

describe('delivery', () => {
  test('plain SMTP: the text and the HTML alternative arrive as rendered', async () => {
    const s = await server({ mode: 'plain' });
    await backend({ port: s.port }).send(activation());
    const [mail] = s.received;
    assert.ok(mail);
    assert.equal(mail.from, 'no-reply@example.com');
    assert.deepEqual(mail.to, ['carol@example.com']);
    assert.equal(mail.headers.subject, 'Account activation on Oracle');
    assert.equal(mail.text, activation().text);
    assert.equal(mail.html, activation().html);
    assert.equal(s.secure[0], false);
  });

  test('through the Mailer: kind, address and email.from', async () => {
    const s = await server({ mode: 'plain' });
    const mailer = new Mailer(backend({ port: s.port }), 'webmaster@localhost');
    await mailer.send('password_changed', 'alice@example.com', { siteName: 'Oracle', domain: 'localhost:3000', protocol: 'http', username: 'alice', email: 'alice@example.com' });
    assert.equal(s.received[0]?.headers.subject, 'Oracle - Your password has been successfully changed!');
    assert.equal(s.received[0]?.text, 'Your password has been changed!\n\nThanks for using our site!\n\nThe Oracle team');
    assert.equal(s.received[0]?.from, 'webmaster@localhost');
  });

  test('STARTTLS with AUTH: the session is encrypted and authenticated', async () => {
    const s = await server({ mode: 'starttls', auth: { user: 'smtp-user', password: PASSWORD } });
    await backend({ port: s.port, security: 'starttls', tlsCa: CERT_PATH, user: 'smtp-user', password: PASSWORD }).send(activation());
    assert.equal(s.received.length, 1);
    assert.equal(s.received[0]?.user, 'smtp-user');
    assert.equal(s.secure[0], true);
  });

  test('TLS on connect', async () => {
    const s = await server({ mode: 'tls' });
    await backend({ port: s.port, security: 'tls', tlsCa: CERT_PATH }).send(activation());
    assert.equal(s.received.length, 1);
    assert.equal(s.secure[0], true);
  });

  test('security "none" never upgrades, even when the server offers STARTTLS', async () => {
    const s = await server({ mode: 'starttls' });
    await backend({ port: s.port }).send(activation());
    assert.equal(s.secure[0], false);
  });
});

describe('failures: a clear EmailSendError, no secret, no body', () => {
  test('wrong password', async () => {
    const s = await server({ mode: 'starttls', auth: { user: 'smtp-user', password: 'another password' } });
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk: Buffer, _e, cb) => (lines.push(chunk.toString()), cb()) });
    const error = await failure(backend({ port: s.port, security: 'starttls', tlsCa: CERT_PATH, user: 'smtp-user', password: PASSWORD }, createLogger('info', sink)));
    assert.match(error.message, new RegExp(`^could not send e-mail through SMTP server 127\\.0\\.0\\.1:${s.port}: authentication failed \\(reply 535\\); check email\\.user and email\\.password$`));
    assert.equal(s.received.length, 0);
    assert.equal(lines.length, 1);
    assert.match(lines[0] ?? '', /authentication failed/);
    for (const text of [error.message, JSON.stringify(error), JSON.stringify(error.cause), String(error.stack), lines.join('')]) assertClean(text);
  });

  test('the server is down (connection refused)', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk: Buffer, _e, cb) => (lines.push(chunk.toString()), cb()) });
    const error = await failure(backend({ port, user: 'smtp-user', password: PASSWORD }, createLogger('info', sink)));
    assert.equal(error.message, `could not send e-mail through SMTP server 127.0.0.1:${port}: connection refused (is the server running, and is this the right port?)`);
    assert.deepEqual(error.cause, { code: 'ECONNREFUSED', responseCode: null });
    for (const text of [error.message, JSON.stringify(error), lines.join('')]) assertClean(text);
  });

  test('a server that never answers: timed out after email.timeout', async () => {
    const sockets = new Set<import('node:net').Socket>();
    const silent: Server = createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as AddressInfo).port;
    try {
      const start = Date.now();
      const error = await failure(backend({ port, timeout: 0.3 }));
      assert.equal(error.message, `could not send e-mail through SMTP server 127.0.0.1:${port}: no answer within 300 ms (email.timeout)`);
      assert.ok(Date.now() - start < 2000);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  test('an untrusted certificate is refused (no email.tlsCa)', async () => {
    const s = await server({ mode: 'tls' });
    const error = await failure(backend({ port: s.port, security: 'tls' }));
    assert.match(error.message, /: TLS failed \(self[- ]signed certificate\); check email\.security and email\.tlsCa$/);
    assert.equal(s.received.length, 0);
  });

  test('"starttls" refuses a server that does not offer STARTTLS', async () => {
    const s = await server({ mode: 'plain' });
    const error = await failure(backend({ port: s.port, security: 'starttls' }));
    assert.match(error.message, /the server does not offer STARTTLS/);
    assert.equal(s.received.length, 0);
  });
});

test('an unreadable email.tlsCa is refused when the backend is made', () => {
  assert.throws(() => backend({ security: 'tls', tlsCa: '/nonexistent/ca.pem' }), /email\.tlsCa: cannot read \/nonexistent\/ca\.pem/);
});
