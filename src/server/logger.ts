/**
 * Structured logs (pino). Anything that could carry a credential is redacted by path
 * as a second line of defence; the code itself never passes tokens or passwords to it.
 */
import { pino, type Logger, type DestinationStream } from 'pino';

export type { Logger } from 'pino';

export const REDACT_PATHS = [
  'password',
  '*.password',
  'token',
  '*.token',
  'key',
  '*.key',
  'secret',
  '*.secret',
  'secretKey',
  '*.secretKey',
  'authorization',
  '*.authorization',
  'headers.authorization',
  'headers.cookie',
  'req.headers.authorization',
  'req.headers.cookie',
  // API keys (src/apikeys): the configurable header's default name, and the field name.
  'headers["x-api-key"]',
  'req.headers["x-api-key"]',
  'apiKey',
  '*.apiKey',
];

/**
 * A Gatehouse logger at `level` (`logLevel`): JSON lines on `destination` — stdout by
 * default, `'stderr'` for a library (`createGatehouse` without a logger of its own), or
 * any pino destination stream.
 */
export function createLogger(level: string, destination?: DestinationStream | 'stderr'): Logger {
  const target = destination === 'stderr' ? pino.destination({ dest: 2, sync: true }) : destination;
  return pino({ level, base: { service: 'gatehouse' }, redact: { paths: REDACT_PATHS, censor: '[redacted]' } }, target);
}
