/**
 * Client addresses: strict IP parsing and canonical text, CIDR ranges, the throttle ident
 * (IPv6 by /64), and the trusted-proxy resolver over `X-Forwarded-For`.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { RequestView } from '../../src/core/request.js';
import { addressIdent, canonicalAddress, formatIp, parseIp, parseRange, rangeContains, trustedProxyResolver, TrustedProxyError } from '../../src/throttle/index.js';

const view = (remoteAddress: string, xff?: string): RequestView => ({
  method: 'GET',
  path: '/',
  headers: xff === undefined ? {} : { 'x-forwarded-for': xff },
  cookies: {},
  remoteAddress,
});

describe('IP parsing and canonical text', () => {
  test('valid addresses → canonical form', () => {
    const cases: Array<[string, string]> = [
      ['1.2.3.4', '1.2.3.4'],
      ['0.0.0.0', '0.0.0.0'],
      ['255.255.255.255', '255.255.255.255'],
      ['::', '::'],
      ['::1', '::1'],
      ['2001:DB8::1', '2001:db8::1'],
      ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
      ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
      ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
      ['fe80::', 'fe80::'],
      ['1:2:3:4:5:6:7::', '1:2:3:4:5:6:7:0'],
      ['::ffff:1.2.3.4', '1.2.3.4'],
      ['::FFFF:7f00:1', '127.0.0.1'],
      ['0:0:0:0:0:ffff:10.0.0.1', '10.0.0.1'],
      ['64:ff9b::1.2.3.4', '64:ff9b::102:304'],
    ];
    for (const [input, canonical] of cases) {
      const ip = parseIp(input);
      assert.ok(ip, input);
      assert.equal(formatIp(ip), canonical, input);
    }
  });

  test('invalid addresses → null', () => {
    for (const bad of [
      '', ' 1.2.3.4', '1.2.3.4 ', '1.2.3', '1.2.3.4.5', '256.1.1.1', '01.2.3.4', '1.2.3.04', '127.1', '0x7f.0.0.1', '1..2.3',
      ':', ':::', '1:::2', '1::2::3', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7', ':1::', '1:', '12345::', 'g::1', '::1%eth0', '[::1]',
      '::ffff:1.2.3', '::1.2.3.4:5', '1:2:3:4:5:6:7:1.2.3.4', 'unknown', 'a'.repeat(46), 'localhost',
    ]) {
      assert.equal(parseIp(bad), null, JSON.stringify(bad));
    }
  });

  test('canonicalAddress: zone dropped, mapped unwrapped, unparseable unchanged', () => {
    assert.equal(canonicalAddress('::ffff:127.0.0.1'), '127.0.0.1');
    assert.equal(canonicalAddress('fe80::1%eth0'), 'fe80::1');
    assert.equal(canonicalAddress(''), '');
    assert.equal(canonicalAddress('/tmp/sock'), '/tmp/sock');
  });

  test('linear time on hostile input', () => {
    const start = process.hrtime.bigint();
    for (let i = 0; i < 1000; i++) {
      parseIp(':'.repeat(40));
      parseIp('1'.repeat(100_000));
      parseRange(`${'1'.repeat(100_000)}/24`);
    }
    assert.ok(Number(process.hrtime.bigint() - start) / 1e6 < 500);
  });
});

describe('CIDR ranges', () => {
  const contains = (range: string, ip: string) => rangeContains(parseRange(range)!, parseIp(ip)!);
  test('IPv4 and IPv6 membership', () => {
    assert.equal(contains('10.0.0.0/8', '10.255.1.2'), true);
    assert.equal(contains('10.0.0.0/8', '11.0.0.1'), false);
    assert.equal(contains('10.1.2.3/8', '10.9.9.9'), true, 'host bits cleared');
    assert.equal(contains('192.168.1.7', '192.168.1.7'), true);
    assert.equal(contains('192.168.1.7', '192.168.1.8'), false);
    assert.equal(contains('172.16.0.0/12', '172.31.255.255'), true);
    assert.equal(contains('172.16.0.0/12', '172.32.0.0'), false);
    assert.equal(contains('0.0.0.0/0', '8.8.8.8'), true);
    assert.equal(contains('2001:db8::/32', '2001:db8:ffff::1'), true);
    assert.equal(contains('2001:db8::/32', '2001:db9::1'), false);
    assert.equal(contains('2001:db8::/127', '2001:db8::1'), true);
    assert.equal(contains('2001:db8::/128', '2001:db8::1'), false);
    assert.equal(contains('::/0', '2001:db8::1'), true);
  });
  test('IPv4-mapped: addresses and ranges are IPv4', () => {
    assert.equal(contains('10.0.0.0/8', '::ffff:10.1.1.1'), true);
    assert.equal(contains('::ffff:10.0.0.0/104', '10.1.1.1'), true);
    assert.equal(contains('::/0', '10.1.1.1'), false, 'IPv6 ranges hold only IPv6');
  });
  test('invalid ranges', () => {
    for (const bad of ['10.0.0.0/33', '::/129', '10.0.0.0/', '10.0.0.0/08', '10.0.0.0/a', '10.0.0.0/8/8', 'x/8', '/8', '10.0.0.0/-1']) {
      assert.equal(parseRange(bad), null, bad);
    }
  });
});

describe('throttle ident (addressIdent)', () => {
  test('IPv4 as is, IPv4-mapped as IPv4, IPv6 by /64', () => {
    assert.equal(addressIdent('203.0.113.9'), '203.0.113.9');
    assert.equal(addressIdent('::ffff:203.0.113.9'), '203.0.113.9');
    assert.equal(addressIdent('2001:db8:1:2:3:4:5:6'), '2001:db8:1:2::/64');
    assert.equal(addressIdent('2001:db8:1:2:ffff:ffff:ffff:ffff'), '2001:db8:1:2::/64');
    assert.equal(addressIdent('2001:db8:1:3::1'), '2001:db8:1:3::/64');
    assert.equal(addressIdent('::1'), '::/64');
    assert.equal(addressIdent('fe80::1%eth0'), 'fe80::/64');
    assert.equal(addressIdent(''), '');
  });
});

describe('trustedProxyResolver', () => {
  const none = trustedProxyResolver([]);
  const proxies = trustedProxyResolver(['10.0.0.0/8', '192.168.0.1', '2001:db8:ffff::/48']);

  const table: Array<[string, ReturnType<typeof trustedProxyResolver>, string, string | undefined, string]> = [
    ['no trusted proxies: the socket address, XFF ignored', none, '203.0.113.9', '1.1.1.1', '203.0.113.9'],
    ['no trusted proxies: IPv4-mapped socket address as IPv4', none, '::ffff:203.0.113.9', undefined, '203.0.113.9'],
    ['spoofed XFF from an untrusted peer is ignored', proxies, '203.0.113.9', '1.1.1.1', '203.0.113.9'],
    ['trusted peer without XFF: the peer', proxies, '10.0.0.5', undefined, '10.0.0.5'],
    ['trusted peer: the right-most entry', proxies, '10.0.0.5', '198.51.100.7', '198.51.100.7'],
    ['client-written left entries are ignored', proxies, '10.0.0.5', '1.1.1.1, 198.51.100.7', '198.51.100.7'],
    ['two trusted proxies in the chain', proxies, '10.0.0.5', '6.6.6.6, 198.51.100.7, 192.168.0.1', '198.51.100.7'],
    ['three hops incl. IPv4-mapped proxy entry', proxies, '::ffff:10.0.0.5', '198.51.100.7, ::ffff:10.2.2.2, 192.168.0.1', '198.51.100.7'],
    ['every entry trusted: the left-most trusted hop', proxies, '10.0.0.5', '10.9.9.9, 192.168.0.1', '10.9.9.9'],
    ['IPv6 client behind IPv6 proxy', proxies, '2001:db8:ffff::1', '2001:DB8:1::abcd', '2001:db8:1::abcd'],
    ['IPv4 client behind IPv6 proxy', proxies, '2001:db8:ffff::1', '198.51.100.7', '198.51.100.7'],
    ['ports and brackets are tolerated', proxies, '10.0.0.5', '[2001:db8:1::1]:443, 198.51.100.7:5555', '198.51.100.7'],
    ['bracketed IPv6 with port', proxies, '10.0.0.5', '[2001:db8:1::1]:443', '2001:db8:1::1'],
    ['malformed right-most entry: the peer (last trusted hop)', proxies, '10.0.0.5', '198.51.100.7, garbage', '10.0.0.5'],
    ['malformed after a trusted hop: that hop, never the spoofable left', proxies, '10.0.0.5', '1.1.1.1, unknown, 192.168.0.1', '192.168.0.1'],
    ['empty element is malformed', proxies, '10.0.0.5', '1.1.1.1,,192.168.0.1', '192.168.0.1'],
    ['trailing comma is malformed', proxies, '10.0.0.5', '198.51.100.7,', '10.0.0.5'],
    ['empty header', proxies, '10.0.0.5', '', '10.0.0.5'],
    ['zone in XFF is malformed', proxies, '10.0.0.5', 'fe80::1%eth0', '10.0.0.5'],
    ['IPv4 with a bad port is malformed', proxies, '10.0.0.5', '198.51.100.7:99999', '10.0.0.5'],
    ['several XFF lines joined by commas (as Node joins them)', proxies, '10.0.0.5', '1.1.1.1, 198.51.100.7, 192.168.0.1', '198.51.100.7'],
    ['whitespace around entries', proxies, '10.0.0.5', ' 198.51.100.7 ,\t192.168.0.1 ', '198.51.100.7'],
    ['unparseable socket address is returned unchanged', proxies, '', '1.1.1.1', ''],
    ['socket with zone', proxies, 'fe80::1%eth0', '1.1.1.1', 'fe80::1'],
  ];
  for (const [name, resolver, peer, xff, expected] of table) {
    test(name, () => assert.equal(resolver(view(peer, xff)), expected));
  }

  test('invalid entries throw at construction', () => {
    for (const bad of ['10.0.0.0/33', 'proxy.local', '', '::/200']) {
      assert.throws(() => trustedProxyResolver([bad]), TrustedProxyError, bad);
    }
  });

  test('linear on a huge header', () => {
    const xff = `198.51.100.7, ${'10.1.1.1, '.repeat(1500)}10.0.0.1`;
    const start = process.hrtime.bigint();
    for (let i = 0; i < 100; i++) assert.equal(proxies(view('10.0.0.5', xff)), '198.51.100.7');
    assert.ok(Number(process.hrtime.bigint() - start) / 1e6 < 1000);
  });
});
