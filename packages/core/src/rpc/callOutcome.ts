/**
 * @module callOutcome
 * How a client's call settles: its result as the caller asked for it, the error of a call its
 * caller aborted, and the marker of a call that never ran because its worker was replaced.
 */
import { CorralError, type ErrorCode, type RpcOp, type RpcResult } from '@corral/contracts';
import { JsonText } from './transport.js';

/** How one call is made: its caller's signal, and whether it wants the result as JSON text. */
export interface CallHow {
  signal?: AbortSignal;
  json?: boolean;
}

/**
 * A call that waited behind the one its worker was killed for (or died running): it never
 * started, so the client sends it again. A caller sees it only once the resends run out.
 */
export class Displaced extends CorralError {
  constructor(reason: string) {
    super('WORKER_CRASHED', `The worker was replaced before this call ran: ${reason}`, { reason });
  }
}

export function isCode(error: unknown, code: ErrorCode): boolean {
  return error instanceof CorralError && error.code === code;
}

/** The error of a call its caller aborted. */
export function cancelled(op: RpcOp, signal: AbortSignal, recycled: boolean): CorralError {
  const reason: unknown = signal.reason;
  const why = reason instanceof Error ? reason.message : typeof reason === 'string' ? reason : null;
  return new CorralError('CANCELLED', `The ${op} call was cancelled by its caller${why ? `: ${why}` : ''}`, {
    op,
    recycled,
    ...(why ? { reason: why } : {}),
  });
}

/** `promise`, unless `signal` fires first: then CANCELLED (nothing was sent yet). */
export function abortable<T>(promise: Promise<T>, op: RpcOp, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(cancelled(op, signal, false));
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error as Error);
      },
    );
  });
}

/** A result as the caller asked for it: its value, or its JSON text. */
export function resultOf(result: RpcResult | JsonText | undefined, json: boolean): RpcResult | string {
  if (result instanceof JsonText) {
    if (json) return result.text;
    return (result.value ?? JSON.parse(result.text)) as RpcResult;
  }
  return json ? JSON.stringify(result) : (result as RpcResult);
}
