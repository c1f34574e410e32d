/**
 * The account endpoints through every adapter (node:http, Express, Fastify, Hono) and
 * `gatehouse serve`'s own listener, with one list of cases and the same expectations for
 * all: djoser's layout (`accounts.djoser`) and dj-rest-auth's (`accounts.djRestAuth`), the
 * adapters mounting them with the token endpoints under `/auth` (test/adapters/servers.ts).
 * Each gets a fresh application with an in-memory e-mail backend; the activation,
 * confirmation and reset links are read from the mails it sent, as a user would click them.
 * Every route of both sets: sign-up, activation / verification and their resends, token and
 * JWT login, me GET/PATCH/PUT/DELETE, the user list and detail, password change, reset
 * request + confirm, username change and reset, logout; validation errors (exact JSON), 401
 * and 405; JSON, form-encoded and multipart bodies. Then Django's paths (the engine at the
 * root, after the application's routes) and dj-rest-auth in JWT + cookie mode. Whatever an
 * adapter gets wrong is fixed in the adapter plumbing (src/http/adapter.ts), never here.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mergeSettings, parseSettings } from '../../src/core/settings.js';
import { MemoryEmailBackend } from '../../src/email/memory.js';
import type { EmailMessage } from '../../src/email/types.js';
import { createGatehouse, type Gatehouse } from '../../src/server/app.js';
import { createLogger } from '../../src/server/logger.js';
import { LogCapture } from '../helpers.js';
import { runCase, type Case } from './cases.js';
import { listen } from '../../src/server/serve.js';
import { ADAPTERS, startAdapter, type AdapterName, type Running } from './servers.js';

/** Where the route sets are, as a client of the adapters' mount (`/auth`) sees them. */
const D = '/auth/djoser';
const R = '/auth/dj-rest-auth';

const CHALLENGE = 'Bearer realm="api"';
const NOT_PROVIDED = { detail: 'Authentication credentials were not provided.' };
const REQUIRED = ['This field is required.'];
const WEAK_1234 = ['This password is too short. It must contain at least 8 characters.', 'This password is too common.', 'This password is entirely numeric.'];
const CAROL = { email: 'carol@example.com', id: 1, username: 'carol' };
const DAVE = { pk: 2, username: 'dave', email: 'dave@example.com', first_name: '', last_name: '' };
const PASSWORD = ['Tr1cky-Passphrase!', 'Tr1cky-Passphrase!-2', 'Tr1cky-Passphrase!-3'] as const;
const jsonHeaders = { 'content-type': 'application/json', 'x-content-type-options': 'nosniff' };
/** A 204: no body, no Content-Type. */
const noContent = { 'content-type': null, 'content-length': null };

interface Ctx {
  gatehouse: Gatehouse;
  /** The application's e-mail backend (`CreateOptions.email`). */
  mail: MemoryEmailBackend;
  /** djoser's `auth_token` of the last login. */
  token: string;
  /** dj-rest-auth's `key` of the last login. */
  key: string;
  /** djoser's `jwt/create/` pair. */
  access: string;
  refresh: string;
}

const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
const BOUNDARY = 'gatehouse-boundary-7f3a';
const multipart = (fields: Record<string, string>) =>
  Object.entries(fields)
    .map(([k, v]) => `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`)
    .join('') + `--${BOUNDARY}--\r\n`;
const FORM = () => ({ 'Content-Type': 'application/x-www-form-urlencoded' });
const tokenAuth = (k: string) => ({ Authorization: `Token ${k}` });
const bearer = (t: string) => ({ Authorization: `Bearer ${t}` });
const JWT = /^[\w-]+\.[\w-]+\.[\w-]+$/;
const method = (m: string) => ({ detail: `Method "${m}" not allowed.` });

/** The messages the application has sent. */
const outbox = (ctx: Ctx): readonly EmailMessage[] => ctx.mail.messages;

/**
 * The capture groups of `pattern` in the text of the last mail to `to` that has it. Some
 * mails go out in the background (the answer does not wait for them): wait up to 5 s.
 */
