/**
 * Second-factor management over HTTP (mounted under `/api/auth/mfa/` when `mfa.enabled`):
 * - `GET  /api/auth/mfa/`                 status: usable methods, TOTP state, recovery codes left;
 * - `POST /api/auth/mfa/totp/`            begin TOTP: `{secret, otpauth_url}` (shown once);
 * - `POST /api/auth/mfa/totp/confirm/`    `{code}` → `{recovery_codes}` (shown once);
 * - `POST /api/auth/mfa/totp/disable/`    `{code}` | `{recovery_code}` | `{password}` → 204;
 * - `POST /api/auth/mfa/recovery-codes/`  `{code}` | `{password}` → `{recovery_codes}`.
 * Authenticated by the user's own JWT or opaque token only (the authenticators given:
 * never an API key), never cached. The rules are `MfaService`'s; here only the fields.
 */
import type { Authenticator } from '../../core/authenticator.js';
import { ValidationError, type JsonObject } from '../../core/errors.js';
import type { ClientAddressResolver } from '../../core/pipeline.js';
import type { MfaService, MfaStatus } from '../../mfa/service.js';
import type { ProofContext } from '../../mfa/types.js';
import { IsAuthenticated } from '../../permissions/index.js';
import type { BodyData } from '../body.js';
import { collectCharFields, throwFieldErrors, type CharFieldSpec } from '../fields.js';
import type { HandlerContext, Route } from '../route.js';

export interface MfaEndpointDeps {
  mfa: MfaService;
  /** JWT (or the cookie authenticator) and opaque tokens: never API keys. */
  authenticators: readonly Authenticator[];
  clientAddress: ClientAddressResolver;
}

const CODE: CharFieldSpec = { name: 'code', maxLength: 32, required: false };
const RECOVERY_CODE: CharFieldSpec = { name: 'recovery_code', maxLength: 64, required: false };
const PASSWORD: CharFieldSpec = { name: 'password', maxLength: 4096, required: false, trim: false };

export function statusView(s: MfaStatus): JsonObject {
  return { methods: s.methods, totp: { enrolled: s.totp.enrolled, confirmed: s.totp.confirmed }, recovery_codes_remaining: s.recoveryCodesRemaining };
}

/** Exactly one of the fields `specs` names, validated as DRF CharFields. */
function oneOf(data: BodyData, specs: readonly CharFieldSpec[]): [string, string] {
  const { values, errors } = collectCharFields(data, specs);
  throwFieldErrors(errors, specs.map((s) => s.name));
  const given = Object.entries(values);
  if (given.length !== 1) throw new ValidationError({ non_field_errors: [`Provide exactly one of: ${specs.map((s) => s.name).join(', ')}.`] });
  return given[0] as [string, string];
}

export function mfaRoutes(deps: MfaEndpointDeps, prefix = ''): Route[] {
  const { mfa, authenticators } = deps;
  const base = `${prefix}/api/auth/mfa/`;
  const context = (ctx: HandlerContext, endpoint: string): ProofContext => ({ endpoint, address: deps.clientAddress(ctx.req) });
  const route = (path: string, name: string, methods: Route['methods']): Route => ({
    path: `${base}${path}`,
    name,
    authenticators,
    permissions: [IsAuthenticated],
    noStore: true,
    methods,
  });
  return [
    route('', 'MFA Status', { GET: async (ctx) => ({ body: statusView(await mfa.status(ctx.principal!.user)) }) }),
    route('totp/', 'TOTP Enrolment', {
      POST: async (ctx) => {
        const { secret, otpauthUrl } = await mfa.beginTotp(ctx.principal!.user);
        return { status: 201, body: { secret, otpauth_url: otpauthUrl } };
      },
    }),
    route('totp/confirm/', 'TOTP Confirmation', {
      POST: async (ctx) => {
        const [, code] = oneOf(await ctx.body(), [{ ...CODE, required: true }]);
        const codes = await mfa.confirmTotp(ctx.principal!.user, code, context(ctx, 'mfa-totp-confirm'));
        return { body: { recovery_codes: codes } };
      },
    }),
    route('totp/disable/', 'TOTP Removal', {
      POST: async (ctx) => {
        const [field, value] = oneOf(await ctx.body(), [CODE, RECOVERY_CODE, PASSWORD]);
        const proof = field === 'code' ? { code: value } : field === 'password' ? { password: value } : { recoveryCode: value };
        await mfa.disableTotp(ctx.principal!.user, proof, context(ctx, 'mfa-totp-disable'));
        return { status: 204 };
      },
    }),
    route('recovery-codes/', 'Recovery Codes', {
      POST: async (ctx) => {
        const [field, value] = oneOf(await ctx.body(), [CODE, PASSWORD]);
        const proof = field === 'code' ? { code: value } : { password: value };
        const codes = await mfa.regenerateRecoveryCodes(ctx.principal!.user, proof, context(ctx, 'mfa-recovery-codes'));
        return { body: { recovery_codes: codes } };
      },
    }),
  ];
}
