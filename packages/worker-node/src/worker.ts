/**
 * @module worker
 * The worker_threads entry: builds core's runtime for the variant named in `workerData`, serves
 * it over the parent port with core's RPC service, and says `ready` once it takes requests.
 * Everything else — limits, validation, the bridge — is core's.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { QuickJSSyncVariant } from 'quickjs-emscripten-core';
import { createRuntime, createRuntimeService, type Transport } from '@corral/core';
import { READY, type WorkerBoot } from './handshake.js';

const WARM_UP = `definePlugin({ widgets: { main: { render: function (ctx) {
  var a = [], o = {};
  for (var i = 0; i < 5000; i++) { a.push([i, "k" + i]); o["k" + (i % 500)] = { v: i }; }
  return { kind: "text", text: JSON.stringify(JSON.parse(JSON.stringify(o))).slice(0, 8) + a.length };
} } } });`;

const port = parentPort;
if (!port) throw new Error('@corral/worker-node: worker.ts runs only inside a worker thread');
const boot = workerData as WorkerBoot;

const loaders: Record<string, () => Promise<{ default: QuickJSSyncVariant }>> = {
  quickjs: () => import('@jitl/quickjs-wasmfile-release-sync'),
  'quickjs-ng': () => import('@jitl/quickjs-ng-wasmfile-release-sync'),
};
const load = Object.hasOwn(loaders, boot.engine) ? loaders[boot.engine] : undefined;
if (!load) throw new Error(`@corral/worker-node: unknown engine '${boot.engine}'`);

const runtime = await createRuntime({
  variant: (await load()).default,
  source: 'node-worker',
  allowedGlobalActions: boot.allowedGlobalActions,
  ...(boot.limitsCeiling ? { limitsCeiling: boot.limitsCeiling } : {}),
  ...(boot.heapLimitBytes ? { heapLimitBytes: boot.heapLimitBytes } : {}),
  ...(boot.wasmModule ? { wasmModule: boot.wasmModule } : {}),
});

// A little plugin work before saying ready: the module's code starts out baseline-compiled, and
// a cold first call ran up to 2× slower against the same deadline (measured; later threads of
// the process start warmer, as they share the compiled module). Best effort: a tight
// limitsCeiling may refuse it, and that must not fail the boot.
const warm = { pluginId: 'warm-up', widgetId: 'main', pluginState: {}, globalState: {} };
try {
  await runtime.loadPlugin({ pluginId: warm.pluginId, code: WARM_UP });
  for (let i = 0; i < 3; i++) await runtime.render(warm);
} catch {
  // the first real calls run cold
} finally {
  await runtime.disposePlugin({ pluginId: warm.pluginId }).catch(() => undefined);
}

const transport: Transport = {
  post: (message) => port.postMessage(message),
  on(listener) {
    port.on('message', listener);
    return () => port.off('message', listener);
  },
};
createRuntimeService(runtime, transport);
port.postMessage(READY);
