/**
 * Opaque-token endpoints: DRF's `ObtainAuthToken`, knox's login / logout / logoutall,
 * and Gatehouse's token list and per-token revocation.
 */
import { noAudit, type Audit } from '../../core/audit.js';
import type { Authenticator } from '../../core/authenticator.js';
import type { RequestView } from '../../core/request.js';
import type { User } from '../../core/user.js';
import { NotAuthenticated, NotFound, ValidationError, type JsonValue } from '../../core/errors.js';
import { drfDateTime } from '../../core/json.js';
import type { Principal } from '../../core/user.js';
import { IsAuthenticated } from '../../permissions/index.js';
import type { TokenRecord } from '../../stores/types.js';
import type { TokenAuthentication } from '../../tokens/authentication.js';
import type { OpaqueTokenService } from '../../tokens/service.js';
import type { UserService } from '../../users/service.js';
import type { MfaGate, VerifiedLogin } from '../../mfa/gate.js';
import type { HandlerContext, Route } from '../route.js';
import { AUTH_TOKEN_FIELDS, CREDENTIAL_FIELDS, UNABLE_TO_LOG_IN, issueForLogin, userFromCredentials } from './credentials.js';

export interface OpaqueEndpointDeps {
  users: UserService;
  tokens: OpaqueTokenService;
  tokenAuthentication: TokenAuthentication;
  /**
   * The login endpoints' authenticators: DRF's default classes are
   * `[SessionAuthentication, BasicAuthentication]`, so Basic runs but the first class has
   * no challenge and failures are 403 — a `BasicAuthentication` with `challenge: false`
   * (and the throttle's client address).
   */
  basicAuthentication: Authenticator;
  /** Called after each login attempt, for audit logs (never given the password). */
  audit?: Audit;
  /** Extra authenticators accepted by logout-all after the token one (e.g. JWT). */
  logoutAllAuthenticators?: readonly Authenticator[];
  /** The client address for the login throttle (default: the socket peer). */
  clientAddress?: (req: RequestView) => string;
  /** The login gate (second factors): every login passes through it. */
  gate: MfaGate;
  /** Also run on logout-all, after `UserService.logoutAll` (which runs its credential listeners). */
  onLogoutAll?: (user: User) => Promise<void>;
}

const iso = (ms: number | null): string | null => (ms === null ? null : drfDateTime(ms));

/** The client label stored with a new token: the User-Agent, truncated. */
function clientLabel(ctx: HandlerContext): string | null {
  const ua = ctx.req.headers['user-agent'];
  return ua ? ua.slice(0, 200) : null;
}

function tokenView(t: TokenRecord, current: TokenRecord | null): JsonValue {
  return {
    id: t.id,
    prefix: t.prefix,
    created: drfDateTime(t.createdAt),
    last_used: iso(t.lastUsedAt),
    expiry: iso(t.expiresAt),
    client: t.label,
    current: current !== null && current.id === t.id,
  };
}

/**
 * Issue a login's opaque token (labelled with the client's User-Agent), run `after`
 * (e.g. `touchLastLogin`) and audit the login — for a login the MFA gate verified only.
 * A login whose user's credentials changed while it ran fails as wrong credentials do
 * (`Unable to log in with provided credentials.`). Every endpoint that hands out a
 * DRF/knox token goes through here.
 */
export function issueLoginToken(
  deps: { tokens: OpaqueTokenService; audit: Audit },
  ctx: HandlerContext,
  login: VerifiedLogin,
  options: { onLimit: 'refuse' | 'evictOldest'; after?: (user: User) => Promise<void> },
) {
  return issueForLogin(
    login,
    deps.audit,
    async (user) => {
      const issued = await deps.tokens.issue(user, { label: clientLabel(ctx), onLimit: options.onLimit });
      await options.after?.(user);
      return issued;
    },
    () => ValidationError.nonField(UNABLE_TO_LOG_IN),
    (issued) => issued.record.id,
  );
}

