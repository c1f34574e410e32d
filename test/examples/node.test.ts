/** examples/node/server.ts passes the example scenario (test/examples/scenario.ts). */
import { start } from '../../examples/node/server.js';
import { exampleScenario } from './scenario.js';

exampleScenario('node', start);
