/**
 * The page the real-browser test serves (same origin as the Gatehouse routes): the
 * @simplewebauthn/browser bundle from node_modules and a few functions the test calls
 * through `page.evaluate` — every ceremony runs in the page with `navigator.credentials`.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const PACKAGE = '/@simplewebauthn/browser/';
const entry = createRequire(import.meta.url).resolve('@simplewebauthn/browser');

/** The UMD bundle (global `SimpleWebAuthnBrowser`), from the installed package. */
export const BROWSER_BUNDLE = readFileSync(join(entry.slice(0, entry.lastIndexOf(PACKAGE) + PACKAGE.length), 'dist/bundle/index.umd.min.js'), 'utf8');

export const PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><title>Gatehouse passkeys</title><script src="/webauthn.js"></script></head>
<body><script>
async function call(method, path, body, token) {
  const headers = { 'Content-Type': 'application/json' };
  if (token) headers.Authorization = 'Token ' + token;
  const r = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await r.text();
  return { status: r.status, json: text ? JSON.parse(text) : null };
}
window.call = call;
window.registerPasskey = async (token, name) => {
  const options = await call('POST', '/api/auth/passkeys/register/options/', undefined, token);
  if (options.status !== 200) return options;
  const credential = await SimpleWebAuthnBrowser.startRegistration({ optionsJSON: options.json });
  return call('POST', '/api/auth/passkeys/', { name, credential }, token);
};
window.passkeyLogin = async () => {
  const options = await call('POST', '/api/auth/passkeys/login/options/');
  const credential = await SimpleWebAuthnBrowser.startAuthentication({ optionsJSON: options.json });
  return call('POST', '/api/auth/passkeys/login/', { credential });
};
window.assertWith = (optionsJSON) => SimpleWebAuthnBrowser.startAuthentication({ optionsJSON });
window.passwordThenPasskey = async (username, password) => {
  const first = await call('POST', '/api-token-auth/', { username, password });
  if (first.status !== 401 || !first.json.webauthn) return { first };
  const webauthn = await SimpleWebAuthnBrowser.startAuthentication({ optionsJSON: first.json.webauthn });
  const second = await call('POST', '/api-token-auth/', { mfa_ticket: first.json.mfa_ticket, webauthn });
  const replayed = await call('POST', '/api-token-auth/', { mfa_ticket: first.json.mfa_ticket, webauthn });
  return { first, second, replayed };
};
</script></body></html>`;