async function fromMail(ctx: Ctx, to: string, pattern: RegExp): Promise<string[]> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const mail = outbox(ctx)
      .filter((m) => m.to.includes(to) && pattern.test(m.text))
      .at(-1);
    if (mail) return pattern.exec(mail.text)!.slice(1);
    if (Date.now() > deadline) assert.fail(`no mail to ${to} matching ${pattern}; sent: ${outbox(ctx).map((m) => `${m.to.join(',')}: ${m.subject}`).join(' | ')}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const activationLink = (ctx: Ctx) => fromMail(ctx, 'carol@example.com', /#\/activate\/([\w-]+)\/([\w-]+)/);
const usernameResetLink = (ctx: Ctx) => fromMail(ctx, 'carol@example.com', /#\/username\/reset\/confirm\/([\w-]+)\/([\w-]+)/);
const djoserResetLink = (ctx: Ctx) => fromMail(ctx, 'carol@example.com', /#\/password\/reset\/confirm\/([\w-]+)\/([\w-]+)/);
const confirmationKey = async (ctx: Ctx) => (await fromMail(ctx, 'dave@example.com', /account-confirm-email\/([\w:-]+)\//))[0]!;
const allauthResetLink = (ctx: Ctx) => fromMail(ctx, 'dave@example.com', /password-reset\/confirm\/([0-9a-z]+)\/([\w-]+)\//);

const DJOSER: Case<Ctx>[] = [
  {
    name: 'djoser sign-up, empty JSON → every required field',
    method: 'POST',
    path: `${D}/users/`,
    body: {},
    status: 400,
    expectHeaders: jsonHeaders,
    json: { username: REQUIRED, password: REQUIRED, re_password: REQUIRED },
  },
  {
    name: 'djoser sign-up, weak password (JSON) → the validators\' messages',
    method: 'POST',
    path: `${D}/users/`,
    body: { username: 'dan', password: '1234', re_password: '1234' },
    status: 400,
    json: { password: WEAK_1234 },
  },
  {
    name: 'djoser sign-up, passwords differ (form) → non_field_errors',
    method: 'POST',
    path: `${D}/users/`,
    headers: FORM,
    body: form({ username: 'dan', password: PASSWORD[0], re_password: PASSWORD[1] }),
    status: 400,
    json: { non_field_errors: ["The two password fields didn't match."] },
  },
  {
    name: 'djoser sign-up (form) → 201, the user',
    method: 'POST',
    path: `${D}/users/`,
    headers: FORM,
    body: form({ username: 'carol', email: 'carol@example.com', password: PASSWORD[0], re_password: PASSWORD[0] }),
    status: 201,
    expectHeaders: jsonHeaders,
    // Without `id` while e-mail addresses are unique: a taken address gets the same answer.
    text: '{"email":"carol@example.com","username":"carol"}',
    check: async (_res, ctx) => assert.equal((await activationLink(ctx)).length, 2),
  },
  {
    name: 'djoser sign-up, username taken → 400',
    method: 'POST',
    path: `${D}/users/`,
    body: { username: 'carol', password: PASSWORD[0], re_password: PASSWORD[0] },
    status: 400,
    json: { username: ['A user with that username already exists.'] },
  },
  {
    name: 'djoser token login before activation → the one credentials message',
    method: 'POST',
    path: `${D}/token/login/`,
    body: { username: 'carol', password: PASSWORD[0] },
    status: 400,
    json: { non_field_errors: ['Unable to log in with provided credentials.'] },
  },
  { name: 'djoser activation, {} → uid and token required', method: 'POST', path: `${D}/users/activation/`, body: {}, status: 400, json: { uid: REQUIRED, token: REQUIRED } },
  {
    name: 'djoser activation, no such user → uid error',
    method: 'POST',
    path: `${D}/users/activation/`,
    body: { uid: 'OTk5', token: 'dixuc7-0123456789abcdef0123456789abcdef' },
    status: 400,
    json: { uid: ["Invalid user id or user doesn't exist."] },
  },
  {
    name: 'djoser activation, wrong token (form) → token error',
    method: 'POST',
    path: `${D}/users/activation/`,
    headers: FORM,
    body: async (ctx: Ctx) => form({ uid: (await activationLink(ctx))[0]!, token: 'dixuc7-0123456789abcdef0123456789abcdef' }),
    status: 400,
    json: { token: ['Invalid token for given user.'] },
  },
  {
    name: 'djoser activation with the mailed link (JSON) → 204, no body',
    method: 'POST',
    path: `${D}/users/activation/`,
    body: async (ctx: Ctx) => {
      const [uid, token] = await activationLink(ctx);
      return { uid, token };
    },
    status: 204,
    expectHeaders: noContent,
    text: '',
  },
  {
    name: 'djoser activation, the same link again → 403 stale',
    method: 'POST',
    path: `${D}/users/activation/`,
    body: async (ctx: Ctx) => {
      const [uid, token] = await activationLink(ctx);
      return { uid, token };
    },
    status: 403,
    json: { detail: 'Stale token for given user.' },
  },
  { name: 'djoser token login, GET → 405', method: 'GET', path: `${D}/token/login/`, status: 405, expectHeaders: { ...jsonHeaders, allow: 'POST, OPTIONS' }, json: method('GET') },
  {
    name: 'djoser token login (form) → auth_token',
    method: 'POST',
    path: `${D}/token/login/`,
    headers: FORM,
    body: form({ username: 'carol', password: PASSWORD[0] }),
    status: 200,
    expectHeaders: jsonHeaders,
    check: (res, ctx) => {
      assert.deepEqual(Object.keys(res.json as object), ['auth_token']);
      ctx.token = (res.json as { auth_token: string }).auth_token;
    },
  },
  { name: 'djoser me, anonymous → 401 + challenge', method: 'GET', path: `${D}/users/me/`, status: 401, expectHeaders: { ...jsonHeaders, 'www-authenticate': CHALLENGE }, json: NOT_PROVIDED },
  { name: 'djoser me GET', method: 'GET', path: `${D}/users/me/`, headers: (c) => tokenAuth(c.token), status: 200, expectHeaders: jsonHeaders, json: CAROL },
  { name: 'djoser me PATCH {} → the user', method: 'PATCH', path: `${D}/users/me/`, headers: (c) => tokenAuth(c.token), body: {}, status: 200, json: CAROL },
  {
    name: 'djoser me PATCH, invalid e-mail (form) → 400',
    method: 'PATCH',
    path: `${D}/users/me/`,
    headers: (c) => ({ ...tokenAuth(c.token), ...FORM() }),
    body: form({ email: 'not-an-address' }),
    status: 400,
    json: { email: ['Enter a valid email address.'] },
  },
  { name: 'djoser me POST → 405 after authentication', method: 'POST', path: `${D}/users/me/`, headers: (c) => tokenAuth(c.token), body: {}, status: 405, json: method('POST') },
  {
    name: 'djoser set_password, anonymous → 401',
    method: 'POST',
    path: `${D}/users/set_password/`,
    body: {},
    status: 401,
    expectHeaders: { 'www-authenticate': CHALLENGE },
    json: NOT_PROVIDED,
  },
  {
    name: 'djoser set_password, {} → every field required',
    method: 'POST',
    path: `${D}/users/set_password/`,
    headers: (c) => tokenAuth(c.token),
    body: {},
    status: 400,
    json: { new_password: REQUIRED, re_new_password: REQUIRED, current_password: REQUIRED },
  },
  {
    name: 'djoser set_password, wrong current password → 400',
    method: 'POST',
    path: `${D}/users/set_password/`,
    headers: (c) => tokenAuth(c.token),
    body: { current_password: 'wrong', new_password: PASSWORD[1], re_new_password: PASSWORD[1] },
    status: 400,
    json: { current_password: ['Invalid password.'] },
  },
  {
    name: 'djoser set_password (form) → 204',
    method: 'POST',
    path: `${D}/users/set_password/`,
    headers: (c) => ({ ...tokenAuth(c.token), ...FORM() }),
    body: form({ current_password: PASSWORD[0], new_password: PASSWORD[1], re_new_password: PASSWORD[1] }),
    status: 204,
    expectHeaders: noContent,
    text: '',
  },
  {
    name: 'djoser: the token used for the change is revoked with the others',
    method: 'GET',
    path: `${D}/users/me/`,
    headers: (c) => tokenAuth(c.token),
    status: 401,
    expectHeaders: { 'www-authenticate': CHALLENGE },
    json: { detail: 'Invalid token.' },
  },
  { name: 'djoser reset_password, invalid e-mail → 400', method: 'POST', path: `${D}/users/reset_password/`, body: { email: 'nope' }, status: 400, json: { email: ['Enter a valid email address.'] } },
  {
    name: 'djoser reset_password, multipart body → 204',
    method: 'POST',
    path: `${D}/users/reset_password/`,
    headers: () => ({ 'Content-Type': `multipart/form-data; boundary=${BOUNDARY}` }),
    body: multipart({ email: 'nobody@example.com' }),
    status: 204,
    expectHeaders: noContent,
    text: '',
  },
  {
    name: 'dj-rest-auth registration, OPTIONS → DRF metadata',
    method: 'OPTIONS',
    path: `${R}/registration/`,
    status: 200,
    expectHeaders: { ...jsonHeaders, allow: 'POST, OPTIONS' },
    check: (res) => assert.deepEqual((res.json as { parses: string[] }).parses, ['application/json', 'application/x-www-form-urlencoded', 'multipart/form-data']),
  },
  { name: 'djoser reset_password, unknown address → 204 all the same', method: 'POST', path: `${D}/users/reset_password/`, body: { email: 'nobody@example.com' }, status: 204, expectHeaders: noContent, text: '' },
  {
    name: 'djoser reset_password (form) → 204 and a reset mail',
    method: 'POST',
    path: `${D}/users/reset_password/`,
    headers: FORM,
    body: form({ email: 'carol@example.com' }),
    status: 204,
    expectHeaders: noContent,
    text: '',
    check: async (_res, ctx) => assert.equal((await djoserResetLink(ctx)).length, 2),
  },
  {
    name: 'djoser reset_password_confirm, {} → every field required',
    method: 'POST',
    path: `${D}/users/reset_password_confirm/`,
    body: {},
    status: 400,
    json: { uid: REQUIRED, token: REQUIRED, new_password: REQUIRED, re_new_password: REQUIRED },
  },
  {
    name: 'djoser reset_password_confirm, weak password → the validators\' messages',
    method: 'POST',
    path: `${D}/users/reset_password_confirm/`,
    body: async (ctx: Ctx) => {
      const [uid, token] = await djoserResetLink(ctx);
      return { uid, token, new_password: '1234', re_new_password: '1234' };
    },
    status: 400,
    json: { new_password: WEAK_1234 },
  },
  {
    name: 'djoser reset_password_confirm with the mailed link (JSON) → 204',
    method: 'POST',
    path: `${D}/users/reset_password_confirm/`,
    body: async (ctx: Ctx) => {
      const [uid, token] = await djoserResetLink(ctx);
      return { uid, token, new_password: PASSWORD[2], re_new_password: PASSWORD[2] };
    },
    status: 204,
    expectHeaders: noContent,
    text: '',
  },
  {
    name: 'djoser reset_password_confirm, the same link again (form) → token error',
    method: 'POST',
    path: `${D}/users/reset_password_confirm/`,
    headers: FORM,
    body: async (ctx: Ctx) => {
      const [uid, token] = await djoserResetLink(ctx);
      return form({ uid: uid!, token: token!, new_password: PASSWORD[1], re_new_password: PASSWORD[1] });
    },
    status: 400,
    json: { token: ['Invalid token for given user.'] },
  },
  {
    name: 'djoser token login with the new password (JSON)',
    method: 'POST',
    path: `${D}/token/login/`,
    body: { username: 'carol', password: PASSWORD[2] },
    status: 200,
    check: (res, ctx) => {
      ctx.token = (res.json as { auth_token: string }).auth_token;
      assert.ok(ctx.token);
    },
  },
  { name: 'djoser token logout → 204', method: 'POST', path: `${D}/token/logout/`, headers: (c) => tokenAuth(c.token), status: 204, expectHeaders: noContent, text: '' },
  { name: 'djoser token logout, anonymous → 401', method: 'POST', path: `${D}/token/logout/`, status: 401, expectHeaders: { 'www-authenticate': CHALLENGE }, json: NOT_PROVIDED },
  { name: 'djoser: the logged-out token is refused', method: 'GET', path: `${D}/users/me/`, headers: (c) => tokenAuth(c.token), status: 401, json: { detail: 'Invalid token.' } },
  {
    name: 'djoser jwt/create (JSON) → a pair',
    method: 'POST',
    path: `${D}/jwt/create/`,
    body: { username: 'carol', password: PASSWORD[2] },
    status: 200,
    expectHeaders: { ...jsonHeaders, 'cache-control': 'no-store' },
    check: (res, ctx) => {
      assert.deepEqual(Object.keys(res.json as object), ['refresh', 'access']);
      ({ access: ctx.access, refresh: ctx.refresh } = res.json as { access: string; refresh: string });
      assert.match(ctx.access, JWT);
    },
  },
  {
    name: 'djoser jwt/create, wrong password → 401',
    method: 'POST',
    path: `${D}/jwt/create/`,
    body: { username: 'carol', password: 'wrong' },
    status: 401,
    json: { detail: 'No active account found with the given credentials' },
  },
  {
    name: 'djoser jwt/refresh (form) → access',
    method: 'POST',
    path: `${D}/jwt/refresh/`,
    headers: FORM,
    body: (ctx: Ctx) => form({ refresh: ctx.refresh }),
    status: 200,
    check: (res) => assert.deepEqual(Object.keys(res.json as object), ['access']),
  },
  { name: 'djoser jwt/verify → {}', method: 'POST', path: `${D}/jwt/verify/`, body: (ctx: Ctx) => ({ token: ctx.access }), status: 200, json: {} },
  { name: 'djoser me with a Bearer JWT', method: 'GET', path: `${D}/users/me/`, headers: (c) => bearer(c.access), status: 200, json: CAROL },
  { name: 'djoser users/ lists only the caller', method: 'GET', path: `${D}/users/`, headers: (c) => bearer(c.access), status: 200, json: [CAROL] },
  { name: 'djoser users/<own id>/', method: 'GET', path: `${D}/users/1/`, headers: (c) => bearer(c.access), status: 200, json: CAROL },
  { name: 'djoser resend_activation, an active account → 204 all the same', method: 'POST', path: `${D}/users/resend_activation/`, body: { email: 'carol@example.com' }, status: 204, expectHeaders: noContent, text: '' },
  {
    name: 'djoser set_username (form) → 204',
    method: 'POST',
    path: `${D}/users/set_username/`,
    headers: (c) => ({ ...bearer(c.access), ...FORM() }),
    body: form({ new_username: 'caroline', current_password: PASSWORD[2] }),
    status: 204,
    expectHeaders: noContent,
    text: '',
  },
  { name: 'djoser: renamed, the JWT still works', method: 'GET', path: `${D}/users/me/`, headers: (c) => bearer(c.access), status: 200, json: { ...CAROL, username: 'caroline' } },
  { name: 'djoser reset_username → 204 and a mail', method: 'POST', path: `${D}/users/reset_username/`, body: { email: 'carol@example.com' }, status: 204, expectHeaders: noContent, text: '' },
  {
    name: 'djoser reset_username_confirm with the mailed link → 204',
    method: 'POST',
    path: `${D}/users/reset_username_confirm/`,
    body: async (ctx: Ctx) => {
      const [uid, token] = await usernameResetLink(ctx);
      return { uid, token, new_username: 'carol' };
    },
    status: 204,
    expectHeaders: noContent,
    text: '',
  },
  {
    name: 'djoser me DELETE, wrong current_password → 400',
    method: 'DELETE',
    path: `${D}/users/me/`,
    headers: (c) => bearer(c.access),
    body: { current_password: 'wrong' },
    status: 400,
    json: { current_password: ['Invalid password.'] },
  },
  {
    name: 'djoser me DELETE → 204, the account is gone',
    method: 'DELETE',
    path: `${D}/users/me/`,
    headers: (c) => bearer(c.access),
    body: { current_password: PASSWORD[2] },
    status: 204,
    expectHeaders: noContent,
    text: '',
  },
  { name: 'djoser: the deleted account cannot log in', method: 'POST', path: `${D}/token/login/`, body: { username: 'carol', password: PASSWORD[2] }, status: 400, json: { non_field_errors: ['Unable to log in with provided credentials.'] } },
];

const DJ_REST_AUTH: Case<Ctx>[] = [
  {
    name: 'dj-rest-auth registration, {} → every required field',
    method: 'POST',
    path: `${R}/registration/`,
    body: {},
    status: 400,
    expectHeaders: jsonHeaders,
    json: { username: REQUIRED, email: REQUIRED, password1: REQUIRED, password2: REQUIRED },
  },
  {
    name: 'dj-rest-auth registration, passwords differ (form) → non_field_errors',
    method: 'POST',
    path: `${R}/registration/`,
    headers: FORM,
    body: form({ username: 'dave', email: 'dave@example.com', password1: PASSWORD[0], password2: PASSWORD[1] }),
    status: 400,
    json: { non_field_errors: ["The two password fields didn't match."] },
  },
  {
    name: 'dj-rest-auth registration (form) → 201, verification mail',
    method: 'POST',
    path: `${R}/registration/`,
    headers: FORM,
    body: form({ username: 'dave', email: 'dave@example.com', password1: PASSWORD[0], password2: PASSWORD[0] }),
    status: 201,
    expectHeaders: jsonHeaders,
    json: { detail: 'Verification e-mail sent.' },
    check: async (_res, ctx) => assert.ok(await confirmationKey(ctx)),
  },
  {
    name: 'dj-rest-auth login before verification → not verified',
    method: 'POST',
    path: `${R}/login/`,
    body: { username: 'dave', password: PASSWORD[0] },
    status: 400,
    json: { non_field_errors: ['E-mail is not verified.'] },
  },
  { name: 'dj-rest-auth login, {} → password required', method: 'POST', path: `${R}/login/`, body: {}, status: 400, json: { password: REQUIRED } },
  { name: 'dj-rest-auth login, GET → 405', method: 'GET', path: `${R}/login/`, status: 405, expectHeaders: jsonHeaders, json: method('GET') },
  { name: 'dj-rest-auth verify-email, {} → key required', method: 'POST', path: `${R}/registration/verify-email/`, body: {}, status: 400, json: { key: REQUIRED } },
  { name: 'dj-rest-auth verify-email, bad key → 404', method: 'POST', path: `${R}/registration/verify-email/`, body: { key: 'MQ:1xYaKp:bad' }, status: 404, json: { detail: 'Not found.' } },
  {
    name: 'dj-rest-auth verify-email with the mailed key (form) → ok',
    method: 'POST',
    path: `${R}/registration/verify-email/`,
    headers: FORM,
    body: async (ctx: Ctx) => form({ key: await confirmationKey(ctx) }),
    status: 200,
    json: { detail: 'ok' },
  },
  {
    name: 'dj-rest-auth verify-email, the same key again → 404',
    method: 'POST',
    path: `${R}/registration/verify-email/`,
    body: async (ctx: Ctx) => ({ key: await confirmationKey(ctx) }),
    status: 404,
    json: { detail: 'Not found.' },
  },
  {
    name: 'dj-rest-auth login (form) → key',
    method: 'POST',
    path: `${R}/login/`,
    headers: FORM,
    body: form({ username: 'dave', password: PASSWORD[0] }),
    status: 200,
    expectHeaders: jsonHeaders,
    check: (res, ctx) => {
      assert.deepEqual(Object.keys(res.json as object), ['key']);
      ctx.key = (res.json as { key: string }).key;
    },
  },
  { name: 'dj-rest-auth user, anonymous → 401 + challenge', method: 'GET', path: `${R}/user/`, status: 401, expectHeaders: { 'www-authenticate': CHALLENGE }, json: NOT_PROVIDED },
  { name: 'dj-rest-auth user GET', method: 'GET', path: `${R}/user/`, headers: (c) => tokenAuth(c.key), status: 200, expectHeaders: jsonHeaders, json: DAVE },
  {
    name: 'dj-rest-auth user PATCH (JSON)',
    method: 'PATCH',
    path: `${R}/user/`,
    headers: (c) => tokenAuth(c.key),
    body: { first_name: 'Dave' },
    status: 200,
    json: { ...DAVE, first_name: 'Dave' },
  },
  {
    name: 'dj-rest-auth user PATCH (form), e-mail is read-only',
    method: 'PATCH',
    path: `${R}/user/`,
    headers: (c) => ({ ...tokenAuth(c.key), ...FORM() }),
    body: form({ last_name: 'Doe', email: 'other@example.com' }),
    status: 200,
    json: { ...DAVE, first_name: 'Dave', last_name: 'Doe' },
  },
  {
    name: 'dj-rest-auth user PUT (JSON) → username required',
    method: 'PUT',
    path: `${R}/user/`,
    headers: (c) => tokenAuth(c.key),
    body: { first_name: 'Dave' },
    status: 400,
    json: { username: REQUIRED },
  },
  {
    name: 'dj-rest-auth user PUT (JSON)',
    method: 'PUT',
    path: `${R}/user/`,
    headers: (c) => tokenAuth(c.key),
    body: { username: 'dave', first_name: 'Dave', last_name: 'Doe' },
    status: 200,
    json: { ...DAVE, first_name: 'Dave', last_name: 'Doe' },
  },
  { name: 'dj-rest-auth resend-email → ok whatever the address', method: 'POST', path: `${R}/registration/resend-email/`, body: { email: 'dave@example.com' }, status: 200, json: { detail: 'ok' } },
  { name: 'dj-rest-auth user DELETE → 405', method: 'DELETE', path: `${R}/user/`, headers: (c) => tokenAuth(c.key), status: 405, json: method('DELETE') },
  {
    name: 'dj-rest-auth password change, anonymous → 401',
    method: 'POST',
    path: `${R}/password/change/`,
    body: {},
    status: 401,
    expectHeaders: { 'www-authenticate': CHALLENGE },
    json: NOT_PROVIDED,
  },
  {
    name: 'dj-rest-auth password change, passwords differ → new_password2 (Django form\'s ’)',
    method: 'POST',
    path: `${R}/password/change/`,
    headers: (c) => tokenAuth(c.key),
    body: { old_password: PASSWORD[0], new_password1: PASSWORD[1], new_password2: PASSWORD[2] },
    status: 400,
    json: { new_password2: ['The two password fields didn’t match.'] },
  },
  {
    name: 'dj-rest-auth password change, weak → new_password2',
    method: 'POST',
    path: `${R}/password/change/`,
    headers: (c) => tokenAuth(c.key),
    body: { old_password: PASSWORD[0], new_password1: '1234', new_password2: '1234' },
    status: 400,
    json: { new_password2: WEAK_1234 },
  },
  {
    name: 'dj-rest-auth password change (form) → saved',
    method: 'POST',
    path: `${R}/password/change/`,
    headers: (c) => ({ ...tokenAuth(c.key), ...FORM() }),
    body: form({ old_password: PASSWORD[0], new_password1: PASSWORD[1], new_password2: PASSWORD[1] }),
    status: 200,
    json: { detail: 'New password has been saved.' },
  },
  {
    name: 'dj-rest-auth: the password change revoked the key it was made with',
    method: 'GET',
    path: `${R}/user/`,
    headers: (c) => tokenAuth(c.key),
    status: 401,
    expectHeaders: { 'www-authenticate': CHALLENGE },
    json: { detail: 'Invalid token.' },
  },
  { name: 'dj-rest-auth password reset, invalid e-mail → 400', method: 'POST', path: `${R}/password/reset/`, body: { email: 'nope' }, status: 400, json: { email: ['Enter a valid email address.'] } },
  {
    name: 'dj-rest-auth password reset, unknown address → the same answer',
    method: 'POST',
    path: `${R}/password/reset/`,
    body: { email: 'nobody@example.com' },
    status: 200,
    json: { detail: 'Password reset e-mail has been sent.' },
  },
  {
    name: 'dj-rest-auth password reset (form) → sent',
    method: 'POST',
    path: `${R}/password/reset/`,
    headers: FORM,
    body: form({ email: 'dave@example.com' }),
    status: 200,
    json: { detail: 'Password reset e-mail has been sent.' },
    check: async (_res, ctx) => assert.equal((await allauthResetLink(ctx)).length, 2),
  },
  {
    name: 'dj-rest-auth reset confirm, {} → every field required',
    method: 'POST',
    path: `${R}/password/reset/confirm/`,
    body: {},
    status: 400,
    json: { new_password1: REQUIRED, new_password2: REQUIRED, uid: REQUIRED, token: REQUIRED },
  },
  {
    name: 'dj-rest-auth reset confirm, no such uid → Invalid value',
    method: 'POST',
    path: `${R}/password/reset/confirm/`,
    body: async (ctx: Ctx) => ({ uid: 'zz', token: (await allauthResetLink(ctx))[1], new_password1: PASSWORD[2], new_password2: PASSWORD[2] }),
    status: 400,
    json: { uid: ['Invalid value'] },
  },
  {
    name: 'dj-rest-auth reset confirm with the mailed link (JSON) → reset',
    method: 'POST',
    path: `${R}/password/reset/confirm/`,
    body: async (ctx: Ctx) => {
      const [uid, token] = await allauthResetLink(ctx);
      return { uid, token, new_password1: PASSWORD[2], new_password2: PASSWORD[2] };
    },
    status: 200,
    json: { detail: 'Password has been reset with the new password.' },
  },
  {
    name: 'dj-rest-auth login with the new password (JSON)',
    method: 'POST',
    path: `${R}/login/`,
    body: { username: 'dave', password: PASSWORD[2] },
    status: 200,
    check: (res, ctx) => {
      ctx.key = (res.json as { key: string }).key;
      assert.ok(ctx.key);
    },
  },
  { name: 'dj-rest-auth logout', method: 'POST', path: `${R}/logout/`, headers: (c) => tokenAuth(c.key), status: 200, expectHeaders: jsonHeaders, json: { detail: 'Successfully logged out.' } },
  { name: 'dj-rest-auth: the logged-out key is refused', method: 'GET', path: `${R}/user/`, headers: (c) => tokenAuth(c.key), status: 401, json: { detail: 'Invalid token.' } },
  { name: 'dj-rest-auth logout, anonymous → 200 all the same', method: 'POST', path: `${R}/logout/`, status: 200, json: { detail: 'Successfully logged out.' } },
];

/**
 * What serves the cases: an adapter (the engine under `/auth`), or `gatehouse serve`'s own
 * listener (src/server/serve.ts: the engine at the root, so the route sets are configured
 * at `/auth/djoser` and `/auth/dj-rest-auth` to keep the same paths).
 */
type Target = AdapterName | 'server';
const TARGETS: readonly Target[] = [...ADAPTERS, 'server'];

async function startTarget(target: Target, gatehouse: Gatehouse): Promise<{ url: string; close(): Promise<void> }> {
  if (target !== 'server') return startAdapter(target, { gatehouse, throttle: { allow: () => null } });
  const running = await listen(gatehouse, '127.0.0.1', 0);
  const close = () =>
    new Promise<void>((done) => {
      running.server.close(() => done());
      running.server.closeAllConnections();
    });
  return { url: running.url, close };
}

for (const target of TARGETS) {
  describe(`accounts on ${target === 'server' ? 'the server (gatehouse serve)' : `adapter: ${target}`}`, () => {
    let running: { url: string; close(): Promise<void> };
    let dir: string;
    const ctx = {} as Ctx;

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), `gatehouse-accounts-${target}-`));
      const at = target === 'server' ? '/auth' : '';
      const settings = parseSettings(
        mergeSettings(
          {
            database: join(dir, 'db.sqlite3'),
            secretKey: 'test-secret-key-that-is-long-enough-0123456789',
            logLevel: 'warn',
            accounts: { djoser: `${at}/djoser`, djRestAuth: `${at}/dj-rest-auth`, domain: 'app.example.com', emailVerification: 'mandatory' },
            throttle: { rates: { accounts: null } },
          },
          {},
        ),
      );
      ctx.mail = new MemoryEmailBackend();
      ctx.gatehouse = await createGatehouse(settings, { logger: createLogger('warn', new LogCapture()), email: ctx.mail });
      running = await startTarget(target, ctx.gatehouse);
    });
    after(async () => {
      await running?.close();
      await ctx.gatehouse?.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    for (const c of [...DJOSER, ...DJ_REST_AUTH]) {
      test(c.name, async () => {
        await runCase(running.url, c, ctx);
      });
    }
  });
}

/**
 * Django's paths, as docs/frameworks/*.md show them: `accounts.djoser` at `/auth`, the
 * engine mounted at the root after the application's own routes. The route sets, the
 * token endpoints and the application's protected routes all answer; unknown paths are
 * Gatehouse's JSON 404.
 */
const ROOT_MOUNT: Case<Ctx>[] = [
  { name: 'sign-up at /auth/users/', method: 'POST', path: '/auth/users/', body: {}, status: 400, json: { username: REQUIRED, password: REQUIRED, re_password: REQUIRED } },
  { name: 'dj-rest-auth at /dj-rest-auth/', method: 'POST', path: '/dj-rest-auth/login/', body: {}, status: 400, json: { password: REQUIRED } },
  { name: 'the token endpoints at the root', method: 'GET', path: '/api/token/', status: 405, json: method('GET') },
  { name: 'djoser login at /auth/token/login/', method: 'POST', path: '/auth/token/login/', body: { username: 'erin', password: PASSWORD[0] }, status: 200, check: (res, ctx) => void (ctx.token = (res.json as { auth_token: string }).auth_token) },
  { name: 'the application\'s own protected route, anonymous → 401', method: 'GET', path: '/notes', status: 401, expectHeaders: { 'www-authenticate': CHALLENGE }, json: NOT_PROVIDED },
  { name: 'the application\'s own protected route with the token', method: 'GET', path: '/notes', headers: (c) => tokenAuth(c.token), status: 200, json: { username: 'erin' } },
  { name: 'an unknown path → Gatehouse\'s JSON 404', method: 'GET', path: '/nope/', status: 404, expectHeaders: jsonHeaders, json: { detail: 'Not found.' } },
];

for (const adapter of ADAPTERS) {
  describe(`accounts at Django's paths (engine at the root) on adapter: ${adapter}`, () => {
    let running: Running;
    let dir: string;
    const ctx = {} as Ctx;

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), `gatehouse-accounts-root-${adapter}-`));
      const settings = parseSettings(
        mergeSettings(
          {
            database: join(dir, 'db.sqlite3'),
            secretKey: 'test-secret-key-that-is-long-enough-0123456789',
            logLevel: 'warn',
            accounts: { djoser: '/auth', djRestAuth: '/dj-rest-auth', domain: 'app.example.com' },
            throttle: { rates: { accounts: null } },
          },
          {},
        ),
      );
      ctx.mail = new MemoryEmailBackend();
      ctx.gatehouse = await createGatehouse(settings, { logger: createLogger('warn', new LogCapture()), email: ctx.mail });
      await ctx.gatehouse.users.create({ username: 'erin', password: PASSWORD[0], email: 'erin@example.com' });
      running = await startAdapter(adapter, { gatehouse: ctx.gatehouse, throttle: { allow: () => null }, prefix: '' });
    });
    after(async () => {
      await running?.close();
      await ctx.gatehouse?.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    for (const c of ROOT_MOUNT) {
      test(c.name, async () => {
        await runCase(running.url, c, ctx);
      });
    }
  });
}

