/**
 * DRF's permission operators (`A & B`, `A | B`, `~A`, `rest_framework.permissions.AND /
 * OR / NOT`, DRF ≥ 3.14) and `check_object_permissions`.
 *
 * Semantics, operand by operand from the left, short-circuiting as Python's `and`/`or`:
 * - `and(a, b, …)`: `has_permission` = every operand's; `has_object_permission` = every
 *   operand's `has_object_permission`.
 * - `or(a, b, …)`: `has_permission` = any operand's; `has_object_permission` = any
 *   operand for which `has_permission` AND `has_object_permission` hold — DRF 3.14's rule
 *   (encode/django-rest-framework#7522): an operand that refuses the request cannot grant
 *   the object (`IsAdminUser | IsOwner` does not let a non-admin through `IsAdminUser`'s
 *   default object answer).
 * - `not(a)`: the negation of both answers. A permission without `hasObjectPermission`
 *   allows every object (DRF's `BasePermission`), so — exactly as in DRF — `not()` of it
 *   refuses every object: `not(IsAdminUser)` lets a non-admin pass `checkPermissions`
 *   but not `checkObjectPermissions`.
 *
 * Messages (the 403's `detail`): DRF 3.14's operators have no `message` attribute, so a
 * refusing composite always gives the default text there (encode/django-rest-framework#6427).
 * Gatehouse gives the failing operand's message instead, where that operand has one:
 * `and` → the first refusing operand's; `or` → the first operand (left to right) whose
 * refusal carries a message; `not` → none (the operand's message describes the opposite
 * refusal; use `withMessage`). With operands that have no `message` — every DRF built-in —
 * the wire is DRF's exactly.
 */
import type { Authenticator } from '../core/authenticator.js';
import { isPromise, then, type MaybePromise } from '../core/maybe.js';
import { enforce, toVerdict, type Permission, type PermissionContext, type PermissionVerdict as Verdict } from '../core/pipeline.js';

const GRANTED: Verdict = Object.freeze({ ok: true, message: undefined });

/**
 * A permission built by this module: every evaluation returns its verdict with the
 * message of its refusal, so nothing is shared between concurrent requests.
 */
abstract class Composite implements Permission {
  abstract hasPermission(ctx: PermissionContext): MaybePromise<Verdict>;
  abstract hasObjectPermission(ctx: PermissionContext, obj: unknown): MaybePromise<Verdict>;
}

/** A permission's request-level answer with its message. */
function verdictOf(p: Permission, ctx: PermissionContext): MaybePromise<Verdict> {
  return then(p.hasPermission(ctx), (answer) => toVerdict(p, answer));
}

/** A permission's object-level answer with its message (no `hasObjectPermission` ⇒ granted, as DRF). */
function objectVerdictOf(p: Permission, ctx: PermissionContext, obj: unknown): MaybePromise<Verdict> {
  if (!p.hasObjectPermission) return GRANTED;
  return then(p.hasObjectPermission(ctx, obj), (answer) => toVerdict(p, answer));
}

/** Left to right; the first refusal decides. */
function allGrant(count: number, one: (i: number) => MaybePromise<Verdict>, from = 0): MaybePromise<Verdict> {
  for (let i = from; i < count; i++) {
    const v = one(i);
    if (isPromise(v)) return v.then((r) => (r.ok ? allGrant(count, one, i + 1) : r));
    if (!v.ok) return v;
  }
  return GRANTED;
}

/** Left to right; the first grant decides; a refusal carries the first message met. */
function anyGrants(count: number, one: (i: number) => MaybePromise<Verdict>, from = 0, message?: string): MaybePromise<Verdict> {
  for (let i = from; i < count; i++) {
    const v = one(i);
    if (isPromise(v)) return v.then((r) => (r.ok ? r : anyGrants(count, one, i + 1, message ?? r.message)));
    if (v.ok) return v;
    message ??= v.message;
  }
  return { ok: false, message };
}

class And extends Composite {
  constructor(private readonly ops: readonly Permission[]) {
    super();
  }
  hasPermission(ctx: PermissionContext): MaybePromise<Verdict> {
    return allGrant(this.ops.length, (i) => verdictOf(this.ops[i] as Permission, ctx));
  }
  hasObjectPermission(ctx: PermissionContext, obj: unknown): MaybePromise<Verdict> {
    return allGrant(this.ops.length, (i) => objectVerdictOf(this.ops[i] as Permission, ctx, obj));
  }
}

class Or extends Composite {
  constructor(private readonly ops: readonly Permission[]) {
    super();
  }
  hasPermission(ctx: PermissionContext): MaybePromise<Verdict> {
    return anyGrants(this.ops.length, (i) => verdictOf(this.ops[i] as Permission, ctx));
  }
  hasObjectPermission(ctx: PermissionContext, obj: unknown): MaybePromise<Verdict> {
    return anyGrants(this.ops.length, (i) => {
      const op = this.ops[i] as Permission;
      return then(verdictOf(op, ctx), (v) => (v.ok ? objectVerdictOf(op, ctx, obj) : v));
    });
  }
}

