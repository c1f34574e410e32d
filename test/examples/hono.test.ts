/** examples/hono/server.ts passes the example scenario (test/examples/scenario.ts). */
import { start } from '../../examples/hono/server.js';
import { exampleScenario } from './scenario.js';

exampleScenario('hono', start);
