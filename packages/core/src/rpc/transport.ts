/**
 * @module transport
 * The one thing core needs from a host to talk across a boundary: a postMessage-like pipe.
 * Adapters implement it over a Worker, a worker_threads port, or HTTP.
 */
import { resultJson } from '../runtime/resultJson.js';

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

/**
 * The JSON text of a call's successful result, left unparsed by the transport that received it.
 * The client parses it for callers that want the value, and hands the text over as is to those
 * that only forward JSON (`callJson`: the HTTP server writes it into the response body).
 */
export class JsonText {
  constructor(readonly text: string) {}
}

/** How a successful response with a numeric id starts; its result follows, then the closing brace. */
const SUCCESS = /^\{"id":(-?\d+),"ok":true,"result":/;

/**
 * Outbound messages as text, one string each, for transports that send replies as JSON text (a
 * worker's replies: cheaper than structured-cloning them). The text is exactly
 * `JSON.stringify(message)`; a successful response is written so that `decodeOutbound` can take
 * its result without parsing it.
 */
export function encodeOutbound(message: unknown): string {
  const m = message as { id?: unknown; ok?: unknown; result?: unknown };
  if (m?.ok === true && Number.isSafeInteger(m.id) && Object.keys(m).length === 3 && 'result' in m) {
    const result = resultJson(m.result) ?? (JSON.stringify(m.result) as string | undefined);
    if (result !== undefined) return `{"id":${m.id as number},"ok":true,"result":${result}}`;
  }
  return JSON.stringify(message);
}

/**
 * The inverse of `encodeOutbound`: a successful response comes back with a `JsonText` result (its
 * text sliced out, not parsed); everything else is parsed. Only the very start of the text is
 * matched, so nothing inside a result or an error's details can be mistaken for it.
 */
export function decodeOutbound(text: string): unknown {
  const head = SUCCESS.exec(text);
  if (head) return { id: Number(head[1]), ok: true, result: new JsonText(text.slice(head[0].length, -1)) };
  return JSON.parse(text) as unknown;
}
