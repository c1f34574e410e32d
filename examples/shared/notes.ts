/**
 * What the four example APIs share: the notes (in memory, owned by users), the policies of
 * their routes, the object permission "only the owner edits", input checks that fail the
 * DRF way, and user registration. Each `examples/<framework>/server.ts` only wires these
 * into its framework's routes.
 *
 * The examples import Gatehouse from its sources by relative path, so they run and type-check
 * inside this repository without a build; in your project the same names come from
 * `gatehouse` and `gatehouse/<framework>`.
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { systemClock } from '../../src/core/clock.js';
import { ValidationError } from '../../src/core/errors.js';
import type { Permission } from '../../src/core/pipeline.js';
import type { Principal } from '../../src/core/user.js';
import { mergeSettings, parseSettings, type Settings } from '../../src/core/settings.js';
import type { GuardPolicy } from '../../src/http/guard.js';
import { IsAdminUser, IsAuthenticated } from '../../src/permissions/index.js';
import { createGatehouse, type Gatehouse } from '../../src/server/app.js';
import { UsernameTaken } from '../../src/stores/types.js';
import { createThrottling } from '../../src/throttle/index.js';
import { InvalidUsername } from '../../src/users/service.js';

export interface Note {
  id: number;
  owner: number;
  ownerName: string;
  text: string;
}

/** A note as the API shows it. */
export const present = (n: Note) => ({ id: n.id, owner: n.ownerName, text: n.text });

/** The notes, in memory (a real application has a table). */
export class NoteStore {
  private readonly notes = new Map<number, Note>();
  private next = 1;
  list(owner?: number): Note[] {
    return [...this.notes.values()].filter((n) => owner === undefined || n.owner === owner);
  }
  get(id: number): Note | undefined {
    return this.notes.get(id);
  }
  create(principal: Principal, text: string): Note {
    const note = { id: this.next++, owner: principal.user.id, ownerName: principal.user.username, text };
    this.notes.set(note.id, note);
    return note;
  }
  update(note: Note, text: string): Note {
    note.text = text;
    return note;
  }
}

/**
 * DRF's classic `IsOwner` object permission: every request may try (`hasPermission`), only
 * the owner passes `checkObjectPermissions` for a note.
 */
export const IsOwner: Permission = {
  message: 'You can only edit your own notes.',
  hasPermission: () => true,
  hasObjectPermission: (ctx, obj) => ctx.principal !== null && (obj as Note).owner === ctx.principal.user.id,
};

/** The policies of the example routes (built once per application). */
export function examplePolicies(gatehouse: Gatehouse) {
  const throttling = createThrottling(gatehouse.settings, { clock: systemClock });
  return {
    /** `POST /register`: anyone, but anonymous callers at `throttle.rates.anon`. */
    register: { authenticators: [], throttles: [throttling.anon] } satisfies GuardPolicy,
    /** The notes: any authenticated user (JWT or opaque token). */
    authenticated: { permissions: [IsAuthenticated] } satisfies GuardPolicy,
    /** Staff only. */
    admin: { permissions: [IsAdminUser] } satisfies GuardPolicy,
    /** `GET /notes/export`: authenticated, at the `notes_export` scope's rate. */
    export: { permissions: [IsAuthenticated], throttles: [throttling.scoped], throttleScope: 'notes_export' } satisfies GuardPolicy,
    /** The object permissions of `PATCH /notes/:id`, and the authenticators its 401 would name. */
    edit: [IsOwner] as const,
    authenticators: [gatehouse.authenticators.jwt, gatehouse.authenticators.token],
  };
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A required, non-blank string field, with DRF's messages. */
function field(body: unknown, name: string, max = 10_000): string {
  if (!isRecord(body) || !(name in body)) throw new ValidationError({ [name]: ['This field is required.'] });
  const value = body[name];
  if (value === null) throw new ValidationError({ [name]: ['This field may not be null.'] });
  if (typeof value !== 'string') throw new ValidationError({ [name]: ['Not a valid string.'] });
  if (value.trim() === '') throw new ValidationError({ [name]: ['This field may not be blank.'] });
  if (value.length > max) throw new ValidationError({ [name]: [`Ensure this field has no more than ${max} characters.`] });
  return value;
}

/** `{"text": …}` of a note. */
export const noteText = (body: unknown): string => field(body, 'text', 1000);

/** `POST /register {"username", "password"}` → the new user, or a DRF 400. */
export async function register(gatehouse: Gatehouse, body: unknown): Promise<{ id: number; username: string }> {
  const username = field(body, 'username', 150);
  const password = field(body, 'password', 4096);
  if (password.length < 8) throw new ValidationError({ password: ['This password is too short. It must contain at least 8 characters.'] });
  try {
    const user = await gatehouse.users.create({ username, password });
    return { id: user.id, username: user.username };
  } catch (e) {
    if (e instanceof InvalidUsername || e instanceof UsernameTaken) throw new ValidationError({ username: [e.message] });
    throw e;
  }
}

/** The example's settings: yours (config file, `GATEHOUSE_*`) under these throttle rates. */
export const EXAMPLE_SETTINGS = { throttle: { rates: { anon: '30/min', user: null, notes_export: '3/min' } } };

/** A Gatehouse for running an example by hand: `./examples.sqlite3` (`GATEHOUSE_DATABASE`), created and migrated. */
export async function exampleGatehouse(overrides: Record<string, unknown> = {}): Promise<Gatehouse> {
  const env = process.env;
  const settings: Settings = parseSettings(
    mergeSettings(
      { database: env.GATEHOUSE_DATABASE ?? './examples.sqlite3', secretKey: env.GATEHOUSE_SECRET_KEY ?? 'example-secret-key-change-me-0123456789abcdef' },
      EXAMPLE_SETTINGS,
      overrides,
    ),
  );
  return createGatehouse(settings);
}

/** Was this module started directly (`node --import tsx examples/<framework>/server.ts`)? */
export const isMain = (metaUrl: string): boolean => process.argv[1] !== undefined && fileURLToPath(metaUrl) === resolve(process.argv[1]);
