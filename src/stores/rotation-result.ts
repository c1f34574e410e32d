/** What a store reports after applying a rotation decision (the same for every store). */
import { randomBytes } from 'node:crypto';
import type { RotateResult, RotationAction } from './types.js';

export function resultOf(action: RotationAction, familyId: string): RotateResult {
  switch (action.kind) {
    case 'rotate':
      return { kind: 'rotated', familyId };
    case 'grace':
      return { kind: 'grace', replacement: action.replacement, familyId };
    case 'revoke_family':
      return { kind: 'reused', familyId };
    default:
      return { kind: action.reason };
  }
}

/** A new refresh family id: 128 random bits, hex. */
export const newFamilyId = (): string => randomBytes(16).toString('hex');