/**
 * dj-rest-auth in JWT + cookie mode on every adapter: the login's cookies arrive as separate
 * `Set-Cookie` lines (never folded into one), and a logout that presents only the refresh
 * cookie revokes it.
 */
interface CookieCtx extends Ctx {
  refreshCookie: string;
}

const COOKIE_MODE: Case<CookieCtx>[] = [
  {
    name: 'login → empty tokens in the body, one Set-Cookie line per cookie',
    method: 'POST',
    path: `${R}/login/`,
    body: { username: 'olga', password: PASSWORD[0] },
    status: 200,
    check: (res, ctx) => {
      const body = res.json as { access: string; refresh: string; user: { username: string } };
      assert.deepEqual([body.access, body.refresh, body.user.username], ['', '', 'olga']);
      const lines = res.headers['set-cookie'];
      assert.ok(Array.isArray(lines) && lines.length >= 2, `Set-Cookie: ${String(lines)}`);
      const names = lines.map((l) => l.slice(0, l.indexOf('=')));
      assert.ok(names.includes('gatehouse-access') && names.includes('gatehouse-refresh'), names.join(', '));
      ctx.refreshCookie = lines.find((l) => l.startsWith('gatehouse-refresh='))!.split(';')[0]!;
    },
  },
  {
    name: 'logout with the refresh cookie only → logged out, cookies deleted line by line',
    method: 'POST',
    path: `${R}/logout/`,
    headers: (c) => ({ Cookie: c.refreshCookie }),
    body: {},
    status: 200,
    json: { detail: 'Successfully logged out.' },
    check: (res) => {
      const lines = res.headers['set-cookie'];
      assert.ok(Array.isArray(lines), `Set-Cookie: ${String(lines)}`);
      const deleted = lines.filter((l) => l.startsWith('gatehouse-refresh=""; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0;'));
      assert.equal(deleted.length, 1, lines.join(' | '));
    },
  },
  {
    name: 'the revoked refresh cookie no longer refreshes',
    method: 'POST',
    path: '/auth/api/token/refresh/',
    headers: (c) => ({ Cookie: c.refreshCookie }),
    body: {},
    status: 401,
  },
];

