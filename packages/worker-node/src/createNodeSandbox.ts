/**
 * @module createNodeSandbox
 * The host side of the Node adapter: `poolSize` worker_threads, each running core's runtime
 * (worker.ts), in core's worker pool (supervised clients, plugin affinity, the hot spare, the
 * boot handshake). This file only starts, wires and terminates threads; core decides when.
 */
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { readFileSync } from 'node:fs';
import type { DispatchSource, RuntimeLimits } from '@corral/contracts';
import {
  createWorkerPool,
  readWorkerMessage,
  writeWorkerMessage,
  type JsonResultClient,
  type SandboxClient,
  type Transport,
  type WorkerLink,
} from '@corral/core';
import type { WorkerBoot } from './handshake.js';

export interface NodeSandboxOptions {
  /** Worker threads in the pool. Default `os.availableParallelism()`. */
  poolSize?: number;
  /** Default `quickjs`. */
  engine?: 'quickjs' | 'quickjs-ng';
  /** What dispatches and health are stamped with: `server` when this backs an HTTP server. Default `node-worker`. */
  source?: DispatchSource;
  /** Global action types the host accepts. Default none. */
  allowedGlobalActions?: string[];
  /** Upper bound on any plugin's limits. Default: the generous profile. */
  limitsCeiling?: RuntimeLimits;
  /** Hard ceiling of each worker's WebAssembly heap. Default 1 GiB. */
  heapLimitBytes?: number;
  /** Margin past a call's deadline before its worker is killed. Default 250 ms. */
  graceMs?: number;
  /** The thread's own limits: a second memory wall. Defaults 256 MB old generation, 32 MB stack. */
  resourceLimits?: { maxOldGenerationSizeMb?: number; stackSizeMb?: number };
  /** Keep one booted worker ready, so a replacement is immediate. Default true. */
  hotSpare?: boolean;
  /**
   * Run the worker threads this much lower in CPU priority (a nice increment, 1–19): the server's
   * quarantine lane uses it so a suspect plugin's burned CPU yields to everything else. Linux
   * sets it per thread; elsewhere it is ignored. Default 0.
   */
  niceness?: number;
  /**
   * After answering, a worker polls this long for a follow-up call before its thread sleeps
   * (core's `ServeOptions.spinMs`): back-to-back calls skip a thread wake-up, at the price of
   * up to this much CPU at the end of each burst. Default 0.25 ms when the pool leaves a core
   * free for the host's own thread (`poolSize < os.availableParallelism()`), else 0: polling
   * threads would take CPU from the very thread that sends the next call.
   */
  spinMs?: number;
}

export interface NodeSandbox extends SandboxClient, JsonResultClient {
  /** Workers replaced so far (killed or crashed). */
  restarts(): number;
  /** Calls sent and not yet settled. */
  queueDepth(): number;
}

const require = createRequire(import.meta.url);
// Inside the repo this module runs from src (the `@corral/source` condition) with no build. A
// thread cannot run .ts by itself, and on Node 20 `--import tsx` registers its loader on the main
// thread only, so `execArgv: ['--import', 'tsx']` leaves a Worker's entry unloadable
// (ERR_UNKNOWN_FILE_EXTENSION, measured). From src the thread therefore boots a data: module that
// registers tsx in that thread, then imports src/worker.ts. From dist it runs dist/worker.js.
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
const WASM: Record<string, string> = {
  quickjs: '@jitl/quickjs-wasmfile-release-sync/wasm',
  'quickjs-ng': '@jitl/quickjs-ng-wasmfile-release-sync/wasm',
};

