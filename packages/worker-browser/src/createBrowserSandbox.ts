/**
 * @module createBrowserSandbox
 * The host side of the browser adapter: core's worker sandbox (pool, supervision, hot spare, boot
 * data) over module Web Workers. This file only says how to start a worker, how a browser reports
 * its end (no `exit` event: an uncaught error or an unreadable message), and how to fetch and
 * compile the engine's .wasm once; core decides when.
 */
import {
  createWorkerSandbox,
  type SandboxClient,
  type WorkerEndpoint,
  type WorkerPool,
  type WorkerSandbox,
  type WorkerSandboxOptions,
} from '@corral/core';

export interface BrowserSandboxOptions extends WorkerSandboxOptions {
  /** Web Workers in the pool. Default 2. */
  poolSize?: number;
  /**
   * The engine's .wasm: its URL, or a module compiled already. Default: the `@jitl/*` variant's
   * own file, which a bundler that follows `new URL(…, import.meta.url)` (Vite) emits as an asset.
   */
  wasm?: string | URL | WebAssembly.Module;
}

/** Core's worker sandbox: a SandboxClient that counts `restarts()` and `queueDepth()`. */
export type BrowserSandbox = WorkerSandbox;

// Bundlers resolve these statically (a Worker of `new URL(…, import.meta.url)`, an asset URL of
// a package's file), so each lives in a literal expression.
const WASM_URLS: Record<string, () => URL> = {
  quickjs: () => new URL('@jitl/quickjs-wasmfile-release-sync/wasm', import.meta.url),
  'quickjs-ng': () => new URL('@jitl/quickjs-ng-wasmfile-release-sync/wasm', import.meta.url),
};
const startWorker = (): Worker =>
  new Worker(new URL('./worker.js', import.meta.url), { type: 'module', name: 'corral' });

export async function createBrowserSandbox(options: BrowserSandboxOptions = {}): Promise<BrowserSandbox> {
  const workers = new Set<Worker>();
  const engine = options.engine ?? 'quickjs';
  const sandbox = await createWorkerSandbox(
    { poolSize: 2, ...options },
    {
      cores: navigator.hardwareConcurrency || 2,
      source: 'browser-worker',
      // A page's first call is a person's first click: the spare's boot must not compete with it.
      spareAtStart: true,
      compileWasm: () => compileWasm(options.wasm ?? WASM_URLS[engine]?.()),
      start(boot) {
        const worker = startWorker();
        workers.add(worker);
        worker.postMessage(boot); // browsers have no workerData: the boot is the first message
        return webWorkerEndpoint(worker, () => workers.delete(worker));
      },
    },
  );
  internals.set(sandbox, { pool: sandbox, workers: () => workers.size });
  return sandbox;
}

createBrowserSandbox satisfies (options?: BrowserSandboxOptions) => Promise<SandboxClient>;

/** Test hook, not exported from the package: core's pool and the workers not ended yet. */
export const internals = new WeakMap<BrowserSandbox, { pool: WorkerPool; workers(): number }>();

/** Fetch and compile once per sandbox; every worker gets the module by postMessage. */
async function compileWasm(wasm: string | URL | WebAssembly.Module | undefined): Promise<WebAssembly.Module> {
  if (wasm instanceof WebAssembly.Module) return wasm;
  if (wasm === undefined) throw new TypeError('@corral/worker-browser: unknown engine');
  const response = await fetch(wasm, { credentials: 'same-origin' });
  if (!response.ok) throw new Error(`@corral/worker-browser: ${response.status} fetching ${response.url}`);
  // compileStreaming needs the application/wasm type; a server that sends another gets the slow path.
  if (response.headers.get('content-type')?.startsWith('application/wasm'))
    return WebAssembly.compileStreaming(response);
  return WebAssembly.compile(await response.arrayBuffer());
}

/** A Web Worker as core's endpoint: an uncaught error or an unreadable message is its end. */
function webWorkerEndpoint(worker: Worker, onEnd: () => void): WorkerEndpoint {
  return {
    postMessage: (message) => worker.postMessage(message),
    on(listener) {
      const onMessage = (event: MessageEvent): void => listener(event.data);
      worker.addEventListener('message', onMessage);
      return () => worker.removeEventListener('message', onMessage);
    },
    onError(listener) {
      const onError = (event: ErrorEvent): void => {
        event.preventDefault(); // reported to core, never as the page's uncaught error
        listener(`worker error: ${event.message || 'failed to load'}`);
      };
      const onBadMessage = (): void => listener('a message from the worker could not be read');
      worker.addEventListener('error', onError);
      worker.addEventListener('messageerror', onBadMessage);
      return () => {
        worker.removeEventListener('error', onError);
        worker.removeEventListener('messageerror', onBadMessage);
      };
    },
    terminate() {
      worker.terminate();
      onEnd();
    },
  };
}
