/**
 * @module @corral/cli
 * The `corral` command, callable from code too: `main(argv)` resolves to the exit code.
 */
export { main } from './main.js';
export { EXIT } from './errors.js';
