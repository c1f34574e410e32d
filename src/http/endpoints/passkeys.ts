/**
 * Passkeys over HTTP (mounted when `passkeys.enabled`; docs/mfa.md "Passkeys"):
 * - `POST   /api/auth/passkeys/register/options/` creation options for the caller (a stored challenge);
 * - `POST   /api/auth/passkeys/`        `{"name", "credential"}` → 201, the passkey stored;
 * - `GET    /api/auth/passkeys/`        the caller's passkeys (never a key or credential id);
 * - `PATCH  /api/auth/passkeys/:id/`    `{"name"}` renames; `DELETE` removes (204);
 * - `POST   /api/auth/passkeys/login/options/` anonymous: request options for a discoverable passkey;
 * - `POST   /api/auth/passkeys/login/`  `{"credential"}` → what a dj-rest-auth login answers
 *   (`{"key"}`, or `{"access","refresh","user"}` with `accounts.djRestAuthJwt`; cookies in
 *   cookie mode), through the same issuing funnel as the password logins.
 * The management routes authenticate as `/api/me/` does (JWT, Token: never an API key);
 * another user's passkey answers 404, as if it did not exist.
 */
import type { Authenticator } from '../../core/authenticator.js';
import { NotFound, type JsonObject } from '../../core/errors.js';
import { drfDateTime } from '../../core/json.js';
import type { Throttle } from '../../core/throttle.js';
import type { User } from '../../core/user.js';
import { IsAuthenticated } from '../../permissions/index.js';
import type { PasskeyRecord } from '../../stores/types.js';
import type { PasskeyService } from '../../passkeys/service.js';
import type { HandlerContext, HandlerResult, Route } from '../route.js';

/** Issues a passwordless login's credential for the user `authenticate` resolves (the dj-rest-auth login's `signIn`). */
export type PasskeyLoginIssuer = (ctx: HandlerContext, authenticate: () => Promise<User>) => Promise<HandlerResult>;

export interface PasskeyEndpointDeps {
  passkeys: PasskeyService;
  /** The management routes' authenticators: `[JWT, Token]`, never API keys. */
  authenticators: readonly Authenticator[];
  issue: PasskeyLoginIssuer;
  /** The login routes' throttle (scope `login`). */
  loginThrottle: Throttle;
  /** `WWW-Authenticate` of a refused login's 401 (simplejwt's obtain views': `Bearer realm="api"`). */
  challenge: string;
}

const iso = (ms: number | null): string | null => (ms === null ? null : drfDateTime(ms));

/** A passkey as listed: what a user needs to tell them apart; never the public key or credential id. */
export function passkeyView(p: PasskeyRecord): JsonObject {
  return {
    id: p.id,
    name: p.name,
    created: drfDateTime(p.createdAt),
    last_used: iso(p.lastUsedAt),
    device_type: p.deviceType,
    backed_up: p.backedUp,
    transports: p.transports,
  };
}

const me = (ctx: HandlerContext): User => ctx.principal!.user;

const idOf = (ctx: HandlerContext): number => {
  const id = ctx.params.id ?? '';
  if (!/^[0-9]{1,15}$/.test(id)) throw new NotFound();
  return Number(id);
};

export function passkeyRoutes(deps: PasskeyEndpointDeps, prefix = ''): Route[] {
  const { passkeys } = deps;
  const user = { authenticators: deps.authenticators, permissions: [IsAuthenticated], noStore: true } as const;
  const login = { throttles: [deps.loginThrottle], throttleScope: 'login', noStore: true, challenge: deps.challenge } as const;
  const base = `${prefix}/api/auth/passkeys`;
  return [
    {
      ...user,
      path: `${base}/`,
      name: 'Passkey List',
      methods: {
        GET: async (ctx) => ({ body: (await passkeys.list(me(ctx))).map(passkeyView) }),
        POST: async (ctx) => {
          const { name, credential } = await ctx.body();
          return { status: 201, body: passkeyView(await passkeys.register(me(ctx), credential, name)) };
        },
      },
    },
    { ...user, path: `${base}/register/options/`, name: 'Passkey Registration Options', methods: { POST: async (ctx) => ({ body: await passkeys.registrationOptions(me(ctx)) }) } },
    {
      ...user,
      path: `${base}/:id/`,
      name: 'Passkey Instance',
      methods: {
        PATCH: async (ctx) => ({ body: passkeyView(await passkeys.rename(me(ctx), idOf(ctx), (await ctx.body()).name)) }),
        DELETE: async (ctx) => {
          await passkeys.remove(me(ctx), idOf(ctx));
          return { status: 204 };
        },
      },
    },
    { ...login, path: `${base}/login/options/`, name: 'Passkey Login Options', methods: { POST: async () => ({ body: await passkeys.loginOptions() }) } },
    {
      ...login,
      path: `${base}/login/`,
      name: 'Passkey Login',
      methods: {
        POST: async (ctx) => {
          const { credential } = await ctx.body();
          return deps.issue(ctx, async () => (await passkeys.login(credential)).user);
        },
      },
    },
  ];
}
