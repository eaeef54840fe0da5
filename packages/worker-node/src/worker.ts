/**
 * @module worker
 * The worker_threads entry: builds core's runtime for the variant named in `workerData`, warms
 * it, and serves it on the parent port with core's `serveWorkerPort` (which says ready).
 * Everything else — limits, validation, the bridge, the wire format — is core's.
 */
import { readlinkSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';
import { parentPort, receiveMessageOnPort, resourceLimits, workerData } from 'node:worker_threads';
import type { QuickJSSyncVariant } from 'quickjs-emscripten-core';
import { createRuntime, serveWorkerPort, warmUpRuntime } from '@corral/core';
import type { WorkerBoot } from './handshake.js';

const port = parentPort;
if (!port) throw new Error('@corral/worker-node: worker.ts runs only inside a worker thread');
const boot = workerData as WorkerBoot;

const loaders: Record<string, () => Promise<{ default: QuickJSSyncVariant }>> = {
  quickjs: () => import('@jitl/quickjs-wasmfile-release-sync'),
  'quickjs-ng': () => import('@jitl/quickjs-ng-wasmfile-release-sync'),
};
const load = Object.hasOwn(loaders, boot.engine) ? loaders[boot.engine] : undefined;
if (!load) throw new Error(`@corral/worker-node: unknown engine '${boot.engine}'`);

// Linux keeps a nice value per thread: /proc/thread-self names this one's id. Best effort.
if (boot.niceness) {
  try {
    const thread = Number(readlinkSync('/proc/thread-self').split('/').pop());
    setPriority(thread, Math.min(19, getPriority(thread) + boot.niceness));
  } catch {
    // Not Linux, or no /proc: the thread keeps its priority.
  }
}

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
await warmUpRuntime(runtime);
serveWorkerPort(
  runtime,
  {
    postMessage: (message) => port.postMessage(message),
    on(listener) {
      port.on('message', listener);
      return () => port.off('message', listener);
    },
    receive: () => receiveMessageOnPort(port),
  },
  { spinMs: boot.spinMs },
);
