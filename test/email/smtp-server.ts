/**
 * A real SMTP server on loopback for the e-mail tests (the `smtp-server` package): plain,
 * STARTTLS or TLS on connect with the self-signed certificate in `fixtures/`, AUTH with one
 * user. Every message that arrives is kept, decoded (quoted-printable / base64, multipart).
 */
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export const TLS_CERT = readFileSync(new URL('./fixtures/smtp-test.crt', import.meta.url));
export const TLS_KEY = readFileSync(new URL('./fixtures/smtp-test.key', import.meta.url));
export const CERT_PATH = new URL('./fixtures/smtp-test.crt', import.meta.url).pathname;

export interface ReceivedMail {
  from: string;
  to: string[];
  /** Authenticated user, if any. */
  user?: string;
  headers: Record<string, string>;
  text?: string;
  html?: string;
  raw: string;
}

export interface LoopbackSmtp {
  port: number;
  received: ReceivedMail[];
  /** Did the session that delivered message `i` run over TLS? */
  secure: boolean[];
  close(): Promise<void>;
}

export interface LoopbackOptions {
  mode: 'plain' | 'starttls' | 'tls';
  /** Require AUTH with this user and password. */
  auth?: { user: string; password: string };
}

function decode(body: string, encoding: string | undefined): string {
  if (encoding === 'quoted-printable') {
    const bytes = Buffer.from(body.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1');
    return bytes.toString('utf8');
  }
  if (encoding === 'base64') return Buffer.from(body, 'base64').toString('utf8');
  return body;
}

function parseHeaders(block: string): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const line of block.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
  }
  return headers;
}

/** Split a message into headers and its text / HTML parts. */
export function parseMail(raw: string): Pick<ReceivedMail, 'headers' | 'text' | 'html'> {
  const split = raw.indexOf('\r\n\r\n');
  const headers = parseHeaders(raw.slice(0, split));
  const body = raw.slice(split + 4);
  const out: Pick<ReceivedMail, 'headers' | 'text' | 'html'> = { headers };
  const boundary = /boundary="?([^";]+)"?/.exec(headers['content-type'] ?? '')?.[1];
  const parts = boundary ? body.split(`--${boundary}`).slice(1, -1) : [`${raw.slice(0, split)}\r\n\r\n${body}`];
  for (const part of parts) {
    const at = part.indexOf('\r\n\r\n');
    const h = parseHeaders(part.slice(0, at));
    const content = decode(part.slice(at + 4).replace(/\r\n$/, ''), h['content-transfer-encoding']).replace(/\r\n/g, '\n');
    if (h['content-type']?.startsWith('text/plain')) out.text = content;
    if (h['content-type']?.startsWith('text/html')) out.html = content;
  }
  return out;
}

export async function startLoopbackSmtp(options: LoopbackOptions): Promise<LoopbackSmtp> {
  const received: ReceivedMail[] = [];
  const secure: boolean[] = [];
  const server = new SMTPServer({
    secure: options.mode === 'tls',
    ...(options.mode !== 'plain' ? { key: TLS_KEY, cert: TLS_CERT } : { hideSTARTTLS: true, disabledCommands: ['STARTTLS'] }),
    authOptional: options.auth === undefined,
    allowInsecureAuth: options.mode === 'plain',
    logger: false,
    onAuth(auth, _session, callback) {
      if (options.auth && auth.username === options.auth.user && auth.password === options.auth.password) return callback(null, { user: auth.username });
      return callback(new Error('Invalid username or password'));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        received.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          ...(typeof session.user === 'string' ? { user: session.user } : {}),
          raw,
          ...parseMail(raw),
        });
        secure.push(session.secure === true);
        callback();
      });
    },
  });
  // A client that gives up (an untrusted certificate, a timeout) is an error on the server side: expected here.
  server.on('error', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  return { port, received, secure, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
