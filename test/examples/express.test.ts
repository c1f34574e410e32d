/** examples/express/server.ts passes the example scenario (test/examples/scenario.ts). */
import { start } from '../../examples/express/server.js';
import { exampleScenario } from './scenario.js';

exampleScenario('express', start);
