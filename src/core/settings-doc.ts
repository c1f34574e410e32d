/**
 * The settings reference's derived columns: a setting's default is read from the parsed
 * defaults (never written a second time in words), and its type from the zod schema
 * where the schema says it (durations, enumerations, booleans). Hand-written rows
 * (`SettingRow` in src/core/settings.ts) give only what the schema cannot: the
 * description, the DRF / simplejwt equivalent, a type in words for numbers and strings
 * (`KiB`, `claim name`…), a note after the default, or — for the two defaults that are not
 * values (a generated secret, one that follows another setting) — the default in words.
 */
import { z } from 'zod';

/** Schema metadata a duration option carries (`.meta(DURATION_META)`), so its type and default render as durations. */
export const DURATION_META = { format: 'duration' } as const;
export const OPTIONAL_DURATION_META = { format: 'duration or null' } as const;

/** One hand-written row of the settings reference. */
export interface SettingRow {
  key: string;
  /** The type in words; only where the schema gives none (numbers, strings, unions, lists). */
  type?: string;
  /** Said after the derived default, e.g. `(never expire)`. */
  defaultNote?: string;
  /** The default in words, for a default that is not a value (generated, or following another setting). */
  defaultText?: string;
  doc: string;
  /** The DRF / knox / simplejwt / Django setting it corresponds to, if any. */
  equivalent: string;
}

/** One row of the settings reference, as rendered. */
export interface SettingDoc {
  key: string;
  type: string;
  default: string;
  doc: string;
  /** The DRF / knox / simplejwt / Django setting it corresponds to, if any. */
  equivalent: string;
}

interface Def {
  type: string;
  innerType?: z.ZodType;
  in?: z.ZodType;
  out?: z.ZodType;
  shape?: Record<string, z.ZodType>;
  entries?: Record<string, string>;
}
const defOf = (s: z.ZodType): Def => (s as unknown as { _zod: { def: Def } })._zod.def;

/** The type a schema states, or undefined: a duration's metadata, an enumeration's values, boolean. */
function schemaType(schema: z.ZodType): { type: string | undefined; duration: boolean } {
  let s = schema;
  for (;;) {
    const format = (z.globalRegistry.get(s) as { format?: string } | undefined)?.format;
    if (format === DURATION_META.format || format === OPTIONAL_DURATION_META.format) return { type: format, duration: true };
    const def = defOf(s);
    if (def.innerType) s = def.innerType;
    else if (def.type === 'pipe' && def.in) s = def.in;
    else if (def.type === 'enum' && def.entries) return { type: Object.values(def.entries).map((v) => `\`${v}\``).join(' \\| '), duration: false };
    else if (def.type === 'boolean') return { type: 'boolean', duration: false };
    else return { type: undefined, duration: false };
  }
}

/** The option schema at a dotted key of the (object) settings schema. */
function schemaAt(root: z.ZodType, key: string): z.ZodType {
  let s = root;
  for (const part of key.split('.')) {
    for (let def = defOf(s); def.type !== 'object'; def = defOf(s)) {
      // A pipe: its input schema, or its output after a preprocessing step (`redis` as a URL string).
      const inner = def.innerType ?? (def.type === 'pipe' ? (def.in && defOf(def.in).type === 'transform' ? def.out : def.in) : undefined);
      if (!inner) throw new Error(`settings reference: ${key} is not in the schema`);
      s = inner;
    }
    const next = defOf(s).shape?.[part];
    if (!next) throw new Error(`settings reference: ${key} is not in the schema`);
    s = next;
  }
  return s;
}

const UNITS: Array<[string, number]> = [['w', 604_800_000], ['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000], ['ms', 1]];

/** Milliseconds as the shortest duration string the settings accept back (`5m`, `1h30m`, `0`). */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0';
  let rest = ms;
  let out = '';
  for (const [unit, size] of UNITS) {
    if (unit === 'w' && rest % size !== 0) continue;
    const n = Math.floor(rest / size);
    if (n > 0) out += `${n}${unit}`;
    rest -= n * size;
  }
  return out;
}

/** A default value in the reference's form: one code span (durations as durations, the rest as JSON or plain text). */
function formatDefault(value: unknown, duration: boolean): string {
  if (duration && typeof value === 'number') return `\`${formatDuration(value)}\``;
  if (typeof value === 'string') return value === '' ? '`""`' : `\`${value}\``;
  return `\`${JSON.stringify(value)}\``;
}

/** The rendered rows: each hand-written row with its type and default read from the schema and the parsed defaults. */
export function settingsReference(rows: SettingRow[], schema: z.ZodType, defaults: Record<string, unknown>): SettingDoc[] {
  return rows.map((row) => {
    const derived = schemaType(schemaAt(schema, row.key));
    if (derived.type !== undefined && row.type !== undefined) throw new Error(`settings reference: ${row.key}'s type comes from the schema; drop it from the row`);
    const type = derived.type ?? row.type;
    if (type === undefined) throw new Error(`settings reference: ${row.key} needs a type in words (the schema states none)`);
    const value = row.key.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], defaults);
    const shown = row.defaultText ?? formatDefault(value, derived.duration);
    return { key: row.key, type, default: row.defaultNote ? `${shown} ${row.defaultNote}` : shown, doc: row.doc, equivalent: row.equivalent };
  });
}
