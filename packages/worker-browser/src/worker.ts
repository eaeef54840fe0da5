/**
 * @module worker
 * The Web Worker entry (a module worker): waits for the host's boot message, builds core's
 * runtime on the posted `WebAssembly.Module`, warms it and serves it with `serveWorkerPort`
 * (which says ready). Everything else is core's.
 */
import type { QuickJSSyncVariant } from 'quickjs-emscripten-core';
import { createRuntime, serveWorkerPort, warmUpRuntime } from '@corral/core';
import type { WorkerBoot } from './boot.js';

const loaders: Record<string, () => Promise<{ default: QuickJSSyncVariant }>> = {
  quickjs: () => import('@jitl/quickjs-wasmfile-release-sync'),
  'quickjs-ng': () => import('@jitl/quickjs-ng-wasmfile-release-sync'),
};
// V8 gives every Chromium thread, workers included, a 984 KiB JavaScript stack, and a page cannot
// raise it; core caps each plugin's QuickJS stack at 1/32 of this (see the README's stack section).
const HOST_STACK_BYTES = 984 * 1024;

// A boot that fails is rethrown as an uncaught error: that fires `error` on the host's Worker,
// which ends it at once (a rejected promise would leave the host waiting for the boot timeout).
addEventListener(
  'message',
  (event: MessageEvent<WorkerBoot>) =>
    void start(event.data).catch((error: unknown) =>
      setTimeout(() => {
        throw error;
      }),
    ),
  { once: true },
);

async function start(boot: WorkerBoot): Promise<void> {
  const load = Object.hasOwn(loaders, boot.engine) ? loaders[boot.engine] : undefined;
  if (!load) throw new Error(`@corral/worker-browser: unknown engine '${boot.engine}'`);
  const runtime = await createRuntime({
    variant: (await load()).default,
    source: boot.source,
    hostStackBytes: HOST_STACK_BYTES,
    allowedGlobalActions: boot.allowedGlobalActions,
    wasmModule: boot.wasmModule,
    ...(boot.limitsCeiling ? { limitsCeiling: boot.limitsCeiling } : {}),
    ...(boot.heapLimitBytes ? { heapLimitBytes: boot.heapLimitBytes } : {}),
  });
  await warmUpRuntime(runtime);
  serveWorkerPort(runtime, {
    postMessage: (message) => postMessage(message),
    on(listener) {
      const onMessage = (event: MessageEvent): void => listener(event.data);
      addEventListener('message', onMessage);
      return () => removeEventListener('message', onMessage);
    },
  });
}
