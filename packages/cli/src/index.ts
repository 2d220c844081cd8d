export { buildProgram, version } from './program.js';
