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
export {
  DEFAULT_FAILURE_THRESHOLD,
  createFailureLedger,
  type FailureLedger,
  type FailureThreshold,
} from './rpc/failureLedger.js';
export { createSandboxPool, type SandboxPool, type SandboxPoolOptions } from './rpc/createSandboxPool.js';
export {
  awaitReady,
  createWorkerPool,
  type WorkerPool,
  type WorkerPoolOptions,
} from './rpc/createWorkerPool.js';
export {
  readWorkerMessage,
  serveWorkerPort,
  warmUpRuntime,
  WORKER_READY,
  writeWorkerMessage,
  type ServeOptions,
  type WorkerPort,
} from './rpc/workerPort.js';
// Worker plumbing every worker host (Node, browser) builds on.
export type { WorkerBoot, WorkerSandboxOptions } from './worker/boot.js';
export { ENGINES, engineVariant, type EngineName, type EngineVariant } from './worker/engines.js';
export { createWorkerLink, type WorkerEndpoint, type WorkerLink } from './worker/endpoint.js';
export {
  createWorkerSandbox,
  workerBootOf,
  type WorkerHost,
  type WorkerSandbox,
} from './worker/createWorkerSandbox.js';
export { startWorkerRuntime, type WorkerRuntimeOptions } from './worker/startWorkerRuntime.js';
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
  type HttpRetryOptions,
} from './http/createHttpSandbox.js';
export {
  createHybridSandbox,
  type HybridCallOptions,
  type HybridLoadOptions,
  type HybridSandbox,
  type HybridSandboxOptions,
  type HybridStats,
  type PlacementRecord,
} from './hybrid/createHybridSandbox.js';
export {
  SERVER_ONLY_NEEDS,
  defaultPlacementPolicy,
  serverOnlyNeeds,
  type PlacementDecision,
  type PlacementInput,
  type PlacementPolicy,
  type PlacementSetting,
  type RoutingContext,
} from './hybrid/policy.js';
export { eventDifferences, portableDispatch, renderDifferences } from './hybrid/compare.js';
export {
  createSessionRecorder,
  extractCall,
  readSessionRecording,
  replaySession,
  sha256Hex,
  type RecorderOptions,
  type ReplayMismatch,
  type ReplayReport,
  type SessionRecorder,
} from './recording/session.js';
