/**
 * The built-in texts of every e-mail Gatehouse sends, word for word as djoser 2.1
 * (django-templated-mail: text + HTML, each block stripped) and django-allauth 0.51
 * (text only) render them, in the `{{name}}` syntax of `./templates.ts`. `url` is always
 * the complete link. A project replaces any of these per file (`email.templates`).
 */

/** One message kind's built-in texts. `html` is absent where the original sends text only. */
export interface TemplateTexts {
  subject: string;
  text: string;
  html?: string;
}

const THANKS = "Thanks for using our site!\n\nThe {{siteName}} team";
const THANKS_HTML = '<p>Thanks for using our site!</p>\n\n<p>The {{siteName}} team</p>';
const ALLAUTH_SIGNATURE = 'Thank you for using {{siteName}}!\n{{domain}}';

/** A djoser "changed" notice: one sentence, then the signature. */
const notice = (subject: string, sentence: string): TemplateTexts => ({
  subject,
  text: `${sentence}\n\n${THANKS}`,
  html: `<p>${sentence}</p>\n\n${THANKS_HTML}`,
});

/** A djoser reset mail (password or username): link, then the username. */
const reset = (what: 'password' | 'username'): TemplateTexts => ({
  subject: `${what === 'password' ? 'Password' : 'Username'} reset on {{siteName}}`,
  text:
    `You're receiving this email because you requested a ${what} reset for your user account at {{siteName}}.\n\n` +
    `Please go to the following page and choose a new ${what}:\n{{url}}\nYour username, in case you've forgotten: {{username}}\n\n${THANKS}`,
  html:
    `<p>You're receiving this email because you requested a ${what} reset for your user account at {{siteName}}.</p>\n\n` +
    `<p>Please go to the following page and choose a new ${what}:</p>\n<a href="{{url}}">{{url}}</a>\n` +
    `<p>Your username, in case you've forgotten: <b>{{username}}</b></p>\n\n${THANKS_HTML}`,
});

export const TEMPLATE_TEXTS = {
  activation: {
    subject: 'Account activation on {{siteName}}',
    text:
      "You're receiving this email because you need to finish activation process on {{siteName}}.\n\n" +
      `Please go to the following page to activate account:\n{{url}}\n\n${THANKS}`,
    html:
      "<p>You're receiving this email because you need to finish activation process on {{siteName}}.</p>\n\n" +
      `<p>Please go to the following page to activate account:</p>\n<p><a href="{{url}}">{{url}}</a></p>\n\n${THANKS_HTML}`,
  },
  confirmation: notice('{{siteName}} - Your account has been successfully created and activated!', 'Your account has been created and is ready to use!'),
  password_reset: reset('password'),
  password_changed: notice('{{siteName}} - Your password has been successfully changed!', 'Your password has been changed!'),
  username_reset: reset('username'),
  username_changed: notice('{{siteName}} - Your username has been successfully changed!', 'Your username has been changed!'),
  email_confirmation: {
    subject: 'Please Confirm Your E-mail Address',
    text:
      'Hello from {{siteName}}!\n\n' +
      "You're receiving this e-mail because user {{username}} has given your e-mail address to register an account on {{domain}}.\n\n" +
      `To confirm this is correct, go to {{url}}\n\n${ALLAUTH_SIGNATURE}`,
  },
  allauth_password_reset: {
    subject: 'Password Reset E-mail',
    text:
      'Hello from {{siteName}}!\n\n' +
      "You're receiving this e-mail because you or someone else has requested a password for your user account.\n" +
      'It can be safely ignored if you did not request a password reset. Click the link below to reset your password.\n\n' +
      `{{url}}\n\nIn case you forgot, your username is {{username}}.\n\n${ALLAUTH_SIGNATURE}`,
  },
  account_exists: {
    subject: 'Sign-up attempt on {{siteName}}',
    text:
      "You're receiving this email because someone tried to create an account on {{siteName}} with this email address, which already belongs to an account.\n\n" +
      'If that was you, you can log in with your existing account. If you have forgotten your password, use the password reset on {{domain}}.\n' +
      "Your username, in case you've forgotten: {{username}}\n\n" +
      `If that was not you, you can safely ignore this email: nothing has changed.\n\n${THANKS}`,
    html:
      "<p>You're receiving this email because someone tried to create an account on {{siteName}} with this email address, which already belongs to an account.</p>\n\n" +
      '<p>If that was you, you can log in with your existing account. If you have forgotten your password, use the password reset on {{domain}}.</p>\n' +
      "<p>Your username, in case you've forgotten: <b>{{username}}</b></p>\n\n" +
      `<p>If that was not you, you can safely ignore this email: nothing has changed.</p>\n\n${THANKS_HTML}`,
  },
  test_email: {
    subject: 'Test email from {{hostname}} on {{date}}',
    text: "If you're reading this, it was successful.",
  },
} satisfies Record<string, TemplateTexts>;

export type EmailKind = keyof typeof TEMPLATE_TEXTS;
