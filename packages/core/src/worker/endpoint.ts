/**
 * @module endpoint
 * A started worker as any host has it — a Web Worker, a worker_threads Worker — reduced to four
 * calls, and the link the worker pool keeps for it. Hosts differ in how they learn that a worker
 * died: Node has an `exit` event, Web Workers have none, so a host reports a dead worker through
 * `onError` (its `error`/`messageerror` events, or Node's `exit`), and the link counts its own
 * `terminate()` as the end too. Either way the link ends once: `exited` turns true, the
 * transport's `onClose` listeners hear why, and the worker is terminated.
 */
import type { Transport } from '../rpc/transport.js';
import { readWorkerMessage, writeWorkerMessage } from '../rpc/workerPort.js';

/** What a host hands core for one started worker. */
export interface WorkerEndpoint {
  /** Post a message to the worker (structured-cloned). */
  postMessage(message: unknown): void;
  /** Receive what the worker posts. Returns an unsubscribe function. */
  on(listener: (message: unknown) => void): () => void;
  /**
   * Be told the worker is broken or gone, with a reason (an uncaught error, a message that could
   * not be deserialized, an exit). Core treats every report as fatal and terminates the worker.
   * Returns an unsubscribe function.
   */
  onError(listener: (reason: string) => void): () => void;
  /** Stop the worker hard. May resolve once it is gone (Node), or return at once (Web Workers). */
  terminate(): void | Promise<unknown>;
}

/** One started worker, as the pool keeps it. */
export interface WorkerLink {
  /** The RPC pipe to the worker (core's worker wire); `close` terminates the worker. */
  readonly transport: Transport;
  /** What the host started. */
  readonly endpoint: WorkerEndpoint;
  /** True once the worker reported an error or exit, or was terminated. */
  readonly exited: boolean;
  /** Terminate the worker (once, however often called); resolves when the host says it is gone. */
  terminate(): Promise<void>;
}

/** Wrap an endpoint: core's wire on top, and the one end described in the module comment. */
export function createWorkerLink(endpoint: WorkerEndpoint): WorkerLink {
  const closeListeners = new Set<(reason: string) => void>();
  let ended: Promise<void> | null = null;
  let exited = false;
  const end = (reason: string): Promise<void> => {
    if (ended) return ended;
    exited = true;
    offError();
    let terminated: void | Promise<unknown>;
    try {
      terminated = endpoint.terminate(); // at once: this may be the hard kill of a stuck call
    } catch {
      terminated = undefined;
    }
    ended = Promise.resolve(terminated).then(
      () => undefined,
      () => undefined,
    );
    for (const listener of [...closeListeners]) listener(reason);
    closeListeners.clear();
    return ended;
  };
  const offError = endpoint.onError((reason) => void end(reason));
  const transport: Transport = {
    post: (message, hints) => {
      if (!exited) endpoint.postMessage(writeWorkerMessage(message, hints));
    },
    on: (listener) => endpoint.on((message) => readWorkerMessage(message, listener)),
    onClose(listener) {
      if (exited) {
        queueMicrotask(() => listener('the worker had already stopped'));
        return () => undefined;
      }
      closeListeners.add(listener);
      return () => closeListeners.delete(listener);
    },
    close: () => end('terminated by the host'),
  };
  return {
    transport,
    endpoint,
    get exited() {
      return exited;
    },
    terminate: () => end('terminated by the host'),
  };
}
