/**
 * `gatehouse sendtestemail ADDRESS...` through the CLI: Django's test message arrives at a
 * real SMTP server on loopback (STARTTLS + AUTH, settings from the environment); the console
 * backend prints it; a server that is down or refuses the password is one clear line on
 * standard error with exit 1, no stack trace and no password.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { runCli } from '../../src/cli/main.js';
import { CERT_PATH, startLoopbackSmtp, type LoopbackSmtp } from './smtp-server.js';

const PASSWORD = 'sendtest-password-0123';
const servers: LoopbackSmtp[] = [];
after(() => Promise.all(servers.map((s) => s.close())));

async function cli(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), readStdin: async () => '', env });
  return { code, stdout, stderr };
}

const smtpEnv = (port: number, password = PASSWORD) => ({
  GATEHOUSE_EMAIL__BACKEND: 'smtp',
  GATEHOUSE_EMAIL__HOST: '127.0.0.1',
  GATEHOUSE_EMAIL__PORT: String(port),
  GATEHOUSE_EMAIL__SECURITY: 'starttls',
  GATEHOUSE_EMAIL__TLS_CA: CERT_PATH,
  GATEHOUSE_EMAIL__USER: 'mailer',
  GATEHOUSE_EMAIL__PASSWORD: password,
  GATEHOUSE_EMAIL__FROM: 'Gatehouse <no-reply@example.com>',
  GATEHOUSE_EMAIL__TIMEOUT: '2s',
});

describe('sendtestemail', () => {
  test('delivers Django\'s test message over STARTTLS with AUTH', async () => {
    const s = await startLoopbackSmtp({ mode: 'starttls', auth: { user: 'mailer', password: PASSWORD } });
    servers.push(s);
    const before = new Date();
    const { code, stderr } = await cli(['sendtestemail', 'a@example.com', 'b@example.com'], smtpEnv(s.port));
    assert.equal(code, 0, stderr);
    assert.equal(stderr, `gatehouse: sent a test e-mail to a@example.com, b@example.com through SMTP server 127.0.0.1:${s.port}\n`);
    const [mail] = s.received;
    assert.ok(mail);
    assert.deepEqual(mail.to, ['a@example.com', 'b@example.com']);
    assert.equal(mail.from, 'no-reply@example.com');
    assert.equal(mail.user, 'mailer');
    assert.equal(s.secure[0], true);
    assert.equal(mail.text, "If you're reading this, it was successful.");
    const subject = new RegExp(`^Test email from ${hostname().replace(/\W/g, '\\$&')} on (\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2}\\.\\d{6})\\+00:00$`).exec(mail.headers.subject ?? '');
    assert.ok(subject, mail.headers.subject);
    assert.ok(Math.abs(Date.parse(`${subject[1]}Z`.replace(' ', 'T')) - before.getTime()) < 60_000);
  });

  test('the console backend (the default) prints the message on standard output', async () => {
    const { code, stdout } = await cli(['sendtestemail', 'a@example.com'], {});
    assert.equal(code, 0);
    assert.match(stdout, /\nSubject: Test email from .+\nFrom: webmaster@localhost\nTo: a@example\.com\n[\s\S]*\n\nIf you're reading this, it was successful\.\n-{79}\n$/);
  });

  test('a wrong password: one line, exit 1, no password', async () => {
    const s = await startLoopbackSmtp({ mode: 'starttls', auth: { user: 'mailer', password: 'the real one' } });
    servers.push(s);
    const { code, stdout, stderr } = await cli(['sendtestemail', 'a@example.com'], smtpEnv(s.port));
    assert.equal(code, 1);
    assert.equal(stdout, '');
    assert.equal(stderr, `gatehouse: sendtestemail: could not send e-mail through SMTP server 127.0.0.1:${s.port}: authentication failed (reply 535); check email.user and email.password\n`);
    assert.equal(s.received.length, 0);
  });

  test('a server that is down: one line naming host:port, exit 1, no stack trace', async () => {
    const { code, stderr } = await cli(['sendtestemail', 'a@example.com'], { ...smtpEnv(1), GATEHOUSE_EMAIL__SECURITY: 'none' });
    assert.equal(code, 1);
    assert.equal(stderr, 'gatehouse: sendtestemail: could not send e-mail through SMTP server 127.0.0.1:1: connection refused (is the server running, and is this the right port?)\n');
    assert.ok(!stderr.includes(PASSWORD));
  });

  test('usage errors: no address, not an address', async () => {
    assert.equal((await cli(['sendtestemail'], {})).code, 2);
    const bad = await cli(['sendtestemail', 'not-an-address'], {});
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /not an e-mail address: "not-an-address"/);
  });

  test('an unreadable email.tlsCa is one line, exit 1', async () => {
    const { code, stderr } = await cli(['sendtestemail', 'a@example.com'], { ...smtpEnv(1), GATEHOUSE_EMAIL__TLS_CA: '/nonexistent/ca.pem' });
    assert.equal(code, 1);
    assert.match(stderr, /^gatehouse: sendtestemail: email\.tlsCa: cannot read \/nonexistent\/ca\.pem/);
  });
});
