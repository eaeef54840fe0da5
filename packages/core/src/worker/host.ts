/**
 * @module @corral/core/worker-host
 * What the host side of a worker host imports, and nothing more: the worker sandbox and its
 * types. The package's main entry also loads the in-thread runtime, QuickJS and the HTTP
 * client, which a host that only starts workers never runs; importing this entry instead took
 * ~30-40 ms off a Node host's cold start (issue 16). The same objects as the main entry's.
 */
export type { SandboxClient } from '../rpc/createSandboxClient.js';
export type { WorkerPool } from '../rpc/createWorkerPool.js';
export type { WorkerBoot, WorkerSandboxOptions } from './boot.js';
export type { EngineName, EngineVariant } from './engines.js';
export type { WorkerEndpoint, WorkerLink } from './endpoint.js';
export {
  createWorkerSandbox,
  workerBootOf,
  type WorkerHost,
  type WorkerSandbox,
} from './createWorkerSandbox.js';
