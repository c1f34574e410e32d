/**
 * The change signal across instances, failing closed.
 *
 * Every write that can change whether a credential is accepted runs
 * `pg_notify('gatehouse_changes', …)` in its transaction; PostgreSQL delivers the
 * notification to every listening session when (and only if) it commits. Each
 * `PostgresStores` keeps one dedicated connection `LISTEN gatehouse_changes` and moves
 * its counter on every notification about its schema from another instance (its own
 * writes move it locally, at once, after the transaction).
 *
 * While that connection is not established — before the first connect, after an error,
 * a server restart, `pg_terminate_backend`, or an unanswered heartbeat — notifications
 * may be missed, so `generation()` returns a new value on every call: every cache keyed
 * by the generation misses, and every request reads the database. Once the connection
 * is back and `LISTEN` has been re-issued, the counter moves once more (anything read
 * while disconnected is stale by construction) and caching resumes.
 *
 * Payloads are JSON `{"schema", "from", "what"}`; a notification that is not such JSON
 * (e.g. an operator's `NOTIFY gatehouse_changes`) moves the counter too.
 */
import pg from 'pg';
import type { ClientConfig, Notification } from 'pg';
import type { ChangeSignal } from '../types.js';
import { CHANGES_CHANNEL } from './database.js';

export interface ListenerOptions {
  config: ClientConfig;
  schema: string;
  instanceId: string;
  /** Probe interval of the listening connection, ms (0: none). */
  heartbeatMs: number;
  /** How long a probe may take before the connection counts as lost, ms. */
  heartbeatTimeoutMs: number;
  onError?: ((error: Error) => void) | undefined;
}

const BACKOFF_MIN_MS = 50;
const BACKOFF_MAX_MS = 5000;

export class PgChanges implements ChangeSignal {
  private n = 0;
  private live = false;
  private client: pg.Client | null = null;
  private pid: number | null = null;
  private closed = false;
  private failures = 0;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private heartbeatTimer: NodeJS.Timeout | null = null;
  private probing = false;
  private connecting: Promise<void> | null = null;
  /** Notifications received from other instances (for diagnostics and tests). */
  received = 0;

  constructor(private readonly o: ListenerOptions) {}

  /** Synchronous and cheap; a new value on every call while not listening (fail closed). */
  generation(): number {
    return this.live ? this.n : ++this.n;
  }

  /** This instance changed something (after its transaction). */
  bump(): void {
    this.n++;
  }

  /** Is the listening connection established (and `LISTEN` issued)? */
  get connected(): boolean {
    return this.live;
  }

  /** Backend pid of the listening connection, null while disconnected. */
  get listenerPid(): number | null {
    return this.live ? this.pid : null;
  }

  /** Start listening; resolves after the first attempt, whether it succeeded or not (retries go on). */
  start(): Promise<void> {
    return this.connect();
  }

  private connect(): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (this.connecting) return this.connecting;
    const attempt = this.attempt().finally(() => {
      this.connecting = null;
    });
    this.connecting = attempt;
    return attempt;
  }

  private async attempt(): Promise<void> {
    const client = new pg.Client(this.o.config);
    this.client = client;
    client.on('error', (e: Error) => this.lost(client, e));
    client.on('end', () => this.lost(client, new Error('listening connection ended')));
    client.on('notification', (m: Notification) => this.onNotification(client, m));
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANGES_CHANNEL}`);
      const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      if (this.client !== client || this.closed) {
        void client.end().catch(() => {});
        return;
      }
      this.pid = rows[0]?.pid ?? null;
      this.failures = 0;
      this.live = true;
      this.n++; // whatever was read while not listening may predate a missed notification
      this.startHeartbeat(client);
    } catch (e) {
      this.lost(client, e instanceof Error ? e : new Error(String(e)));
    }
  }

  private onNotification(client: pg.Client, m: Notification): void {
    if (client !== this.client || m.channel !== CHANGES_CHANNEL) return;
    let payload: unknown;
    try {
      payload = m.payload ? JSON.parse(m.payload) : null;
    } catch {
      payload = null;
    }
    if (payload !== null && typeof payload === 'object') {
      const { schema, from } = payload as { schema?: unknown; from?: unknown };
      if (typeof schema === 'string' && schema !== this.o.schema) return; // another deployment's tables
      if (from === this.o.instanceId) return; // our own write: already counted, after its commit
    }
    this.received++;
    this.n++;
  }

  private lost(client: pg.Client, error: Error): void {
    if (client !== this.client) return;
    this.live = false;
    this.client = null;
    this.pid = null;
    this.stopHeartbeat();
    destroy(client);
    if (this.closed) return;
    try {
      this.o.onError?.(error);
    } catch {
      // a reporting callback must not break reconnection
    }
    this.failures++;
    const delay = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** Math.min(this.failures - 1, 10));
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      void this.connect();
    }, delay * (0.75 + Math.random() * 0.5));
    this.reconnectTimer.unref();
  }

  private startHeartbeat(client: pg.Client): void {
    this.stopHeartbeat();
    if (this.o.heartbeatMs <= 0) return;
    this.heartbeatTimer = setInterval(() => {
      if (this.probing || client !== this.client) return;
      this.probing = true;
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('listening connection: heartbeat unanswered')), this.o.heartbeatTimeoutMs);
      });
      Promise.race([client.query('SELECT 1'), timeout])
        .then(
          () => {},
          (e: unknown) => this.lost(client, e instanceof Error ? e : new Error(String(e))),
        )
        .finally(() => {
          clearTimeout(timer);
          this.probing = false;
        });
    }, this.o.heartbeatMs);
    this.heartbeatTimer.unref();
  }

  private stopHeartbeat(): void {
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = null;
    this.probing = false;
  }

  /** Stop listening for good. */
  async close(): Promise<void> {
    this.closed = true;
    this.live = false;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    this.stopHeartbeat();
    const client = this.client;
    this.client = null;
    if (this.connecting) await this.connecting.catch(() => {});
    if (client) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        client.end().catch(() => {}),
        new Promise<void>((r) => {
          timer = setTimeout(() => {
            destroy(client);
            r();
          }, 1000);
        }),
      ]);
      clearTimeout(timer);
    }
  }
}

/** Drop a connection at once, whatever state it is in (end() waits for a dead peer). */
function destroy(client: pg.Client): void {
  client.removeAllListeners('notification');
  client.on('error', () => {});
  const stream = (client as unknown as { connection?: { stream?: { destroy?: () => void } } }).connection?.stream;
  if (stream?.destroy) stream.destroy();
  else void client.end().catch(() => {});
}
