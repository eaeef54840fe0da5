/**
 * @module @corral/worker-browser
 * Corral's browser host: core's runtime in a pool of module Web Workers — plugin affinity, a
 * hard kill (`worker.terminate()`) for calls the QuickJS interrupt cannot stop, a hot spare, and
 * the engine's .wasm compiled once and posted to every worker. Returns core's SandboxClient,
 * like every other host.
 */
export {
  createBrowserSandbox,
  type BrowserSandbox,
  type BrowserSandboxOptions,
} from './createBrowserSandbox.js';
