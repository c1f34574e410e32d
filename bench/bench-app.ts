/**
 * What the HTTP benchmarks' server and the in-process loop measure against: one Gatehouse
 * from the built `dist/` with API keys on, one user, an opaque token, a JWT pair, an API key,
 * and `/api/me-apikey/` (`/api/me/`'s view behind `ApiKeyAuthentication` alone).
 */
import { parseSettings } from '../dist/core/settings.js';
import { createGatehouse } from '../dist/server/app.js';
import { IsAuthenticated } from '../dist/permissions/index.js';
import { userDetails } from '../dist/http/endpoints/user.js';

export async function benchApp(database: string) {
  const settings = parseSettings({
    database,
    secretKey: 'bench-secret-key-0123456789abcdefghijklmnop',
    logLevel: 'silent',
    apiKeys: { enabled: true },
    jwt: { accessTokenLifetime: '1h', ...(process.env.BENCH_JWT_DENYLIST === '1' ? { accessTokenDenylist: true } : {}) },
  });
  const app = await createGatehouse(settings);
  const username = `bench-${process.pid}-${Date.now()}`;
  const user = await app.users.create({ username, password: 'alice-password-1' });
  const { key: token } = await app.tokens.issue(user);
  const { access, refresh } = await app.jwt.obtainPair(user);
  const { key: apiKey } = await app.apiKeys!.create({ name: 'bench', userId: user.id });
  app.engine.add({
    path: '/api/me-apikey/',
    authenticators: [app.authenticators.apiKey!],
    permissions: [IsAuthenticated],
    methods: { GET: (ctx) => ({ body: userDetails(ctx.principal!.user) }) },
  });
  return { app, username, token, access, refresh, apiKey };
}
