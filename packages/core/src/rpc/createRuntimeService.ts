/**
 * @module createRuntimeService
 * Answers contract RPC requests arriving on a transport with a runtime. Every inbound message
 * is checked: the envelope here, the params by the runtime with the contract's validators.
 * Anything malformed gets an INVALID_REQUEST response; nothing a client sends can crash it.
 */
import {
  CorralError,
  checkJsonBounds,
  type RpcRequest,
  type RpcResponse,
  type RpcOp,
} from '@corral/contracts';
import type { CallOptions, Runtime } from '../runtime/createRuntime.js';
import type { Transport } from './transport.js';

const OPS: ReadonlySet<string> = new Set<RpcOp>(['loadPlugin', 'render', 'event', 'disposePlugin', 'health']);

/** A running service. */
export interface RuntimeService {
  /** Stop answering (the runtime itself stays the caller's to dispose). */
  close(): void;
  /**
   * Take back request `id` if it has not reached the service yet: it will be dropped unanswered
   * and never run. Returns false when it already arrived (it runs, or ran, to its answer). Ids
   * are a client's increasing numbers, as core's client sends them.
   */
  cancel(id: number): boolean;
}

/**
 * Check the envelope `{ id, op, params }`; the runtime validates params against the op's
 * schema. Returns the request or a ready error response.
 */
export function readRequest(message: unknown): RpcRequest | RpcResponse {
  const raw = (typeof message === 'object' && message !== null ? message : {}) as Record<string, unknown>;
  const id = typeof raw.id === 'number' || typeof raw.id === 'string' ? raw.id : null;
  const invalid = (path: string, issue: string): RpcResponse => ({
    id,
    ok: false,
    error: new CorralError('INVALID_REQUEST', `Invalid request: ${path || '/'}: ${issue}`, {
      path,
      issue,
    }).toWire(),
  });
  if (typeof message !== 'object' || message === null || Array.isArray(message))
    return invalid('', 'must be object');
  if (id === null) return invalid('/id', 'must be a number or a string');
  if (typeof raw.op !== 'string' || !OPS.has(raw.op))
    return invalid('/op', `must be one of ${[...OPS].join(', ')}`);
  if (typeof raw.params !== 'object' || raw.params === null || Array.isArray(raw.params)) {
    return invalid('/params', 'must be object');
  }
  const extra = Object.keys(raw).find((k) => k !== 'id' && k !== 'op' && k !== 'params');
  if (extra !== undefined) return invalid('', `must NOT have additional properties ('${extra}')`);
  // A render or event's states are left to the runtime, which answers what JSON cannot carry
  // there with INVALID_STATE, as every host does (see checkStates).
  const params = raw.params as Record<string, unknown>;
  const call = raw.op === 'render' || raw.op === 'event';
  const bounds = checkJsonBounds(call ? { ...params, pluginState: null, globalState: null } : params);
  if (bounds) return invalid(`/params${bounds.path}`, bounds.message);
  return raw as unknown as RpcRequest;
}

/** Run one request against a runtime and produce its response; never throws. */
export async function answer(
  runtime: Runtime,
  message: unknown,
  options?: CallOptions,
): Promise<RpcResponse> {
  const request = readRequest(message);
  if ('ok' in request) return request;
  try {
    return { id: request.id, ok: true, result: await runtime.execute(request, options) };
  } catch (error) {
    return { id: request.id, ok: false, error: CorralError.fromUnknown(error).toWire() };
  }
}

/**
 * Serve `runtime` on `transport`. `options` says how to deliver each request's result: a
 * transport whose other end checks render trees itself (core's worker wire) asks for
 * `deferTreeCheck`.
 */
export function createRuntimeService(
  runtime: Runtime,
  transport: Transport,
  options?: (message: unknown) => CallOptions,
): RuntimeService {
  const offNotify = runtime.onNotification((notification) => transport.post(notification));
  /** The highest numeric request id that arrived; ids above it have not. */
  let highest = Number.NEGATIVE_INFINITY;
  const dropped = new Set<number>();
  const offMessage = transport.on((message) => {
    const id = (message as { id?: unknown } | null)?.id;
    if (typeof id === 'number') {
      highest = Math.max(highest, id);
      if (dropped.delete(id)) return;
    }
    void answer(runtime, message, options?.(message)).then((response) => transport.post(response));
  });
  return {
    close() {
      offNotify();
      offMessage();
    },
    cancel(id) {
      if (id <= highest) return false;
      dropped.add(id);
      return true;
    },
  };
}
