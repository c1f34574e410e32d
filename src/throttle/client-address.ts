/**
 * The client's address behind trusted reverse proxies (`http.trustedProxies`).
 *
 * DRF's `get_ident` trusts `X-Forwarded-For` by a hop count (`NUM_PROXIES`), or, when that
 * is unset, takes the whole header — which any client can write. Gatehouse trusts the
 * header only as far as the proxies listed: it is read only when the socket peer is one of
 * them, and walked from the right (the entry the nearest proxy appended) past further
 * trusted proxies; the first address that is not a trusted proxy is the client.
 */
import type { ClientAddressResolver } from '../core/pipeline.js';
import type { RequestView } from '../core/request.js';
import { formatIp, parseIp, parseRange, rangeContains, stripZone, type IpAddress, type IpRange } from './ip.js';

/** Thrown at construction for an entry of `trustedProxies` that is not an IP address or CIDR range. */
export class TrustedProxyError extends Error {}

/**
 * One `X-Forwarded-For` element as an address: a bare IPv4 / IPv6 address, or — as some
 * proxies write them — `1.2.3.4:port`, `[v6]` or `[v6]:port`. Anything else (`unknown`,
 * obfuscated RFC 7239 identifiers, zones, garbage) is null.
 */
function parseForwarded(entry: string): IpAddress | null {
  if (entry.length === 0 || entry.length > 64) return null;
  if (entry.charCodeAt(0) === 91) {
    const close = entry.indexOf(']');
    if (close < 0) return null;
    const rest = entry.slice(close + 1);
    if (rest !== '' && !isPort(rest)) return null;
    const ip = parseIp(entry.slice(1, close));
    return ip;
  }
  const colon = entry.indexOf(':');
  if (colon >= 0 && entry.indexOf(':', colon + 1) < 0) {
    // Exactly one colon: IPv4 with a port.
    const ip = parseIp(entry.slice(0, colon));
    return ip && ip.version === 4 && isPort(entry.slice(colon)) ? ip : null;
  }
  return parseIp(entry);
}

function isPort(text: string): boolean {
  if (text.length < 2 || text.length > 6 || text.charCodeAt(0) !== 58) return false;
  for (let i = 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return Number(text.slice(1)) <= 65535;
}

/**
 * A `ClientAddressResolver` for `http.trustedProxies` (IPv4 / IPv6 addresses and CIDR
 * ranges; IPv4-mapped IPv6 is IPv4). The answer is canonical text (dotted quad; RFC 5952
 * IPv6; an unparseable socket address, e.g. a Unix socket's `''`, is returned unchanged):
 *
 * - empty list: the socket peer, whatever the headers say;
 * - peer not a trusted proxy: the peer (a spoofed `X-Forwarded-For` is ignored);
 * - peer trusted: the `X-Forwarded-For` elements (several header lines arrive joined by
 *   commas) are walked right to left; trusted proxies are skipped; the first untrusted
 *   address is the client. If every element is trusted, or the header is absent, the
 *   left-most trusted hop is the client. A malformed element (empty, `unknown`, garbage)
 *   stops the walk: the answer is the last trusted hop reached — never anything to its
 *   left, which the client could have written.
 *
 * Linear in the header's length; no regular expressions. Throws `TrustedProxyError` at
 * construction for an invalid entry.
 */
export function trustedProxyResolver(trustedProxies: readonly string[]): ClientAddressResolver {
  const ranges: IpRange[] = [];
  for (const entry of trustedProxies) {
    const range = parseRange(entry);
    if (!range) throw new TrustedProxyError(`http.trustedProxies: ${JSON.stringify(entry)} is not an IP address or CIDR range`);
    ranges.push(range);
  }
  const trusted = (ip: IpAddress): boolean => {
    for (const r of ranges) if (rangeContains(r, ip)) return true;
    return false;
  };
  const resolve = (req: RequestView): string => {
    const peer = parseIp(stripZone(req.remoteAddress));
    if (!peer) return req.remoteAddress;
    if (ranges.length === 0 || !trusted(peer)) return formatIp(peer);
    const header = req.headers['x-forwarded-for'];
    let hop = peer;
    if (typeof header === 'string') {
      let end = header.length;
      while (end >= 0) {
        const start = header.lastIndexOf(',', end - 1);
        const entry = header.slice(start + 1, end).trim();
        const ip = parseForwarded(entry);
        if (!ip) break;
        if (!trusted(ip)) return formatIp(ip);
        hop = ip;
        if (start < 0) break;
        end = start;
      }
    }
    return formatIp(hop);
  };
  return resolve;
}
