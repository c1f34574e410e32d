/**
 * `gatehouse serve`: the application on node:http, with graceful shutdown
 * (stop accepting, let in-flight requests finish, close the database).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { answerExpectations, nodeListener } from '../http/node/index.js';
import { StartupError, type Gatehouse } from './app.js';
import type { Logger } from './logger.js';

export interface RunningServer {
  server: Server;
  url: string;
  /** Stop accepting, wait for in-flight requests (at most `graceMs`), close stores. */
  stop(graceMs?: number): Promise<void>;
}

/** Listen on host:port; resolves once listening. */
export async function listen(app: Gatehouse, host: string, port: number, logger?: Logger): Promise<RunningServer> {
  // The endpoints are served at the root: the refresh cookie's path must reach /api/token/refresh/.
  const problems = app.cookies?.mountProblems('') ?? [];
  if (problems.length > 0) throw new StartupError(`Invalid cookie mode settings:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  const server = createServer(
    { requestTimeout: app.settings.http.requestTimeout, headersTimeout: Math.min(app.settings.http.requestTimeout, 60_000), maxHeaderSize: 16 * 1024 },
    nodeListener(app.engine, { maxBodySize: app.settings.http.maxBodySize }),
  );
  server.keepAliveTimeout = 5000;
  answerExpectations(server); // JSON 417, not Node's bare one
  // Malformed HTTP never gets a stack trace: a JSON 400 (431 for oversized headers), socket closed.
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    if (!socket.writable || (err.code === 'ECONNRESET')) {
      socket.destroy();
      return;
    }
    const tooLarge = err.code === 'HPE_HEADER_OVERFLOW';
    const body = tooLarge ? '{"detail":"Request header fields too large."}' : '{"detail":"Malformed HTTP request."}';
    const status = tooLarge ? '431 Request Header Fields Too Large' : '400 Bad Request';
    socket.end(`HTTP/1.1 ${status}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  const url = `http://${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}`;
  let stopping: Promise<void> | undefined;
  const stop = (graceMs = 10_000) =>
    (stopping ??= (async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const timer = setTimeout(() => server.closeAllConnections(), graceMs);
      await closed;
      clearTimeout(timer);
      await app.close();
      logger?.info('stopped');
    })());
  return { server, url, stop };
}
