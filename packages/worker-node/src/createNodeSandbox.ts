/**
 * @module createNodeSandbox
 * The host side of the Node adapter: `poolSize` worker_threads, each running core's runtime
 * (worker.ts) behind core's supervised SandboxClient, joined by core's pool with plugin
 * affinity. This file only spawns, wires and terminates threads; core decides when to kill.
 */
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { readFileSync } from 'node:fs';
import { CorralError, type DispatchSource, type RuntimeLimits } from '@corral/contracts';
import {
  createSandboxClient,
  decodeOutbound,
  createSandboxPool,
  type JsonResultClient,
  type SandboxClient,
  type Supervisor,
  type Transport,
} from '@corral/core';
import { READY, type WorkerBoot } from './handshake.js';

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
}

export interface NodeSandbox extends SandboxClient, JsonResultClient {
  /** Workers replaced so far (killed or crashed). */
  restarts(): number;
  /** Calls sent and not yet settled. */
  queueDepth(): number;
}

interface Booted {
  worker: Worker;
  transport: Transport;
  exited: boolean;
}

const BOOT_TIMEOUT_MS = 10_000;
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
  const data: WorkerBoot = {
    engine,
    allowedGlobalActions: options.allowedGlobalActions ?? [],
    source: options.source ?? 'node-worker',
    ...(options.limitsCeiling ? { limitsCeiling: options.limitsCeiling } : {}),
    ...(options.heapLimitBytes ? { heapLimitBytes: options.heapLimitBytes } : {}),
    ...(wasm ? { wasmModule: await WebAssembly.compile(wasm) } : {}),
  };
  // QuickJS recurses on the thread's stack too, up to ~32× its own limit: at the generous 512 KiB
  // VM stack the parser (nested parentheses in eval) overflowed 4 and 8 MB threads and held at
  // 16 MB (measured). The worker tells core its stack size, and core caps each plugin's stack at
  // 1/32 of it; 32 MB keeps every profile uncapped. Only reserved, not committed.
  const resourceLimits = { maxOldGenerationSizeMb: 256, stackSizeMb: 32, ...options.resourceLimits };
  const threads = new Set<Worker>();
  const serving: (Booted | undefined)[] = [];
  let spare: Promise<Booted> | null = null;
  let spareReady: Booted | null = null;
  let restarts = 0;
  let boots = 0;
  let closing = false;

  function boot(): Promise<Booted> {
    if (closing) return Promise.reject(new CorralError('OVERLOADED', 'The sandbox is closed'));
    boots++;
    const worker = new Worker(WORKER_URL, { workerData: data, resourceLimits, execArgv: EXEC_ARGV });
    const booted: Booted = { worker, exited: false, transport: workerTransport(worker) };
    worker.on('error', () => undefined); // reported through onClose; never an uncaught host error
    threads.add(worker);
    worker.once('exit', () => {
      booted.exited = true;
      threads.delete(worker);
    });
    return new Promise<Booted>((resolve, reject) => {
      const settle = (reason: string | null) => {
        clearTimeout(timer);
        worker.off('message', onMessage).off('error', onError).off('exit', onExit);
        if (reason === null) return resolve(booted);
        void worker.terminate();
        reject(new CorralError('WORKER_CRASHED', `The worker failed to boot: ${reason}`, { reason }));
      };
      const onMessage = (message: unknown) => message === READY && settle(null);
      const onError = (error: Error) => settle(error.message);
      const onExit = (code: number) => settle(`exited with code ${code}`);
      const timer = setTimeout(() => settle(`not ready after ${BOOT_TIMEOUT_MS} ms`), BOOT_TIMEOUT_MS);
      worker.on('message', onMessage).on('error', onError).on('exit', onExit);
    });
  }

  function refillSpare(): Promise<unknown> | null {
    if (options.hotSpare === false || closing || spare) return null;
    const next = boot();
    spare = next;
    return next.then(
      (b) => (spare === next ? (spareReady = b) : undefined),
      () => (spare === next ? (spare = null) : undefined),
    );
  }

  /** Member `i`'s supervisor: replacements come from the shared hot spare when it is up. */
  const supervisorFor = (i: number): Supervisor => ({
    async spawn() {
      const taken = spare;
      spare = spareReady = null;
      let booted = taken ? await taken.catch(() => null) : null;
      if (!booted || booted.exited) booted = await boot();
      serving[i] = booted;
      return booted.transport;
    },
    kill: (transport) => transport.close?.(),
  });

  // The spare boots beside the members, so the pool starts with nothing left booting.
  const firstSpare = refillSpare();
  const members = await Promise.all(
    Array.from({ length: Math.max(1, options.poolSize ?? availableParallelism()) }, async (_, i) => {
      // A worker that cannot boot starts its client on a dead transport: the client's bounded
      // respawn (maxBootFailures, then a cool-down) takes over and calls fail WORKER_CRASHED.
      const first = await boot().then((b) => ((serving[i] = b), b.transport), deadTransport);
      return createSandboxClient(first, {
        supervisor: supervisorFor(i),
        ...(options.graceMs !== undefined ? { graceMs: options.graceMs } : {}),
        onRestart() {
          restarts++;
          // Only after a replacement booted and re-loaded its plugins: the spare's boot does not
          // compete with that reload, and a worker that cannot boot never loops here.
          setTimeout(refillSpare, 0);
        },
      });
    }),
  );
  await firstSpare;
  const pool = createSandboxPool(members, {
    // After every member closed: the spare, booting replacements and threads killed earlier
    // but still exiting all go too, so close() resolves with no thread left.
    async onClose() {
      closing = true;
      spare = spareReady = null;
      await Promise.all([...threads].map((worker) => worker.terminate()));
    },
  });
  const sandbox = Object.assign(pool, { restarts: () => restarts });
  internals.set(sandbox, {
    workerOf: (pluginId) => serving[pool.memberOf(pluginId) ?? 0]?.worker,
    boots: () => boots,
    threads: () => threads.size,
    spareReady: () => spareReady !== null && !spareReady.exited,
  });
  return sandbox;
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
  }
>();

createNodeSandbox satisfies (options?: NodeSandboxOptions) => Promise<SandboxClient>;

function workerTransport(worker: Worker): Transport {
  return {
    // Requests go structured-cloned, so what the caller passed is what the worker validates (JSON
    // text would quietly turn NaN into null or drop undefined); replies come back as JSON texts,
    // a result's left unparsed for callJson.
    post: (message) => worker.postMessage(message),
    on(listener) {
      const onMessage = (batch: unknown) => {
        if (batch !== READY) for (const text of batch as string[]) listener(decodeOutbound(text));
      };
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

/** A transport already gone: its client starts by respawning. */
function deadTransport(): Transport {
  return {
    post: () => undefined,
    on: () => () => undefined,
    onClose(listener) {
      queueMicrotask(() => listener('the worker failed to boot'));
      return () => undefined;
    },
  };
}