class Not extends Composite {
  constructor(private readonly op: Permission) {
    super();
  }
  hasPermission(ctx: PermissionContext): MaybePromise<Verdict> {
    return then(verdictOf(this.op, ctx), (v): Verdict => (v.ok ? { ok: false, message: undefined } : GRANTED));
  }
  hasObjectPermission(ctx: PermissionContext, obj: unknown): MaybePromise<Verdict> {
    return then(objectVerdictOf(this.op, ctx, obj), (v): Verdict => (v.ok ? { ok: false, message: undefined } : GRANTED));
  }
}

class WithMessage extends Composite {
  constructor(
    private readonly op: Permission,
    private readonly text: string,
  ) {
    super();
  }
  get message(): string {
    return this.text;
  }
  hasPermission(ctx: PermissionContext): MaybePromise<Verdict> {
    return then(verdictOf(this.op, ctx), (v): Verdict => (v.ok ? GRANTED : { ok: false, message: this.text }));
  }
  hasObjectPermission(ctx: PermissionContext, obj: unknown): MaybePromise<Verdict> {
    return then(objectVerdictOf(this.op, ctx, obj), (v): Verdict => (v.ok ? GRANTED : { ok: false, message: this.text }));
  }
}

function operands(name: string, ops: readonly Permission[]): readonly Permission[] {
  if (ops.length === 0) throw new TypeError(`${name}() needs at least one permission`);
  for (const op of ops) {
    if (typeof op?.hasPermission !== 'function') throw new TypeError(`${name}(): every operand must be a Permission`);
  }
  return Object.freeze([...ops]);
}

/**
 * DRF's `A & B & …`: allowed when every operand allows (left to right, stopping at the
 * first refusal); for objects, when every operand's `hasObjectPermission` allows. The 403
 * message is the first refusing operand's (DRF 3.14 gives the default text; see the module
 * doc). Synchronous while the operands are.
 * Throws `TypeError` at construction with no operand or an operand that is not a permission.
 */
export function and(...permissions: Permission[]): Permission {
  return new And(operands('and', permissions));
}

/**
 * DRF's `A | B | …`: allowed when any operand allows; for objects, when some operand
 * allows BOTH the request and the object (DRF ≥ 3.14). When all refuse, the message is the
 * first operand's (left to right) that has one. Synchronous while the operands are.
 * Throws `TypeError` at construction with no operand or an operand that is not a permission.
 */
export function or(...permissions: Permission[]): Permission {
  return new Or(operands('or', permissions));
}

/**
 * DRF's `~A`: the negation of the request answer and of the object answer (a permission
 * without `hasObjectPermission` allows every object, so `not()` of it refuses every
 * object, as in DRF). No message of its own: wrap it in `withMessage` for one.
 * Throws `TypeError` at construction when the operand is not a permission.
 */
export function not(permission: Permission): Permission {
  return new Not(operands('not', [permission])[0] as Permission);
}

/**
 * The same permission with a fixed 403 message (DRF: a subclass with `message = …`).
 * Works on any permission, composites included.
 * Throws `TypeError` when the operand is not a permission or the message is empty.
 */
export function withMessage(permission: Permission, message: string): Permission {
  if (typeof message !== 'string' || message === '') throw new TypeError('withMessage(): the message must be a non-empty string');
  return new WithMessage(operands('withMessage', [permission])[0] as Permission, message);
}

/**
 * DRF's `APIView.check_object_permissions`, for handlers that load an object: every
 * permission's `hasObjectPermission` in order (a permission without one allows; the
 * request-level `hasPermission` is NOT asked again, except inside `or`, as DRF). The first
 * refusal throws `NotAuthenticated` when the caller is anonymous on a route with
 * authenticators (401 with the route's challenge, or 403 without one), otherwise
 * `PermissionDenied` with the refusing permission's message (default: DRF's text).
 * Pass the same `ctx`, permissions and authenticators as the route's policy.
 * Synchronous while the permissions are; an error thrown by a permission propagates.
 */
export function checkObjectPermissions(
  ctx: PermissionContext,
  permissions: readonly Permission[],
  obj: unknown,
  authenticators: readonly Authenticator[],
  from = 0,
): MaybePromise<void> {
  for (let i = from; i < permissions.length; i++) {
    const v = objectVerdictOf(permissions[i] as Permission, ctx, obj);
    if (isPromise(v)) {
      return v.then((r) => {
        enforce(ctx, r, authenticators);
        return checkObjectPermissions(ctx, permissions, obj, authenticators, i + 1);
      });
    }
    enforce(ctx, v, authenticators);
  }
}
