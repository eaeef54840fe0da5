/**
 * @module createNodeSandbox
 * The host side of the Node adapter: core's worker sandbox (pool, supervision, hot spare, boot
 * handshake) over worker_threads. This file only says how to start a thread and how Node reports
 * its end; core decides when.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import {
  createWorkerSandbox,
  type SandboxClient,
  type WorkerEndpoint,
  type WorkerPool,
  type WorkerSandbox,
  type WorkerSandboxOptions,
} from '@corral/core/worker-host';
import type { NodeBoot } from './worker.js';

export interface NodeSandboxOptions extends WorkerSandboxOptions {
  /** Default: `os.availableParallelism()`. */
  poolSize?: number;
  /** The thread's own limits: a second memory wall. Defaults 256 MB old generation, 32 MB stack. */
  resourceLimits?: { maxOldGenerationSizeMb?: number; stackSizeMb?: number };
  /**
   * Run the worker threads this much lower in CPU priority (a nice increment, 1–19): the server's
   * quarantine lane uses it so a suspect plugin's burned CPU yields to everything else. Linux
   * sets it per thread; elsewhere it is ignored. Default 0.
   */
  niceness?: number;
}

/** Core's worker sandbox: a SandboxClient that counts `restarts()` and `queueDepth()`. */
export type NodeSandbox = WorkerSandbox;

const require = createRequire(import.meta.url);
// Inside the repo this module runs from src (the `@corral/source` condition) with no build. On
// Node 20 `--import tsx` registers its loader on the main thread only, so a Worker cannot load a
// .ts entry by itself: from src the thread boots a data: module that registers tsx there first.
const FROM_SOURCE = import.meta.url.endsWith('.ts');
const WORKER_URL = FROM_SOURCE
  ? new URL(
      `data:text/javascript,${encodeURIComponent(
        `(await import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))})).register();
         await import(${JSON.stringify(new URL('./worker.ts', import.meta.url).href)});`,
      )}`,
    )
  : new URL('./worker.js', import.meta.url);
const EXEC_ARGV = FROM_SOURCE ? ['--conditions=@corral/source'] : [];

export async function createNodeSandbox(options: NodeSandboxOptions = {}): Promise<NodeSandbox> {
  // QuickJS recurses on the thread's stack too, up to ~32× its own limit: at the generous 512 KiB
  // VM stack the parser (nested parentheses in eval) overflowed 4 and 8 MB threads and held at
  // 16 MB. The worker tells core its stack size, and core caps each plugin's stack at 1/32 of
  // it; 32 MB keeps every profile uncapped. Only reserved, not committed.
  const resourceLimits = { maxOldGenerationSizeMb: 256, stackSizeMb: 32, ...options.resourceLimits };
  const threads = new Map<WorkerEndpoint, Worker>(); // until each exits
  let spinMs = 0;
  const sandbox = await createWorkerSandbox(options, {
    cores: availableParallelism(),
    source: 'node-worker',
    compileWasm: (engine) => WebAssembly.compile(readFileSync(require.resolve(engine.wasm))),
    start(boot) {
      spinMs = boot.spinMs;
      const workerData: NodeBoot = { ...boot, ...(options.niceness ? { niceness: options.niceness } : {}) };
      const worker = new Worker(WORKER_URL, { workerData, resourceLimits, execArgv: EXEC_ARGV });
      const endpoint = threadEndpoint(worker);
      threads.set(endpoint, worker);
      worker.once('exit', () => threads.delete(endpoint));
      return endpoint;
    },
  });
  const workerOf = (pluginId: string) => threads.get(sandbox.linkOf(pluginId)?.endpoint as WorkerEndpoint);
  internals.set(sandbox, { pool: sandbox, spinMs, workerOf, threads: () => threads.size });
  return sandbox;
}

createNodeSandbox satisfies (options?: NodeSandboxOptions) => Promise<SandboxClient>;

/**
 * Test hook, not exported from the package: core's pool behind a sandbox, its workers' `spinMs`,
 * the thread serving a plugin, and how many threads have not exited yet.
 */
export const internals = new WeakMap<
  NodeSandbox,
  { pool: WorkerPool; spinMs: number; workerOf(pluginId: string): Worker | undefined; threads(): number }
>();

/** A thread as core's endpoint: an uncaught error, a bad message or an exit is its end. */
function threadEndpoint(worker: Worker): WorkerEndpoint {
  return {
    postMessage: (message) => worker.postMessage(message),
    on: (listener) => (worker.on('message', listener), () => worker.off('message', listener)),
    onError(listener) {
      const onError = (error: Error) => listener(error.message);
      const onExit = (code: number) => listener(`exited with code ${code}`);
      const onBadMessage = (error: Error) => listener(`a message could not be read: ${error.message}`);
      worker.on('error', onError).on('exit', onExit).on('messageerror', onBadMessage);
      return () => worker.off('error', onError).off('exit', onExit).off('messageerror', onBadMessage);
    },
    terminate: () => worker.terminate(),
  };
}
