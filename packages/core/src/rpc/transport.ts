/**
 * @module transport
 * The one thing core needs from a host to talk across a boundary: a postMessage-like pipe.
 * Adapters implement it over a Worker, a worker_threads port, or HTTP.
 */
import { CorralError } from '@corral/contracts';
import { deferredTreeCheck, resultJson } from '../runtime/resultJson.js';
import { checkRenderTree, isTreeCheck } from '../runtime/treeCheck.js';

/** What a client tells its transport about a request, beside the request itself. */
export interface PostHints {
  /**
   * The caller takes the result as JSON text, unparsed (`callJson`): a wire that leaves a check
   * to its receiving end, because that end parses the result anyway, should check before
   * sending instead (see `writeWorkerMessage`).
   */
  json?: boolean;
  /** The request's states already passed `checkStates` (the client checks every call's). */
  statesChecked?: boolean;
}

/** A message pipe. Messages are structured-clonable plain objects (contract RPC values). */
export interface Transport {
  /** Send a message to the other side. Transports may ignore `hints`. */
  post(message: unknown, hints?: PostHints): void;
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
  /** `value`: the text parsed, when the transport had to parse it anyway. */
  constructor(
    readonly text: string,
    readonly value?: unknown,
  ) {}
}

/** How a successful response with a numeric id starts; its result follows, then the closing brace. */
const SUCCESS = /^\{"id":(-?\d+),"ok":true,"result":/;
/** How one starts whose render tree its receiver must check (see `treeCheck`). */
const UNCHECKED = /^\{"id":(-?\d+),"ok":true,"check":/;

/**
 * Outbound messages as text, one string each, for transports that send replies as JSON text (a
 * worker's replies: cheaper than structured-cloning them). The text is exactly
 * `JSON.stringify(message)`; a successful response is written so that `decodeOutbound` can take
 * its result without parsing it.
 */
export function encodeOutbound(message: unknown): string {
  const m = message as { id?: unknown; ok?: unknown; result?: unknown };
  if (m?.ok === true && Number.isSafeInteger(m.id) && Object.keys(m).length === 3 && 'result' in m) {
    const check = deferredTreeCheck(m.result);
    const result = resultJson(m.result) ?? (JSON.stringify(m.result) as string | undefined);
    if (result !== undefined && check)
      return `{"id":${m.id as number},"ok":true,"check":${JSON.stringify(check)},"result":${result}}`;
    if (result !== undefined) return `{"id":${m.id as number},"ok":true,"result":${result}}`;
  }
  return JSON.stringify(message);
}

/**
 * A response whose render tree was left for this end to check: parsed (which the caller needs
 * anyway), checked, and passed on as a `JsonText` that carries both the text and the value, or
 * as the error the check raised (`checkFailed` set, so the wire can correct the call's
 * diagnostic).
 */
function readUnchecked(text: string, id: number): unknown {
  let message: { check?: unknown; result?: { tree?: unknown } };
  try {
    message = JSON.parse(text) as typeof message;
  } catch {
    message = {};
  }
  const check = message.check;
  if (!isTreeCheck(check) || typeof message.result !== 'object' || message.result === null) {
    const error = new CorralError('INTERNAL', 'The worker sent a malformed render result');
    return { id, ok: false, error: error.toWire() };
  }
  try {
    message.result.tree = checkRenderTree(message.result.tree, check);
  } catch (error) {
    return { id, ok: false, error: CorralError.fromUnknown(error).toWire(), checkFailed: true };
  }
  const head = `{"id":${id},"ok":true,"check":${JSON.stringify(check)},"result":`.length;
  return { id, ok: true, result: new JsonText(text.slice(head, -1), message.result) };
}

/**
 * The inverse of `encodeOutbound`: a successful response comes back with a `JsonText` result (its
 * text sliced out, not parsed); everything else is parsed. Only the very start of the text is
 * matched, so nothing inside a result or an error's details can be mistaken for it.
 */
export function decodeOutbound(text: string): unknown {
  const head = SUCCESS.exec(text);
  if (head) return { id: Number(head[1]), ok: true, result: new JsonText(text.slice(head[0].length, -1)) };
  const unchecked = UNCHECKED.exec(text);
  if (unchecked) return readUnchecked(text, Number(unchecked[1]));
  return JSON.parse(text) as unknown;
}
