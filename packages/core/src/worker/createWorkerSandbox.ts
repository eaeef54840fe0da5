/**
 * @module createWorkerSandbox
 * The host side of every worker host: the options turned into boot data, the engine's `.wasm`
 * compiled once and handed to every worker, and core's worker pool over the host's workers. A
 * host adapter says only how to start one worker, how many cores it has, and how to compile a
 * `.wasm` on its platform.
 */
import type { DispatchSource } from '@corral/contracts';
import type { JsonResultClient, SandboxClient } from '../rpc/createSandboxClient.js';
import { createWorkerPool, type WorkerPool } from '../rpc/createWorkerPool.js';
import type { WorkerBoot, WorkerSandboxOptions } from './boot.js';
import type { WorkerEndpoint } from './endpoint.js';
import { engineVariant, type EngineVariant } from './engines.js';

/**
 * Warm-up rounds of the workers a pool starts with, all light (`quickStart`); replacements and
 * spares run all 10, the first heavy. One light round compiles what a first load and render
 * touch; more only warmed this thread's JS, at ~40 ms a round on a busy 2-core machine (issue 16).
 */
const FIRST_WARM_UP_ROUNDS = 1;

/** What a worker host adapter provides. */
export interface WorkerHost {
  /** The host's core count (Node `os.availableParallelism()`, `navigator.hardwareConcurrency`). */
  cores: number;
  /** What dispatches are stamped with when the options name no `source`. */
  source: DispatchSource;
  /**
   * Compile the engine's `.wasm` (e.g. from `engine.wasm`), once per sandbox: every worker gets
   * the module and skips compiling it. Leave out to let each worker load its own.
   */
  compileWasm?(engine: EngineVariant): Promise<WebAssembly.Module>;
  /**
   * Boot the hot spare with the members (`WorkerPoolOptions.spareAtStart`): where the first
   * call after creation is a person's first click, not a server's first request.
   */
  spareAtStart?: boolean;
  /** Start one worker with this boot data and return its endpoint at once. */
  start(boot: WorkerBoot): WorkerEndpoint;
}

/** What a worker host returns: core's SandboxClient, plus two counters for metrics. */
export interface WorkerSandbox extends SandboxClient, JsonResultClient {
  /** Workers replaced so far (killed or crashed). */
  restarts(): number;
  /** Calls sent and not yet settled. */
  queueDepth(): number;
}

/** The boot data `options` describe, before the `.wasm` is compiled. */
export function workerBootOf(
  options: WorkerSandboxOptions,
  host: Pick<WorkerHost, 'cores' | 'source'>,
): WorkerBoot {
  const poolSize = options.poolSize ?? host.cores;
  return {
    engine: options.engine ?? 'quickjs',
    spinMs: options.spinMs ?? (poolSize < host.cores ? 0.25 : 0),
    allowedGlobalActions: options.allowedGlobalActions ?? [],
    source: options.source ?? host.source,
    ...(options.limitsCeiling ? { limitsCeiling: options.limitsCeiling } : {}),
    ...(options.heapLimitBytes ? { heapLimitBytes: options.heapLimitBytes } : {}),
  };
}

/**
 * Start a pool of `poolSize` workers (plus the hot spare) and resolve once they serve calls;
 * return it as a `WorkerSandbox` (the pool's other methods are for a host's own hooks). An
 * engine name that is not one is passed on as it is: its workers fail at boot, and calls fail
 * WORKER_CRASHED after the client's bounded respawn, like any worker that cannot boot.
 */
export async function createWorkerSandbox(
  options: WorkerSandboxOptions,
  host: WorkerHost,
): Promise<WorkerPool & WorkerSandbox> {
  const boot = workerBootOf(options, host);
  const engine = engineVariant(boot.engine);
  if (engine && host.compileWasm) boot.wasmModule = await host.compileWasm(engine);
  return createWorkerPool({
    size: options.poolSize ?? host.cores,
    // A first member's boot is what the user waits for: a shorter warm-up (see warmUpRuntime).
    start: (purpose) =>
      host.start(
        purpose === 'first' ? { ...boot, warmUpRounds: FIRST_WARM_UP_ROUNDS, quickStart: true } : boot,
      ),
    ...(options.hotSpare !== undefined ? { hotSpare: options.hotSpare } : {}),
    ...(host.spareAtStart ? { spareAtStart: true } : {}),
    ...(options.graceMs !== undefined ? { graceMs: options.graceMs } : {}),
    ...(options.limitsCeiling ? { limitsCeiling: options.limitsCeiling } : {}),
    ...(options.bootTimeoutMs !== undefined ? { bootTimeoutMs: options.bootTimeoutMs } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
  });
}
