/**
 * @module @corral/core
 * Corral's runtime-agnostic engine: the in-thread runtime (QuickJS, limits, bridge), the RPC
 * service that serves it over any transport, and the SandboxClient every host returns.
 * It imports only `@corral/contracts` and `quickjs-emscripten-core`; the QuickJS variant, the
 * clock and the transport are passed in.
 */
export { createRuntime, type Runtime, type RuntimeOptions } from './runtime/createRuntime.js';
export { resultJson } from './runtime/resultJson.js';
export {
  createRuntimeService,
  answer,
  readRequest,
  type RuntimeService,
} from './rpc/createRuntimeService.js';
export {
  createSandboxClient,
  type CancellableTransport,
  type JsonResultClient,
  type SandboxCallOptions,
  type SandboxClient,
  type SandboxClientOptions,
  type Supervisor,
} from './rpc/createSandboxClient.js';
export { createSandboxPool, type SandboxPool, type SandboxPoolOptions } from './rpc/createSandboxPool.js';
export {
  awaitReady,
  createWorkerPool,
  WORKER_READY,
  type WorkerLink,
  type WorkerPool,
  type WorkerPoolOptions,
} from './rpc/createWorkerPool.js';
export {
  readWorkerMessage,
  serveWorkerPort,
  warmUpRuntime,
  writeWorkerMessage,
  type ServeOptions,
  type WorkerPort,
} from './rpc/workerPort.js';
export {
  createInProcessTransportPair,
  decodeOutbound,
  encodeOutbound,
  JsonText,
  type PostHints,
  type Transport,
} from './rpc/transport.js';
export { createSystemClock, type Clock } from './clock.js';
export { checkStates } from './states.js';
export { createInProcessSandbox, type InProcessSandboxOptions } from './createInProcessSandbox.js';
export {
  createHttpSandbox,
  createHttpTransport,
  RPC_STREAM_TYPE,
  type HttpSandboxOptions,
} from './http/createHttpSandbox.js';
