/**
 * The settings reference has one source, `SETTINGS_DOC` in src/core/settings.ts, next to
 * the schema: docs/settings.md and README.md's table are rendered from it (`npm run docs`)
 * and must be exactly what the renderer writes. Defaults are read from the parsed defaults
 * and types from the schema where it states one (src/core/settings-doc.ts): a changed
 * schema default changes the reference, and a row cannot state a schema's type again.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { parseDuration } from '../../src/core/duration.js';
import { z } from 'zod';
import { parseSettings, SETTINGS_DOC } from '../../src/core/settings.js';
import { DURATION_META, formatDuration, settingsReference } from '../../src/core/settings-doc.js';
import { readmeWithSettings, settingsMarkdown } from '../../scripts/settings-doc-render.js';

const root = new URL('../../', import.meta.url);
const read = (file: string) => readFileSync(new URL(file, root), 'utf8');

test('docs/settings.md is what `npm run docs` renders from SETTINGS_DOC (not stale, not hand-edited)', () => {
  assert.equal(read('docs/settings.md'), settingsMarkdown(), 'docs/settings.md is stale: run `npm run docs`');
});

test("README.md's settings table is what `npm run docs` renders", () => {
  const readme = read('README.md');
  assert.equal(readme, readmeWithSettings(readme), "README.md's settings table is stale: run `npm run docs`");
});

/** Defaults that depend on other settings or are generated: what their documentation must say. */
const CONTEXTUAL: Record<string, RegExp> = {
  secretKey: /generated/,
  'throttle.store': /`redis` when `redis\.url` is set, else `memory`/,
};

/** Does the first `…` of a documented default denote `actual` (JSON, plain text, or a duration)? */
function denotes(documented: string, actual: unknown): boolean {
  const token = /`([^`]*)`/.exec(documented)?.[1];
  if (token === undefined) return false;
  if (token === String(actual)) return true;
  try {
    if (isDeepStrictEqual(JSON.parse(token), actual)) return true;
  } catch {
    // not JSON: maybe a duration
  }
  try {
    return parseDuration(/^\d+$/.test(token) ? Number(token) : token) === actual;
  } catch {
    return false;
  }
}

test('every documented default is the schema default', () => {
  const defaults = parseSettings({ secretKey: 'x'.repeat(32) }) as unknown as Record<string, unknown>;
  const valueAt = (key: string) => key.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], defaults);
  const wrong = SETTINGS_DOC.filter((d) => (CONTEXTUAL[d.key] ? !CONTEXTUAL[d.key]!.test(d.default) : !denotes(d.default, valueAt(d.key)))).map(
    (d) => `${d.key}: documented ${d.default}, actual ${JSON.stringify(valueAt(d.key))}`,
  );
  assert.deepEqual(wrong, []);
});

test('the checker notices a wrong default', () => {
  assert.equal(denotes('`5m`', 300_000), true);
  assert.equal(denotes('`60` s', 60_000), true);
  assert.equal(denotes('`null` (never expire)', null), true);
  assert.equal(denotes('`10m`', 300_000), false);
  assert.equal(denotes('`true`', false), false);
});

test('defaults and types are derived: the schema default is what the reference says, and a row cannot repeat a type', () => {
  const schema = z.object({
    lifetime: z.number().meta(DURATION_META).default(90 * 60_000),
    mode: z.enum(['fast', 'safe']).default('safe'),
    on: z.boolean().default(true),
    name: z.string().default(''),
    list: z.array(z.string()).default(['a']),
  });
  const rows = [
    { key: 'lifetime', doc: 'd', equivalent: '—' },
    { key: 'mode', doc: 'd', equivalent: '—' },
    { key: 'on', doc: 'd', equivalent: '—' },
    { key: 'name', type: 'string', defaultNote: '(none)', doc: 'd', equivalent: '—' },
    { key: 'list', type: 'list of strings', doc: 'd', equivalent: '—' },
  ];
  const docs = settingsReference(rows, schema, schema.parse({}));
  assert.deepEqual(
    docs.map((d) => [d.key, d.type, d.default]),
    [
      ['lifetime', 'duration', '`1h30m`'],
      ['mode', '`fast` \\| `safe`', '`safe`'],
      ['on', 'boolean', '`true`'],
      ['name', 'string', '`""` (none)'],
      ['list', 'list of strings', '`["a"]`'],
    ],
  );
  const changed = schema.extend({ mode: z.enum(['fast', 'safe']).default('fast') });
  assert.equal(settingsReference(rows, changed, changed.parse({}))[1]!.default, '`fast`');
  assert.throws(() => settingsReference([{ key: 'on', type: 'boolean', doc: 'd', equivalent: '—' }], schema, schema.parse({})), /comes from the schema/);
  assert.throws(() => settingsReference([{ key: 'name', doc: 'd', equivalent: '—' }], schema, schema.parse({})), /needs a type/);
  assert.throws(() => settingsReference([{ key: 'missing', doc: 'd', equivalent: '—' }], schema, schema.parse({})), /not in the schema/);
});

test('durations render as the shortest string the settings accept back', () => {
  for (const [ms, text] of [[0, '0'], [30_000, '30s'], [60_000, '1m'], [5 * 60_000, '5m'], [86_400_000, '1d'], [30 * 86_400_000, '30d'], [14 * 86_400_000, '2w'], [1500, '1s500ms']] as const) {
    assert.equal(formatDuration(ms), text);
    assert.equal(parseDuration(text === '0' ? 0 : text), ms);
  }
});
