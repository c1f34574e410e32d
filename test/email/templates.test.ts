/**
 * The e-mail templates: every kind renders byte for byte what djoser 2.1 and allauth 0.51
 * mailed in the recorded exchanges (site name "Oracle", front end localhost:3000), the HTML
 * alternative as django-templated-mail renders djoser's; `{{name}}` values are escaped in
 * HTML only; overrides replace one file each; bad templates are refused when loaded.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EMAIL_KINDS, EMAIL_VARIABLES, EmailTemplateError, loadEmailTemplates, renderEmail, testEmail } from '../../src/email/index.js';

const scratch = mkdtempSync(join(tmpdir(), 'gatehouse-templates-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

const site = { siteName: 'Oracle', domain: 'localhost:3000', protocol: 'http', email: 'alice@example.com' };
const ACTIVATE = 'http://localhost:3000/#/activate/NA/dixu9u-7c6edde34470baf0070262705d6924c7';
const RESET = 'http://localhost:3000/#/password/reset/confirm/MQ/dixua2-3a2154eb78efab0b4b86aa5b895f9f50';
const THANKS = 'Thanks for using our site!\n\nThe Oracle team';

describe('djoser kinds, as the oracle mailed them', () => {
  test('activation: subject, text and HTML', () => {
    const mail = renderEmail('activation', { ...site, username: 'carol', url: ACTIVATE });
    assert.equal(mail.subject, 'Account activation on Oracle');
    assert.equal(
      mail.text,
      `You're receiving this email because you need to finish activation process on Oracle.\n\nPlease go to the following page to activate account:\n${ACTIVATE}\n\n${THANKS}`,
    );
    assert.equal(
      mail.html,
      "<p>You're receiving this email because you need to finish activation process on Oracle.</p>\n\n" +
        `<p>Please go to the following page to activate account:</p>\n<p><a href="${ACTIVATE}">${ACTIVATE}</a></p>\n\n` +
        '<p>Thanks for using our site!</p>\n\n<p>The Oracle team</p>',
    );
  });

  test('password reset: link, then the username', () => {
    const mail = renderEmail('password_reset', { ...site, username: 'alice', url: RESET });
    assert.equal(mail.subject, 'Password reset on Oracle');
    assert.equal(
      mail.text,
      "You're receiving this email because you requested a password reset for your user account at Oracle.\n\n" +
        `Please go to the following page and choose a new password:\n${RESET}\nYour username, in case you've forgotten: alice\n\n${THANKS}`,
    );
    assert.equal(
      mail.html,
      "<p>You're receiving this email because you requested a password reset for your user account at Oracle.</p>\n\n" +
        `<p>Please go to the following page and choose a new password:</p>\n<a href="${RESET}">${RESET}</a>\n` +
        "<p>Your username, in case you've forgotten: <b>alice</b></p>\n\n<p>Thanks for using our site!</p>\n\n<p>The Oracle team</p>",
    );
  });

  test('username reset', () => {
    const url = 'http://localhost:3000/#/username/reset/confirm/MQ/dixua5-0a1b';
    const mail = renderEmail('username_reset', { ...site, username: 'alice', url });
    assert.equal(mail.subject, 'Username reset on Oracle');
    assert.equal(
      mail.text,
      "You're receiving this email because you requested a username reset for your user account at Oracle.\n\n" +
        `Please go to the following page and choose a new username:\n${url}\nYour username, in case you've forgotten: alice\n\n${THANKS}`,
    );
  });

  for (const [kind, subject, sentence] of [
    ['confirmation', 'Oracle - Your account has been successfully created and activated!', 'Your account has been created and is ready to use!'],
    ['password_changed', 'Oracle - Your password has been successfully changed!', 'Your password has been changed!'],
    ['username_changed', 'Oracle - Your username has been successfully changed!', 'Your username has been changed!'],
  ] as const) {
    test(`${kind}`, () => {
      const mail = renderEmail(kind, { ...site, username: 'carol' });
      assert.equal(mail.subject, subject);
      assert.equal(mail.text, `${sentence}\n\n${THANKS}`);
      assert.equal(mail.html, `<p>${sentence}</p>\n\n<p>Thanks for using our site!</p>\n\n<p>The Oracle team</p>`);
    });
  }
});

describe('allauth kinds (text only, subject prefixed with the site name)', () => {
  test('e-mail confirmation', () => {
    const url = 'http://127.0.0.1:8765/dj-rest-auth/registration/account-confirm-email/NA:1xYaKp:3FweWqLckHseKQicuuTCCXlY9DZ_RUCiJvWnuEh0hZU/';
    const mail = renderEmail('email_confirmation', { ...site, username: 'dave', url });
    assert.equal(mail.subject, '[Oracle] Please Confirm Your E-mail Address');
    assert.equal(
      mail.text,
      'Hello from Oracle!\n\n' +
        "You're receiving this e-mail because user dave has given your e-mail address to register an account on localhost:3000.\n\n" +
        `To confirm this is correct, go to ${url}\n\nThank you for using Oracle!\nlocalhost:3000`,
    );
    assert.equal(mail.html, undefined);
  });

  test('password reset', () => {
    const url = 'http://127.0.0.1:8765/password-reset/confirm/1/dixuag-f5c30559bea8e8516953ffb1d7688d5a/';
    const mail = renderEmail('allauth_password_reset', { ...site, username: 'alice', url });
    assert.equal(mail.subject, '[Oracle] Password Reset E-mail');
    assert.equal(
      mail.text,
      'Hello from Oracle!\n\n' +
        "You're receiving this e-mail because you or someone else has requested a password for your user account.\n" +
        'It can be safely ignored if you did not request a password reset. Click the link below to reset your password.\n\n' +
        `${url}\n\nIn case you forgot, your username is alice.\n\nThank you for using Oracle!\nlocalhost:3000`,
    );
    assert.equal(mail.html, undefined);
  });
});

describe("Gatehouse's own kinds", () => {
  test('account_exists names the site and the username, carries no link', () => {
    const mail = renderEmail('account_exists', { ...site, username: 'alice' });
    assert.equal(mail.subject, 'Sign-up attempt on Oracle');
    assert.match(mail.text, /someone tried to create an account on Oracle with this email address/);
    assert.match(mail.text, /Your username, in case you've forgotten: alice\n/);
    assert.doesNotMatch(mail.text, /https?:/);
    assert.match(mail.html ?? '', /<b>alice<\/b>/);
  });

  test("test_email is Django's sendtestemail message", () => {
    const mail = testEmail('webmaster@localhost', ['a@example.com'], new Date(Date.UTC(2026, 11, 2, 7, 0, 55, 123)));
    assert.match(mail.subject, /^Test email from \S+ on 2026-12-02 07:00:55\.123000\+00:00$/);
    assert.equal(mail.text, "If you're reading this, it was successful.");
    assert.deepEqual(mail.to, ['a@example.com']);
  });
});

describe('values', () => {
  test('escaped in the HTML, as they are in the text; a subject stays one line', () => {
    const mail = renderEmail('activation', { ...site, siteName: 'A&B <Shop>\r\nBcc: x@evil', username: 'u', url: 'http://x/"><script>' });
    assert.equal(mail.subject, 'Account activation on A&B <Shop> Bcc: x@evil');
    assert.match(mail.text, /process on A&B <Shop>\r\nBcc: x@evil\./);
    assert.match(mail.html ?? '', /process on A&amp;B &lt;Shop&gt;/);
    assert.match(mail.html ?? '', /<a href="http:\/\/x\/&quot;&gt;&lt;script&gt;">/);
    assert.doesNotMatch(mail.html ?? '', /<script>/);
  });

  test('the allauth prefix is one line too', () => {
    assert.equal(renderEmail('email_confirmation', { ...site, siteName: 'A\nB', username: 'u', url: 'u' }).subject, '[A B] Please Confirm Your E-mail Address');
  });

  test('a missing value is a programming error, not an empty string', () => {
    assert.throws(() => renderEmail('activation', { ...site, username: 'u' } as never), TypeError);
  });
});

describe('overrides from email.templates', () => {
  const dir = (files: Record<string, string>) => {
    const d = mkdtempSync(join(scratch, 'd-'));
    for (const [name, text] of Object.entries(files)) writeFileSync(join(d, name), text);
    return d;
  };

  test('one file replaces one part; the others stay built in; surrounding whitespace is stripped', () => {
    const templates = loadEmailTemplates(dir({ 'activation.subject.txt': '  Welcome to {{ siteName }}!\n', 'activation.txt': '\nHi {{username}}, click {{url}}\n\n', 'README.md': 'ignored' }));
    const mail = templates.render('activation', { ...site, username: 'a&b', url: 'http://x/?a=1&b=2' });
    assert.equal(mail.subject, 'Welcome to Oracle!');
    assert.equal(mail.text, 'Hi a&b, click http://x/?a=1&b=2');
    assert.match(mail.html ?? '', /<a href="http:\/\/x\/\?a=1&amp;b=2">/);
    assert.equal(renderEmail('activation', { ...site, username: 'a', url: 'u' }).subject, 'Account activation on Oracle');
  });

  test('an .html file adds an alternative to a text-only kind; the allauth prefix stays', () => {
    const templates = loadEmailTemplates(dir({ 'email_confirmation.html': '<p>Confirm: <a href="{{url}}">here</a></p>', 'email_confirmation.subject.txt': 'Confirm' }));
    const mail = templates.render('email_confirmation', { ...site, username: 'd', url: 'http://x/<k>' });
    assert.equal(mail.html, '<p>Confirm: <a href="http://x/&lt;k&gt;">here</a></p>');
    assert.equal(mail.subject, '[Oracle] Confirm');
  });

  for (const [name, files, message] of [
    ['an unknown placeholder', { 'confirmation.txt': 'Hi {{username}}, {{url}}' }, /confirmation\.txt, line 1: unknown placeholder \{\{url\}\}/],
    ['a Django filter', { 'activation.txt': 'Go to {{ url|safe }}' }, /"\{\{" must start a placeholder/],
    ['a Django tag', { 'activation.html': '{% load i18n %}<p>{{url}}</p>' }, /template tags/],
    ['an unknown file name', { 'activaton.txt': 'x' }, /activaton\.txt is not a template name/],
    ['an empty body', { 'activation.txt': '  \n' }, /activation\.txt: empty/],
    ['a file over 64 KiB', { 'activation.txt': 'x'.repeat(65 * 1024) }, /larger than 65536 bytes/],
  ] as const) {
    test(`${name} is refused when the templates are loaded`, () => {
      assert.throws(() => loadEmailTemplates(dir(files)), (e: unknown) => e instanceof EmailTemplateError && message.test(e.message));
    });
  }

  test('a directory that cannot be read is refused', () => {
    assert.throws(() => loadEmailTemplates(join(scratch, 'missing')), /email\.templates: cannot read the directory/);
  });

  test('every kind renders every placeholder it has', () => {
    for (const kind of EMAIL_KINDS) {
      const context = Object.fromEntries(EMAIL_VARIABLES[kind].map((name) => [name, `<${name}>`]));
      const mail = renderEmail(kind, context as never);
      for (const part of [mail.subject, mail.text, mail.html ?? '']) assert.doesNotMatch(part, /\{\{/, kind);
      assert.ok(mail.text.length > 0 && mail.subject.length > 0, kind);
    }
  });
});

test('a long run of "{{" is refused in linear time', () => {
  const d = mkdtempSync(join(scratch, 'l-'));
  writeFileSync(join(d, 'activation.txt'), `{{${' '.repeat(60_000)}`);
  const start = performance.now();
  assert.throws(() => loadEmailTemplates(d), EmailTemplateError);
  assert.ok(performance.now() - start < 500);
});
