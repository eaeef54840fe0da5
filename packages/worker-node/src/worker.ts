/**
 * @module worker
 * The worker_threads entry: core's worker runtime (`startWorkerRuntime`) on the parent port, with
 * what only Node has — the thread's stack size, polling the port, and a per-thread nice value.
 */
import { readlinkSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';
import { parentPort, receiveMessageOnPort, resourceLimits, workerData } from 'node:worker_threads';
import { startWorkerRuntime, type WorkerBoot } from '@corral/core';

/** Core's boot data plus the thread's nice increment (see `NodeSandboxOptions.niceness`). */
export type NodeBoot = WorkerBoot & { niceness?: number };

const port = parentPort!;
const boot = workerData as NodeBoot;
// Linux keeps a nice value per thread: /proc/thread-self names this one's id. Best effort.
if (boot.niceness) {
  try {
    const thread = Number(readlinkSync('/proc/thread-self').split('/').pop());
    setPriority(thread, Math.min(19, getPriority(thread) + boot.niceness));
  } catch {
    // Not Linux, or no /proc: the thread keeps its priority.
  }
}
await startWorkerRuntime({
  boot,
  // What V8 leaves JS and WebAssembly of the thread's stack (Node keeps 192 KiB back).
  hostStackBytes: (resourceLimits.stackSizeMb ?? 4) * 1024 * 1024 - 192 * 1024,
  port: {
    postMessage: (message) => port.postMessage(message),
    on: (listener) => (port.on('message', listener), () => port.off('message', listener)),
    receive: () => receiveMessageOnPort(port),
  },
});
