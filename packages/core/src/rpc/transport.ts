/**
 * @module transport
 * The one thing core needs from a host to talk across a boundary: a postMessage-like pipe.
 * Adapters implement it over a Worker, a worker_threads port, or HTTP.
 */

/** A message pipe. Messages are structured-clonable plain objects (contract RPC values). */
export interface Transport {
  /** Send a message to the other side. */
  post(message: unknown): void;
  /** Receive messages from the other side. Returns an unsubscribe function. */
  on(listener: (message: unknown) => void): () => void;
  /**
   * Be told when the other side is gone for good (worker exited or crashed). Optional: an
   * in-process pipe never dies.
   */
  onClose?(listener: (reason: string) => void): () => void;
  /** Tear the pipe (and whatever runs behind it) down. */
  close?(): void | Promise<void>;
}

/**
 * Two connected in-process transports. Messages are delivered asynchronously (a microtask
 * later) and structured-cloned, exactly like a worker boundary, so a suite that passes over
 * this pipe makes no assumption a real worker would break.
 */
export function createInProcessTransportPair(): [Transport, Transport] {
  const listeners: [Set<(m: unknown) => void>, Set<(m: unknown) => void>] = [new Set(), new Set()];
  const closeListeners: [Set<(r: string) => void>, Set<(r: string) => void>] = [new Set(), new Set()];
  let closed = false;
  const side = (mine: 0 | 1): Transport => {
    const theirs = mine === 0 ? 1 : 0;
    return {
      post(message) {
        if (closed) return;
        const copy = structuredClone(message);
        queueMicrotask(() => {
          if (closed) return;
          for (const listener of listeners[theirs]) listener(copy);
        });
      },
      on(listener) {
        listeners[mine].add(listener);
        return () => listeners[mine].delete(listener);
      },
      onClose(listener) {
        closeListeners[mine].add(listener);
        return () => closeListeners[mine].delete(listener);
      },
      close() {
        if (closed) return;
        closed = true;
        for (const set of closeListeners) for (const listener of set) listener('closed');
      },
    };
  };
  return [side(0), side(1)];
}