/** The opaque-token routes under their DRF / knox paths. */
export function opaqueTokenRoutes(deps: OpaqueEndpointDeps, prefix = ''): Route[] {
  const { users, tokens, tokenAuthentication } = deps;
  const audit = deps.audit ?? noAudit;
  const address = deps.clientAddress ?? ((req: RequestView) => req.remoteAddress);
  const defaultAuthenticators = [deps.basicAuthentication];
  const tokenAuthenticators = [tokenAuthentication];
  const authToken = (p: Principal | null) => (p?.auth ?? null) as TokenRecord | null;

  /** Credentials from the body; a failure is audited and rethrown unchanged. */
  const loginFromBody = async (ctx: HandlerContext, endpoint: string) => {
    try {
      return await userFromCredentials(users, ctx, address(ctx.req));
    } catch (e) {
      audit({ event: 'login_failed', endpoint });
      throw e;
    }
  };

  /** knox login: the user Basic authenticated, else the body's credentials (neither field: 401/403 as DRF). */
  const knoxUser = async (ctx: HandlerContext): Promise<User> => {
    if (ctx.principal) return ctx.principal.user;
    const body = await ctx.body();
    if (!Object.hasOwn(body, 'username') && !Object.hasOwn(body, 'password')) throw new NotAuthenticated();
    return loginFromBody(ctx, 'knox-login');
  };

  const touch = (user: User) => users.touchLastLogin(user);

  return [
    {
      path: `${prefix}/api-token-auth/`,
      name: 'Obtain Auth Token',
      description: '',
      fields: AUTH_TOKEN_FIELDS,
      // ObtainAuthToken's parser_classes, in its order (visible in OPTIONS).
      parsers: ['form', 'multipart', 'json'],
      authenticators: defaultAuthenticators,
      noStore: true,
      methods: {
        POST: async (ctx) => {
          const login = await deps.gate.pass(ctx, { endpoint: 'api-token-auth', authenticate: () => loginFromBody(ctx, 'api-token-auth') });
          const { key } = await issueLoginToken({ tokens, audit }, ctx, login, { onLimit: 'evictOldest' });
          return { body: { token: key } };
        },
      },
    },
    {
      path: `${prefix}/api/auth/login/`,
      name: 'Login',
      description: 'Issue a new token for credentials given by HTTP Basic or as username and password in the body.',
      fields: CREDENTIAL_FIELDS,
      authenticators: defaultAuthenticators,
      noStore: true,
      methods: {
        POST: async (ctx) => {
          const login = await deps.gate.pass(ctx, { endpoint: 'knox-login', authenticate: () => knoxUser(ctx) });
          const { key, record } = await issueLoginToken({ tokens, audit }, ctx, login, { onLimit: 'refuse', after: touch });
          return { body: { expiry: iso(record.expiresAt), token: key } };
        },
      },
    },
    {
      path: `${prefix}/api/auth/logout/`,
      name: 'Logout',
      authenticators: tokenAuthenticators,
      permissions: [IsAuthenticated],
      methods: {
        POST: async (ctx) => {
          const token = authToken(ctx.principal);
          if (token) await tokens.revoke(token.id);
          audit({ event: 'logout', endpoint: 'knox-logout', userId: ctx.principal?.user.id, tokenId: token?.id });
          return { status: 204 };
        },
      },
    },
    {
      path: `${prefix}/api/auth/logoutall/`,
      name: 'Logout All',
      authenticators: [...tokenAuthenticators, ...(deps.logoutAllAuthenticators ?? [])],
      permissions: [IsAuthenticated],
      methods: {
        POST: async (ctx) => {
          const user = ctx.principal!.user;
          // Every token, and logins in flight store nothing (src/stores/generation.ts).
          await users.logoutAll(user);
          await deps.onLogoutAll?.(user);
          audit({ event: 'logout_all', endpoint: 'knox-logoutall', userId: user.id });
          return { status: 204 };
        },
      },
    },
    {
      path: `${prefix}/api/auth/tokens/`,
      name: 'Token List',
      authenticators: tokenAuthenticators,
      permissions: [IsAuthenticated],
      methods: {
        GET: async (ctx) => {
          const current = authToken(ctx.principal);
          const list = await tokens.list(ctx.principal!.user.id);
          return { body: list.map((t) => tokenView(t, current)) };
        },
      },
    },
    {
      path: `${prefix}/api/auth/tokens/:id/`,
      name: 'Token Instance',
      authenticators: tokenAuthenticators,
      permissions: [IsAuthenticated],
      methods: {
        DELETE: async (ctx) => {
          const user = ctx.principal!.user;
          const id = Number(ctx.params.id);
          if (!(await tokens.revokeForUser(user.id, id))) throw new NotFound();
          audit({ event: 'token_revoked', endpoint: 'tokens', userId: user.id, tokenId: id });
          return { status: 204 };
        },
      },
    },
  ];
}