export async function createNodeSandbox(options: NodeSandboxOptions = {}): Promise<NodeSandbox> {
  const engine: string = options.engine ?? 'quickjs';
  // Compiled once here and cloned into every thread: a boot skips compiling the .wasm (≈150 ms
  // of a ~400 ms boot from src, measured).
  const wasm = Object.hasOwn(WASM, engine) ? readFileSync(require.resolve(WASM[engine]!)) : null;
  const poolSize = options.poolSize ?? availableParallelism();
  const workerData: WorkerBoot = {
    engine,
    spinMs: options.spinMs ?? (poolSize < availableParallelism() ? 0.25 : 0),
    allowedGlobalActions: options.allowedGlobalActions ?? [],
    source: options.source ?? 'node-worker',
    ...(options.limitsCeiling ? { limitsCeiling: options.limitsCeiling } : {}),
    ...(options.heapLimitBytes ? { heapLimitBytes: options.heapLimitBytes } : {}),
    ...(options.niceness ? { niceness: options.niceness } : {}),
    ...(wasm ? { wasmModule: await WebAssembly.compile(wasm) } : {}),
  };
  // QuickJS recurses on the thread's stack too, up to ~32× its own limit: at the generous 512 KiB
  // VM stack the parser (nested parentheses in eval) overflowed 4 and 8 MB threads and held at
  // 16 MB (measured). The worker tells core its stack size, and core caps each plugin's stack at
  // 1/32 of it; 32 MB keeps every profile uncapped. Only reserved, not committed.
  const resourceLimits = { maxOldGenerationSizeMb: 256, stackSizeMb: 32, ...options.resourceLimits };
  const threads = new Map<Transport, Worker>();

  const pool = await createWorkerPool({
    size: poolSize,
    ...(options.hotSpare !== undefined ? { hotSpare: options.hotSpare } : {}),
    ...(options.graceMs !== undefined ? { graceMs: options.graceMs } : {}),
    start(): WorkerLink {
      const worker = new Worker(WORKER_URL, { workerData, resourceLimits, execArgv: EXEC_ARGV });
      worker.on('error', () => undefined); // reported through onClose; never an uncaught host error
      const link = { transport: workerTransport(worker), exited: false };
      threads.set(link.transport, worker);
      worker.once('exit', () => {
        link.exited = true;
        threads.delete(link.transport);
      });
      return link;
    },
    // After every member closed: the spare, booting replacements and threads killed earlier but
    // still exiting all go too, so close() resolves with no thread left.
    async onClose() {
      await Promise.all([...threads.values()].map((worker) => worker.terminate()));
    },
  });
  internals.set(pool, {
    workerOf: (pluginId) => {
      const link = pool.linkOf(pluginId);
      return link && threads.get(link.transport);
    },
    boots: pool.boots,
    threads: () => threads.size,
    spareReady: pool.spareReady,
    spinMs: workerData.spinMs,
  });
  return pool;
}

/** Test hook, not exported from the package: the threads behind a sandbox. */
export const internals = new WeakMap<
  NodeSandbox,
  {
    /** The thread serving the member a plugin is assigned to. */
    workerOf(pluginId: string): Worker | undefined;
    /** Threads started so far (members, replacements, spares; failed boots included). */
    boots(): number;
    /** Threads started and not exited yet. */
    threads(): number;
    /** Whether a booted hot spare is waiting. */
    spareReady(): boolean;
    /** How long its workers poll after answering (the option, or its default). */
    spinMs: number;
  }
>();

createNodeSandbox satisfies (options?: NodeSandboxOptions) => Promise<SandboxClient>;

/** A worker as a core Transport (core's wire: requests written and replies read by core). */
function workerTransport(worker: Worker): Transport {
  return {
    post: (message, hints) => worker.postMessage(writeWorkerMessage(message, hints)),
    on(listener) {
      const onMessage = (message: unknown) => readWorkerMessage(message, listener);
      worker.on('message', onMessage);
      return () => worker.off('message', onMessage);
    },
    onClose(listener) {
      const onError = (error: Error) => listener(error.message);
      const onExit = (code: number) => listener(`exited with code ${code}`);
      worker.on('error', onError).on('exit', onExit);
      return () => worker.off('error', onError).off('exit', onExit);
    },
    close: () => worker.terminate().then(() => undefined),
  };
}
