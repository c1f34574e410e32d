/**
 * What an operator sees of a running Gatehouse: the access log (`log.access`), the
 * security events on the logger, and `GET /metrics` (`metrics.*`). Built by
 * `createGatehouse`; nothing here sees a request's credentials.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { NotAuthenticated, PermissionDenied } from '../core/errors.js';
import { eventLogger, type EventSink, type SecurityEvent } from '../core/events.js';
import type { ClientAddressResolver } from '../core/pipeline.js';
import type { Settings } from '../core/settings.js';
import type { ObservedRequest } from '../http/engine.js';
import type { Route } from '../http/route.js';
import { parseIp, parseRange, rangeContains, stripZone, type IpRange } from '../throttle/ip.js';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';

/** One line per request: method, path (no query string), status, ms, user id. */
export function accessLog(logger: Logger): (r: ObservedRequest) => void {
  return (r) => logger.info({ method: r.method, path: r.path, status: r.status, ms: Math.round(r.ms * 10) / 10, userId: r.userId }, 'request');
}

/** The sink the services get: the logger, and the metrics when they are on. */
export function securityEvents(settings: Settings, logger: Logger, metrics: Metrics | null): EventSink {
  return eventLogger(logger, {
    usernames: settings.log.usernames,
    secretKey: settings.secretKey ?? '',
    ...(metrics ? { observe: (e: SecurityEvent) => metrics.event(e) } : {}),
  });
}

const digest = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();

/** `Authorization: Bearer <token>` against `expected`, in constant time (digests of equal length). */
function bearerMatches(header: string | undefined, expected: Buffer): boolean {
  const match = /^Bearer ([^\s]+)$/.exec(header ?? '');
  return match !== null && timingSafeEqual(digest(match[1] as string), expected);
}

function allowedAddress(ranges: readonly IpRange[], address: string): boolean {
  const ip = parseIp(stripZone(address));
  return ip !== null && ranges.some((r) => rangeContains(r, ip));
}

/**
 * `GET /metrics`: the exposition text. With `metrics.allowFrom`, other client addresses
 * get 403; with `metrics.token`, a request without that bearer token gets 401.
 */
export function metricsRoute(metrics: Metrics, settings: Settings, clientAddress: ClientAddressResolver): Route {
  const { token, allowFrom } = settings.metrics;
  const expected = token === null ? null : digest(token);
  const ranges = allowFrom.map((text) => {
    const range = parseRange(text);
    if (!range) throw new RangeError(`metrics.allowFrom: invalid address or range "${text}"`);
    return range;
  });
  return {
    path: '/metrics',
    name: 'Metrics',
    anyAccept: true,
    noStore: true,
    challenge: 'Bearer realm="metrics"',
    methods: {
      GET: (ctx) => {
        if (ranges.length > 0 && !allowedAddress(ranges, clientAddress(ctx.req))) throw new PermissionDenied();
        if (expected !== null && !bearerMatches(ctx.req.headers.authorization, expected)) throw new NotAuthenticated();
        return { text: { contentType: 'text/plain; version=0.0.4; charset=utf-8', payload: metrics.render() } };
      },
    },
  };
}
