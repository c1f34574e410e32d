/**
 * IP addresses for throttling and proxy trust: strict parsing (no regular expressions,
 * linear time, bounded length), canonical text (RFC 5952 for IPv6), CIDR ranges, and
 * the throttle ident (IPv6 bucketed by /64).
 *
 * IPv4-mapped IPv6 addresses (`::ffff:1.2.3.4`, as a dual-stack socket reports IPv4
 * peers) are IPv4 everywhere here.
 */

/** A parsed address: 4 bytes (IPv4) or 16 bytes (IPv6). */
export interface IpAddress {
  readonly version: 4 | 6;
  readonly bytes: Uint8Array;
}

/** A CIDR range; `prefix` counts leading bits (0–32 or 0–128). */
export interface IpRange {
  readonly version: 4 | 6;
  /** The network address (host bits cleared). */
  readonly bytes: Uint8Array;
  readonly prefix: number;
}

/** Longest textual IPv6 address (with an embedded IPv4 part). */
const MAX_TEXT = 45;

const isDigit = (c: number): boolean => c >= 48 && c <= 57;

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/** Strict dotted quad: four decimal parts 0–255, no leading zeros, nothing else. */
function parseIpv4(text: string, into: Uint8Array, at: number): boolean {
  let part = 0;
  let value = 0;
  let digits = 0;
  let leadingZero = false;
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : 46; // a final '.' closes the last part
    if (c === 46) {
      if (digits === 0 || part > 3) return false;
      into[at + part] = value;
      part++;
      value = 0;
      digits = 0;
      leadingZero = false;
    } else if (isDigit(c)) {
      if (leadingZero) return false;
      if (digits === 0 && c === 48) leadingZero = true;
      value = value * 10 + (c - 48);
      digits++;
      if (value > 255) return false;
    } else return false;
  }
  return part === 4;
}

/** IPv6 text (no zone, no brackets) into 16 bytes. */
function parseIpv6(text: string, into: Uint8Array): boolean {
  const groups: number[] = [];
  let gap = -1; // index in `groups` where '::' stands
  let i = 0;
  const n = text.length;
  if (n < 2) return false;
  if (text.charCodeAt(0) === 58) {
    if (text.charCodeAt(1) !== 58) return false;
    gap = 0;
    i = 2;
    if (i === n) {
      into.fill(0);
      return true;
    }
  }
  while (i < n) {
    // One group: hex digits up to ':' or end, or an embedded IPv4 at the end.
    let j = i;
    let value = 0;
    let sawDot = false;
    while (j < n) {
      const c = text.charCodeAt(j);
      if (c === 58) break;
      if (c === 46) sawDot = true;
      j++;
    }
    if (sawDot) {
      if (j !== n || groups.length > 6) return false;
      const v4 = new Uint8Array(4);
      if (!parseIpv4(text.slice(i, j), v4, 0)) return false;
      groups.push((v4[0] as number) * 256 + (v4[1] as number), (v4[2] as number) * 256 + (v4[3] as number));
      i = j;
      break;
    }
    const len = j - i;
    if (len === 0 || len > 4) return false;
    for (let k = i; k < j; k++) {
      const h = hexValue(text.charCodeAt(k));
      if (h < 0) return false;
      value = value * 16 + h;
    }
    groups.push(value);
    if (groups.length > 8) return false;
    if (j === n) {
      i = j;
      break;
    }
    // j is a ':'
    if (j + 1 < n && text.charCodeAt(j + 1) === 58) {
      if (gap >= 0) return false; // a second '::'
      gap = groups.length;
      i = j + 2;
    } else {
      if (j + 1 === n) return false; // trailing single ':'
      i = j + 1;
    }
  }
  if (gap < 0) {
    if (groups.length !== 8) return false;
  } else if (groups.length > 7) return false;
  const zeros = 8 - groups.length;
  into.fill(0);
  for (let g = 0; g < groups.length; g++) {
    const slot = gap >= 0 && g >= gap ? g + zeros : g;
    into[slot * 2] = (groups[g] as number) >> 8;
    into[slot * 2 + 1] = (groups[g] as number) & 0xff;
  }
  return true;
}

/** Is this IPv6 address `::ffff:a.b.c.d`? */
function isMapped(b: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (b[i] !== 0) return false;
  return b[10] === 0xff && b[11] === 0xff;
}

/**
 * Parse an address strictly: a dotted quad, or IPv6 text (hex groups, one `::`, an
 * embedded IPv4 tail). No zone (`%eth0`), brackets, port, whitespace, leading zeros in
 * IPv4 parts or inet_aton shorthands (`127.1`). IPv4-mapped IPv6 comes back as IPv4.
 * Returns null for anything else (never throws).
 */
export function parseIp(text: string): IpAddress | null {
  if (typeof text !== 'string' || text.length === 0 || text.length > MAX_TEXT) return null;
  if (text.indexOf(':') < 0) {
    const v4 = new Uint8Array(4);
    return parseIpv4(text, v4, 0) ? { version: 4, bytes: v4 } : null;
  }
  const v6 = new Uint8Array(16);
  if (!parseIpv6(text, v6)) return null;
  if (isMapped(v6)) return { version: 4, bytes: v6.slice(12) };
  return { version: 6, bytes: v6 };
}

