/**
 * simplejwt's token views as routes: obtain pair, refresh, verify, blacklist, sliding
 * obtain and refresh. Like simplejwt they have no authenticators (an `Authorization`
 * header is ignored) but answer 401 with `WWW-Authenticate: Bearer realm="api"`.
 */
import { AuthenticationFailed, ValidationError } from '../../core/errors.js';
import { TOKEN_BLACKLISTED } from '../../jwt/claims.js';
import { NO_ACTIVE_ACCOUNT, type JwtService } from '../../jwt/service.js';
import type { UserService } from '../../users/service.js';
import { validateCharFields } from '../fields.js';
import type { HandlerContext, MetadataField, Route } from '../route.js';
import type { AuditEvent } from './opaque.js';

export interface JwtEndpointDeps {
  users: UserService;
  jwt: JwtService;
  audit?: (event: AuditEvent) => void;
}

const field = (name: string, label: string): MetadataField => ({ name, label });

/** The simplejwt views under `/api/token/`. */
export function jwtRoutes(deps: JwtEndpointDeps, prefix = '/api/token'): Route[] {
  const { users, jwt } = deps;
  const audit = deps.audit ?? (() => {});
  const challenge = `${jwt.settings.authHeaderTypes[0]} realm="api"`;
  const common = { challenge, noStore: true } as const;

  /** simplejwt `TokenObtainSerializer.validate`: both fields trimmed (its PasswordField keeps CharField's default). */
  const login = async (ctx: HandlerContext, endpoint: string) => {
    const { username, password } = validateCharFields(await ctx.body(), [{ name: 'username' }, { name: 'password' }]) as {
      username: string;
      password: string;
    };
    const user = await users.authenticate(username, password);
    if (!user || !jwt.canAuthenticate(user)) {
      audit({ event: 'login_failed', endpoint });
      throw new AuthenticationFailed(NO_ACTIVE_ACCOUNT);
    }
    if (jwt.settings.updateLastLogin) await users.touchLastLogin(user);
    return user;
  };

  const one = async (ctx: HandlerContext, name: string) => (validateCharFields(await ctx.body(), [{ name }]) as Record<string, string>)[name] as string;

  return [
    {
      ...common,
      path: `${prefix}/`,
      name: 'Token Obtain Pair',
      description: 'Takes a set of user credentials and returns an access and refresh JSON web\ntoken pair to prove the authentication of those credentials.',
      fields: [field('username', 'Username'), field('password', 'Password')],
      methods: {
        POST: async (ctx) => {
          const user = await login(ctx, 'token-obtain');
          const pair = await jwt.obtainPair(user);
          audit({ event: 'login', endpoint: 'token-obtain', userId: user.id });
          return { body: { refresh: pair.refresh, access: pair.access } };
        },
      },
    },
    {
      ...common,
      path: `${prefix}/refresh/`,
      name: 'Token Refresh',
      description: 'Takes a refresh type JSON web token and returns an access type JSON web\ntoken if the refresh token is valid.',
      fields: [field('refresh', 'Refresh')],
      methods: {
        POST: async (ctx) => {
          const result = await jwt.refresh(await one(ctx, 'refresh'));
          return { body: result.refresh === undefined ? { access: result.access } : { access: result.access, refresh: result.refresh } };
        },
      },
    },
    {
      ...common,
      path: `${prefix}/verify/`,
      name: 'Token Verify',
      description: 'Takes a token and indicates if it is valid.  This view provides no\ninformation about a token\'s fitness for a particular use.',
      fields: [field('token', 'Token')],
      methods: {
        POST: async (ctx) => {
          if (!(await jwt.verify(await one(ctx, 'token')))) throw ValidationError.nonField(TOKEN_BLACKLISTED);
          return { body: {} };
        },
      },
    },
    {
      ...common,
      path: `${prefix}/blacklist/`,
      name: 'Token Blacklist',
      description: 'Takes a token and blacklists it. Must be used with the\n`rest_framework_simplejwt.token_blacklist` app installed.',
      fields: [field('refresh', 'Refresh')],
      methods: {
        POST: async (ctx) => {
          await jwt.blacklist(await one(ctx, 'refresh'));
          audit({ event: 'logout', endpoint: 'token-blacklist' });
          return { body: {} };
        },
      },
    },
    {
      ...common,
      path: `${prefix}/sliding/`,
      name: 'Token Obtain Sliding',
      description: 'Takes a set of user credentials and returns a sliding JSON web token to\nprove the authentication of those credentials.',
      fields: [field('username', 'Username'), field('password', 'Password')],
      methods: {
        POST: async (ctx) => {
          const user = await login(ctx, 'token-sliding');
          const token = await jwt.obtainSliding(user);
          audit({ event: 'login', endpoint: 'token-sliding', userId: user.id });
          return { body: { token } };
        },
      },
    },
    {
      ...common,
      path: `${prefix}/sliding/refresh/`,
      name: 'Token Refresh Sliding',
      description: 'Takes a sliding JSON web token and returns a new, refreshed version if the\ntoken\'s refresh period has not expired.',
      fields: [field('token', 'Token')],
      methods: {
        POST: async (ctx) => ({ body: { token: await jwt.refreshSliding(await one(ctx, 'token')) } }),
      },
    },
  ];
}
