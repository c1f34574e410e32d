/**
 * The second factors of a server built without any (`CreateOptions.secondFactors`
 * absent): no user has one, so every login passes the gate with its password, and no
 * proof is ever accepted.
 */
import type { SecondFactors } from './types.js';

export const noSecondFactors: SecondFactors = {
  register() {
    throw new Error('no second factor can be registered here: pass CreateOptions.secondFactors');
  },
  methods: async () => [],
  challenges: async () => ({}),
  verify: async () => false,
  enrolled: async () => {},
};
