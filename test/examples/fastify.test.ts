/** examples/fastify/server.ts passes the example scenario (test/examples/scenario.ts). */
import { start } from '../../examples/fastify/server.js';
import { exampleScenario } from './scenario.js';

exampleScenario('fastify', start);
