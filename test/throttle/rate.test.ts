/**
 * DRF rate strings (`SimpleRateThrottle.parse_rate`).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRate } from '../../src/throttle/index.js';

test('valid rates: the period is read from its first letter', () => {
  const cases: Array<[string, number, number]> = [
    ['100/min', 100, 60_000],
    ['3/m', 3, 60_000],
    ['5/s', 5, 1000],
    ['5/sec', 5, 1000],
    ['5/second', 5, 1000],
    ['10/h', 10, 3_600_000],
    ['10/hour', 10, 3_600_000],
    ['1000/day', 1000, 86_400_000],
    ['1000/d', 1000, 86_400_000],
    ['5/mfoo', 5, 60_000],
    ['0/min', 0, 60_000],
    ['999999999/d', 999_999_999, 86_400_000],
  ];
  for (const [rate, num, durationMs] of cases) assert.deepEqual(parseRate(rate), { num, durationMs }, rate);
});

test('null rate: no throttling', () => {
  assert.equal(parseRate(null), null);
});

test('invalid rates throw RangeError', () => {
  for (const bad of ['', '100', '/min', '100/', '100/x', '100/Min', '5/10m', ' 5/min', '5/min ', '+5/min', '-1/min', '1.5/min', '1e3/min', '5/min/x', '٥/min', '1234567890/min', '5 /min']) {
    assert.throws(() => parseRate(bad), RangeError, JSON.stringify(bad));
  }
  assert.throws(() => parseRate(5 as unknown as string), RangeError);
});
