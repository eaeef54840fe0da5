/**
 * @module @corral/server
 * Corral over HTTP: an Express 5 app serving the contract (REST routes and `/v1/rpc`) from a
 * pool of worker threads, stateless across replicas. `main.ts` runs it from the environment.
 */
export { createServer, type CorralServer, type CreateServerOptions } from './createServer.js';
export {
  loadConfig,
  parseConfig,
  ConfigError,
  DEFAULT_CONFIG,
  type ConfigResult,
  type ServerConfig,
} from './config.js';
export { CSP_NONCE_PLACEHOLDER } from './routes/playground.js';
export { contentPluginId } from './pluginCache.js';
export { createServerSandbox, type ServerSandbox, type SandboxFactory, type SandboxLane } from './sandbox.js';
