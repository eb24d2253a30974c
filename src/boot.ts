// Imported first by the command line, before any module that allocates much: restarting with
// V8's young generation limited costs only a bare start-up here (see config/young-generation.ts).
import { limitYoungGeneration } from './config/young-generation.js';

limitYoungGeneration();