/**
 * Canonical text: IPv4 dotted quad; IPv6 per RFC 5952 (lower-case, no leading zeros, the
 * longest run of two or more zero groups — the first on a tie — as `::`).
 */
export function formatIp(ip: IpAddress): string {
  const b = ip.bytes;
  if (ip.version === 4) return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
  const groups: number[] = [];
  for (let g = 0; g < 8; g++) groups.push(((b[g * 2] as number) << 8) | (b[g * 2 + 1] as number));
  let bestStart = -1;
  let bestLen = 0;
  for (let g = 0; g < 8; ) {
    if (groups[g] !== 0) {
      g++;
      continue;
    }
    let e = g;
    while (e < 8 && groups[e] === 0) e++;
    if (e - g > bestLen) {
      bestStart = g;
      bestLen = e - g;
    }
    g = e;
  }
  const hex = (from: number, to: number): string =>
    groups
      .slice(from, to)
      .map((x) => x.toString(16))
      .join(':');
  if (bestLen < 2) return hex(0, 8);
  return `${hex(0, bestStart)}::${hex(bestStart + bestLen, 8)}`;
}

/**
 * Parse `address` or `address/prefix` (IPv4 or IPv6; a bare address is a /32 or /128).
 * Host bits are cleared (`10.1.2.3/8` is `10.0.0.0/8`). An IPv4-mapped IPv6 range with a
 * prefix ≥ 96 (`::ffff:10.0.0.0/104`) becomes the IPv4 range. Returns null when invalid.
 */
export function parseRange(text: string): IpRange | null {
  if (typeof text !== 'string') return null;
  const slash = text.indexOf('/');
  const addrText = slash < 0 ? text : text.slice(0, slash);
  let prefix: number | null = null;
  if (slash >= 0) {
    const p = text.slice(slash + 1);
    if (p.length === 0 || p.length > 3) return null;
    let v = 0;
    for (let i = 0; i < p.length; i++) {
      const c = p.charCodeAt(i);
      if (!isDigit(c)) return null;
      v = v * 10 + (c - 48);
    }
    if (p.length > 1 && p.charCodeAt(0) === 48) return null;
    prefix = v;
  }
  if (addrText.indexOf(':') >= 0) {
    // Parse as IPv6 first so that the mapped form keeps its 128-bit prefix meaning.
    const v6 = new Uint8Array(16);
    if (addrText.length > MAX_TEXT || !parseIpv6(addrText, v6)) return null;
    const p = prefix ?? 128;
    if (p > 128) return null;
    if (isMapped(v6) && p >= 96) return masked(4, v6.slice(12), p - 96);
    return masked(6, v6, p);
  }
  const ip = parseIp(addrText);
  if (!ip) return null;
  const p = prefix ?? 32;
  if (p > 32) return null;
  return masked(4, ip.bytes, p);
}

function masked(version: 4 | 6, bytes: Uint8Array, prefix: number): IpRange {
  const out = bytes.slice();
  for (let i = 0; i < out.length; i++) {
    const keep = Math.max(0, Math.min(8, prefix - i * 8));
    out[i] = (out[i] as number) & ((0xff << (8 - keep)) & 0xff);
  }
  return { version, bytes: out, prefix };
}

/** Does the range contain the address? (IPv4 ranges hold only IPv4 addresses, IPv6 only IPv6.) */
export function rangeContains(range: IpRange, ip: IpAddress): boolean {
  if (range.version !== ip.version) return false;
  let bits = range.prefix;
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if (((ip.bytes[i] as number) & mask) !== range.bytes[i]) return false;
  }
  return true;
}

/**
 * Canonical form of an address as a socket reports it: the zone (`%eth0`) dropped,
 * IPv4-mapped IPv6 as IPv4, IPv6 per RFC 5952. Anything unparseable (e.g. the empty
 * string of a Unix socket) comes back unchanged.
 */
export function canonicalAddress(address: string): string {
  const ip = parseIp(stripZone(address));
  return ip ? formatIp(ip) : address;
}

/** Drop an IPv6 zone index (`fe80::1%eth0` → `fe80::1`). */
export function stripZone(address: string): string {
  const pct = address.indexOf('%');
  return pct >= 0 && address.indexOf(':') >= 0 ? address.slice(0, pct) : address;
}

/**
 * The throttle ident of a client address (DRF `get_ident`, bucketed): IPv4 (including
 * IPv4-mapped IPv6) as its dotted quad; IPv6 as its /64 network (`2001:db8:1:2::/64`),
 * since one subscriber usually holds a whole /64 and could otherwise rotate through 2^64
 * addresses; anything unparseable unchanged (so it still gets a bucket of its own).
 */
export function addressIdent(address: string): string {
  const ip = parseIp(stripZone(address));
  if (!ip) return address;
  if (ip.version === 4) return formatIp(ip);
  const net = ip.bytes.slice();
  net.fill(0, 8);
  return `${formatIp({ version: 6, bytes: net })}/64`;
}
