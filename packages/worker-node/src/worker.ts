/**
 * @module worker
 * The worker_threads entry: builds core's runtime for the variant named in `workerData`, serves
 * it over the parent port with core's RPC service, and says `ready` once it takes requests.
 * Everything else — limits, validation, the bridge — is core's.
 */
import { parentPort, resourceLimits, workerData } from 'node:worker_threads';
import type { QuickJSSyncVariant } from 'quickjs-emscripten-core';
import { createRuntime, createRuntimeService, encodeOutbound, type Transport } from '@corral/core';
import { READY, type WorkerBoot } from './handshake.js';

const WARM_UP = `definePlugin({ widgets: { main: { render: function (ctx) {
  var a = [], o = {};
  for (var i = 0; i < ctx.pluginState.n; i++) { a.push([i, "k" + i]); o["k" + (i % 500)] = { v: i }; }
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
  source: boot.source,
  // What V8 leaves JS and WebAssembly of this thread's stack (Node keeps 192 KiB back): core caps
  // each plugin's stackBytes at 1/32 of it, so QuickJS's own limit trips before the thread's.
  hostStackBytes: (resourceLimits.stackSizeMb ?? 4) * 1024 * 1024 - 192 * 1024,
  allowedGlobalActions: boot.allowedGlobalActions,
  ...(boot.limitsCeiling ? { limitsCeiling: boot.limitsCeiling } : {}),
  ...(boot.heapLimitBytes ? { heapLimitBytes: boot.heapLimitBytes } : {}),
  ...(boot.wasmModule ? { wasmModule: boot.wasmModule } : {}),
});

// Plugin work before saying ready, so a replacement's first calls run warm: a fresh thread's
// first load took 7–15 ms against 2 ms warm, and a cold first call ran up to 2× slower against
// the same deadline (measured). One heavy round tiers up the module's code (shared with later
// threads: it is the host's compiled module); light rounds warm this isolate's own JS. Best
// effort: a tight limitsCeiling may refuse it, and that must not fail the boot.
for (let round = 0; round < 10; round++) {
  const warm = {
    pluginId: 'warm-up',
    widgetId: 'main',
    pluginState: { n: round ? 100 : 5000 },
    globalState: {},
  };
  try {
    await runtime.loadPlugin({ pluginId: warm.pluginId, code: WARM_UP });
    for (let i = 0; i < 3; i++) await runtime.render(warm);
  } catch {
    break;
  } finally {
    await runtime.disposePlugin({ pluginId: warm.pluginId }).catch(() => undefined);
  }
}

// Replies leave as JSON text (core builds them from JSON), an array of strings per message: a
// call's diagnostics and its response cross in one message, cheaper than cloning objects. Core's
// encoding lets the host take a result's text without parsing it.
// Requests arrive structured-cloned, exactly as the caller passed them, for core to validate.
let batch: string[] = [];
let scheduled = false;
const flush = (): void => {
  scheduled = false;
  if (batch.length === 0) return;
  port.postMessage(batch);
  batch = [];
};
const transport: Transport = {
  post(message) {
    batch.push(encodeOutbound(message));
    // A response goes at once, with the notifications its call emitted before it; notifications
    // alone (none precede no response in practice) go at the end of the turn.
    if (typeof message === 'object' && message !== null && 'id' in message) flush();
    else if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  },
  on(listener) {
    port.on('message', listener);
    return () => port.off('message', listener);
  },
};
createRuntimeService(runtime, transport);
port.postMessage(READY);