for (const adapter of ADAPTERS) {
  describe(`accounts, dj-rest-auth JWT + cookie mode, on adapter: ${adapter}`, () => {
    let running: Running;
    let dir: string;
    const ctx = {} as CookieCtx;

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), `gatehouse-accounts-cookies-${adapter}-`));
      const settings = parseSettings(
        mergeSettings(
          {
            database: join(dir, 'db.sqlite3'),
            secretKey: 'test-secret-key-that-is-long-enough-0123456789',
            logLevel: 'warn',
            accounts: { djRestAuth: '/dj-rest-auth', djRestAuthJwt: true, emailVerification: 'none', domain: 'app.example.com' },
            cookies: { enabled: true, csrf: false, refreshPath: '/auth/api/token/' },
            throttle: { rates: { accounts: null } },
          },
          {},
        ),
      );
      ctx.mail = new MemoryEmailBackend();
      ctx.gatehouse = await createGatehouse(settings, { logger: createLogger('warn', new LogCapture()), email: ctx.mail });
      await ctx.gatehouse.users.create({ username: 'olga', password: PASSWORD[0], email: 'olga@example.com' });
      running = await startAdapter(adapter, { gatehouse: ctx.gatehouse, throttle: { allow: () => null } });
    });
    after(async () => {
      await running?.close();
      await ctx.gatehouse?.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    for (const c of COOKIE_MODE) {
      test(c.name, async () => {
        await runCase(running.url, c, ctx);
      });
    }
  });
}
