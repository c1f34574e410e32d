/**
 * Guards: protect a route of the application's own, in any framework, with one policy
 * (authenticators + permissions + throttles). A guard runs DRF's pipeline on a
 * `RequestView` and answers either the principal or the exact error response the
 * token endpoints would give. Adapters (`gatehouse/express`, `/fastify`, `/hono`,
 * `/node`) wrap it in their framework's middleware shape.
 */
import { runPolicy, socketAddress, type ClientAddressResolver, type CoreResponse, type Policy } from '../core/pipeline.js';
import type { RequestView } from '../core/request.js';
import type { Principal } from '../core/user.js';
import { isPromise } from '../core/maybe.js';
import { failureResponse, type EngineLogger } from './failure.js';

export type GuardOutcome = { ok: true; principal: Principal | null } | { ok: false; response: CoreResponse };

/** A policy for one route, plus the challenge for routes without authenticators. */
export interface GuardPolicy extends Policy {
  challenge?: string;
}

export interface GuardOptions {
  clientAddress?: ClientAddressResolver;
  logger?: EngineLogger;
}

export type Guard = (req: RequestView) => GuardOutcome | Promise<GuardOutcome>;

/** Build a guard. Never throws at request time: every failure is a response. */
export function createGuard(policy: GuardPolicy, options: GuardOptions = {}): Guard {
  const clientAddress = options.clientAddress ?? socketAddress;
  const fail = (error: unknown, req: RequestView): GuardOutcome => ({
    ok: false,
    response: failureResponse(error, req, { authenticators: policy.authenticators ?? [], challenge: policy.challenge, logger: options.logger }),
  });
  return (req) => {
    try {
      const principal = runPolicy(req, policy, clientAddress);
      if (isPromise(principal)) return principal.then((p): GuardOutcome => ({ ok: true, principal: p }), (e: unknown) => fail(e, req));
      return { ok: true, principal };
    } catch (e) {
      return fail(e, req);
    }
  };
}
