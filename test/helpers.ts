/**
 * Test helpers: a real Gatehouse server on a loopback port over a temporary SQLite
 * file, and a raw HTTP client (node:http) that can send any header bytes.
 */
import { request as httpRequest } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { FakeClock } from '../src/core/clock.js';
import { mergeSettings, parseSettings, type Settings } from '../src/core/settings.js';
import type { HandlerContext } from '../src/http/route.js';
import type { ClaimsHook } from '../src/jwt/service.js';
import { IsAuthenticated } from '../src/permissions/index.js';
import { TokenAuthentication } from '../src/tokens/authentication.js';
import { createGatehouse, type CreateOptions, type Gatehouse } from '../src/server/app.js';
import { createLogger, type Logger } from '../src/server/logger.js';
import { listen, type RunningServer } from '../src/server/serve.js';

export interface TestResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  /** Parsed JSON body (undefined when empty or not JSON). */
  json: unknown;
}

export interface RequestOptions {
  /** An array value is sent as several header lines. */
  headers?: Record<string, string | string[]>;
  /** Object → JSON with `Content-Type: application/json`; string/Buffer sent as is. */
  body?: unknown;
}

/** Send one request with node:http (header values are latin-1 strings = raw bytes). */
export function send(baseUrl: string, method: string, path: string, options: RequestOptions = {}): Promise<TestResponse> {
  const url = new URL(path, baseUrl);
  const headers: Record<string, string | string[]> = { ...options.headers };
  let payload: Buffer | undefined;
  if (options.body !== undefined) {
    if (Buffer.isBuffer(options.body)) payload = options.body;
    else if (typeof options.body === 'string') payload = Buffer.from(options.body, 'utf8');
    else {
      payload = Buffer.from(JSON.stringify(options.body), 'utf8');
      if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['Content-Type'] = 'application/json';
    }
    headers['Content-Length'] = String(payload.length);
  }
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: url.hostname, port: url.port, path: url.pathname + url.search, method, headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = text ? JSON.parse(text) : undefined;
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** A log sink the test can read (docs/security.md #U2: no secret in logs). */
export class LogCapture extends Writable {
  readonly lines: string[] = [];
  override _write(chunk: Buffer, _enc: string, cb: () => void): void {
    this.lines.push(chunk.toString('utf8'));
    cb();
  }
  get text(): string {
    return this.lines.join('');
  }
}

export interface TestServer {
  url: string;
  app: Gatehouse;
  settings: Settings;
  clock: FakeClock;
  logs: LogCapture;
  dir: string;
  dbPath: string;
  running: RunningServer;
  send(method: string, path: string, options?: RequestOptions): Promise<TestResponse>;
  /** Create a user through the service. */
  createUser(username: string, password: string | null, extra?: { isActive?: boolean; isStaff?: boolean }): Promise<void>;
  /** Stop the server (keeps the database file). */
  stop(): Promise<void>;
  /** Stop and delete the temporary directory. */
  close(): Promise<void>;
}

export interface StartOptions {
  settings?: Record<string, unknown>;
  /** Reuse an existing directory (restart durability tests). */
  dir?: string;
  clock?: FakeClock;
  /** Custom JWT claims hook. */
  claims?: ClaimsHook;
  /** simplejwt's USER_AUTHENTICATION_RULE. */
  userAuthenticationRule?: CreateOptions['userAuthenticationRule'];
  /** An e-mail backend instead of the one `email.*` names (e.g. one that fails). */
  email?: CreateOptions['email'];
}

/** Start a real server on 127.0.0.1:<random port>. */
export async function startServer(options: StartOptions = {}): Promise<TestServer> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'gatehouse-test-'));
  const dbPath = join(dir, 'db.sqlite3');
  const settings = parseSettings(
    mergeSettings(
      { database: dbPath, secretKey: 'test-secret-key-that-is-long-enough-0123456789', logLevel: 'info', host: '127.0.0.1', port: 0 },
      options.settings,
    ),
  );
  const clock = options.clock ?? new FakeClock(Date.now());
  const logs = new LogCapture();
  const logger: Logger = createLogger(settings.logLevel, logs);
  const app = await createGatehouse(settings, {
    clock,
    logger,
    ...(options.claims ? { claims: options.claims } : {}),
    ...(options.userAuthenticationRule ? { userAuthenticationRule: options.userAuthenticationRule } : {}),
    ...(options.email ? { email: options.email } : {}),
  });
  const running = await listen(app, '127.0.0.1', 0, logger);
  const server: TestServer = {
    url: running.url,
    app,
    settings,
    clock,
    logs,
    dir,
    dbPath,
    running,
    send: (method, path, opts) => send(running.url, method, path, opts),
    async createUser(username, password, extra = {}) {
      await app.users.create({ username, password, ...extra });
    },
    stop: () => running.stop(100),
    async close() {
      await running.stop(100);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return server;
}

/**
 * Add a route authenticated by `TokenAuthentication` alone (`IsAuthenticated`, GET and
 * POST, the user view as body), like the oracle's `/api/hello-token/`: `/api/me/` runs
 * [JWT, Token], so its challenge is JWT's.
 */
export function addTokenOnlyRoute(s: TestServer, path = '/api/hello-token/'): void {
  const hello = (ctx: HandlerContext) => {
    const u = ctx.principal!.user;
    return { body: { pk: u.id, username: u.username, email: u.email, first_name: u.firstName, last_name: u.lastName } };
  };
  s.app.engine.add({
    path,
    authenticators: [new TokenAuthentication(s.app.tokens, s.settings.tokens.keyword)],
    permissions: [IsAuthenticated],
    methods: { GET: hello, POST: hello },
  });
}

/** `Authorization` header for a token. */
export const tokenHeader = (key: string) => ({ Authorization: `Token ${key}` });

/** `Authorization: Basic …` for a username and password. */
export const basicHeader = (username: string, password: string) => ({
  Authorization: `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`,
});
