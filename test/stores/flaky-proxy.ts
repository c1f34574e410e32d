/**
 * Test helpers for services that go away: a TCP proxy that can go down, black-hole new
 * connections or stall existing ones (so a shared PostgreSQL or Redis is never stopped),
 * and polling without timed assertions.
 */
import { createServer, Socket, type Server } from 'node:net';
import { performance } from 'node:perf_hooks';

/** Poll (every macrotask turn) until `done()`; returns the elapsed ms, throws after `timeoutMs`. */
export async function waitFor(what: string, done: () => boolean, timeoutMs = 3000): Promise<number> {
  const start = performance.now();
  while (!done()) {
    if (performance.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setImmediate(r));
  }
  return performance.now() - start;
}

/** A TCP proxy in front of a server (PostgreSQL, Redis) that can go down, black-hole new connections, or stall existing ones. */
export class FlakyProxy {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  /** New connections: forwarded, or accepted and never answered. */
  mode: 'forward' | 'blackhole' = 'forward';
  /** Existing connections: bytes are dropped both ways while stalled. */
  stalled = false;
  port = 0;
  constructor(private readonly upstream: { host: string; port: number }) {}

  async start(): Promise<void> {
    const server = createServer((client) => {
      this.track(client);
      if (this.mode === 'blackhole') return;
      const upstream = new Socket();
      this.track(upstream);
      upstream.connect(this.upstream.port, this.upstream.host);
      client.on('data', (d) => !this.stalled && upstream.write(d));
      upstream.on('data', (d) => !this.stalled && client.write(d));
      const close = () => {
        client.destroy();
        upstream.destroy();
      };
      client.on('close', close);
      upstream.on('close', close);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as { port: number }).port;
    this.server = server;
  }

  private track(s: Socket): void {
    this.sockets.add(s);
    s.on('error', () => {});
    s.on('close', () => this.sockets.delete(s));
  }

  /** Refuse new connections and reset every open one (the database went away). */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    for (const s of this.sockets) s.destroy();
    if (server) await new Promise<void>((r) => server.close(() => r()));
  }

  url(base: string): string {
    const u = new URL(base);
    u.hostname = '127.0.0.1';
    u.port = String(this.port);
    return u.toString();
  }
}

