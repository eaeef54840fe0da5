/**
 * @module createBrowserSandbox
 * The host side of the browser adapter: `poolSize` module Web Workers, each running core's
 * runtime (worker.ts), in core's worker pool (supervised clients, plugin affinity, the hot
 * spare, the boot handshake). This file compiles the engine's .wasm once, starts, wires and
 * terminates workers; core decides when.
 */
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
import type { WorkerBoot } from './boot.js';

export interface BrowserSandboxOptions {
  /** Web Workers in the pool. Default 2. */
  poolSize?: number;
  /** Default `quickjs`. */
  engine?: 'quickjs' | 'quickjs-ng';
  /** What dispatches and health are stamped with. Default `browser-worker`. */
  source?: DispatchSource;
  /** Global action types the host accepts. Default none. */
  allowedGlobalActions?: string[];
  /** Upper bound on any plugin's limits. Default: the generous profile. */
  limitsCeiling?: RuntimeLimits;
  /** Hard ceiling of each worker's WebAssembly heap. Default 1 GiB. */
  heapLimitBytes?: number;
  /** Margin past a call's deadline before its worker is killed. Default 250 ms. */
  graceMs?: number;
  /** Keep one booted worker ready, so a replacement is immediate. Default true. */
  hotSpare?: boolean;
  /**
   * The engine's .wasm: its URL, or a module compiled already. Default: the `@jitl/*` variant's
   * own file, which a bundler that follows `new URL(…, import.meta.url)` (Vite) emits as an asset.
   */
  wasm?: string | URL | WebAssembly.Module;
  /** How long a worker may take to boot. Default 10,000 ms. */
  bootTimeoutMs?: number;
}

export interface BrowserSandbox extends SandboxClient, JsonResultClient {
  /** Workers replaced so far (killed or crashed). */
  restarts(): number;
  /** Calls sent and not yet settled. */
  queueDepth(): number;
}

// Bundlers resolve these statically (a Worker of `new URL(…, import.meta.url)`, an asset URL of
// a package's file), so each lives in a literal expression.
const WASM_URLS: Record<string, () => URL> = {
  quickjs: () => new URL('@jitl/quickjs-wasmfile-release-sync/wasm', import.meta.url),
  'quickjs-ng': () => new URL('@jitl/quickjs-ng-wasmfile-release-sync/wasm', import.meta.url),
};
const startWorker = (): Worker =>
  new Worker(new URL('./worker.js', import.meta.url), { type: 'module', name: 'corral' });

export async function createBrowserSandbox(options: BrowserSandboxOptions = {}): Promise<BrowserSandbox> {
  const engine: string = options.engine ?? 'quickjs';
  const boot: WorkerBoot = {
    engine,
    allowedGlobalActions: options.allowedGlobalActions ?? [],
    source: options.source ?? 'browser-worker',
    ...(options.limitsCeiling ? { limitsCeiling: options.limitsCeiling } : {}),
    ...(options.heapLimitBytes ? { heapLimitBytes: options.heapLimitBytes } : {}),
    wasmModule: await compileWasm(options.wasm ?? WASM_URLS[engine]?.()),
  };
  const workers = new Set<Worker>();
  const pool = await createWorkerPool({
    size: options.poolSize ?? 2,
    ...(options.hotSpare !== undefined ? { hotSpare: options.hotSpare } : {}),
    ...(options.graceMs !== undefined ? { graceMs: options.graceMs } : {}),
    ...(options.bootTimeoutMs !== undefined ? { bootTimeoutMs: options.bootTimeoutMs } : {}),
    start(): WorkerLink {
      const worker = startWorker();
      workers.add(worker);
      const link = workerLink(worker, () => workers.delete(worker));
      worker.postMessage(boot);
      return link;
    },
    async onClose() {
      for (const worker of workers) worker.terminate();
      workers.clear();
    },
  });
  internals.set(pool, {
    workers: () => workers.size,
    boots: pool.boots,
    spareReady: pool.spareReady,
    linkOf: pool.linkOf,
  });
  return pool;
}

createBrowserSandbox satisfies (options?: BrowserSandboxOptions) => Promise<SandboxClient>;

/** Test hook, not exported from the package: the workers behind a sandbox. */
export const internals = new WeakMap<
  BrowserSandbox,
  {
    /** Workers started and not ended yet (members, spare, booting replacements). */
    workers(): number;
    boots(): number;
    spareReady(): boolean;
    /** The link of the worker serving a plugin (its `transport.close()` ends it as a crash would). */
    linkOf(pluginId: string): WorkerLink | undefined;
  }
>();

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

/**
 * A Web Worker as a pool member. Browsers give no `exit` event: the worker counts as gone when
 * it reports an uncaught error or an unreadable message (it is then terminated), or when the
 * host terminates it; each ends it once and tells `onClose` listeners a task later.
 */
function workerLink(worker: Worker, onEnd: () => void): WorkerLink {
  const closeListeners = new Set<(reason: string) => void>();
  const link = { exited: false, transport: null as unknown as Transport };
  const end = (reason: string): void => {
    if (link.exited) return;
    link.exited = true;
    worker.terminate();
    onEnd();
    setTimeout(() => closeListeners.forEach((listener) => listener(reason)), 0);
  };
  worker.addEventListener('error', (event) => {
    event.preventDefault(); // reported through onClose, never as the page's uncaught error
    end(`worker error: ${event.message || 'failed to load'}`);
  });
  worker.addEventListener('messageerror', () => end('a message from the worker could not be read'));
  link.transport = {
    post: (message, hints) => worker.postMessage(writeWorkerMessage(message, hints)),
    on(listener) {
      const onMessage = (event: MessageEvent): void => readWorkerMessage(event.data, listener);
      worker.addEventListener('message', onMessage);
      return () => worker.removeEventListener('message', onMessage);
    },
    onClose(listener) {
      closeListeners.add(listener);
      return () => closeListeners.delete(listener);
    },
    close: () => end('terminated by the host'),
  };
  return link;
}
