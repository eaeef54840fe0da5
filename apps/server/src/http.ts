/**
 * @module http
 * How every answer leaves the server: JSON only, errors as `{ "error": { code, message,
 * details? } }`, the status taken from the contract's code table, `Retry-After` on retryable
 * refusals, and plugin ids written back as the caller knows them.
 */
import type { Response } from 'express';
import {
  CorralError,
  ERROR_CODES,
  type ErrorCode,
  type RpcResponse,
  type RuntimeError,
} from '@corral/contracts';

/** Sandbox id → caller id, applied to the serialized text (sandbox ids are `c-` + 64 hex). */
export type Rename = { from: string; to: string } | null;

/** HTTP status for an error code: the contract's table. */
export function statusOf(code: ErrorCode): number {
  return ERROR_CODES[code].httpStatus;
}

/** Serialize once, rename once. */
export function toJson(value: unknown, rename: Rename = null): string {
  return renamed(JSON.stringify(value), rename);
}

/** A contract response as JSON: with a passed-through result text, byte for byte what `toJson` gives. */
export function responseJson(
  response: RpcResponse,
  resultJson: string | null,
  rename: Rename = null,
): string {
  if (resultJson === null || !response.ok) return toJson(response, rename);
  return renamed(`{"id":${JSON.stringify(response.id)},"ok":true,"result":${resultJson}}`, rename);
}

function renamed(text: string, rename: Rename): string {
  return rename ? text.replaceAll(rename.from, JSON.stringify(rename.to).slice(1, -1)) : text;
}

/** Send JSON text as the body. */
export function sendJsonText(res: Response, status: number, text: string, rename: Rename = null): void {
  res.status(status).type('application/json').send(renamed(text, rename));
}

/** Send a JSON body. */
export function sendJson(res: Response, status: number, value: unknown, rename: Rename = null): void {
  res.status(status).type('application/json').send(toJson(value, rename));
}

/** Seconds a client should wait before retrying a refusal with this code, if any. */
export function retryAfterOf(error: RuntimeError): number | null {
  const hinted = error.details?.retryAfterSeconds;
  if (typeof hinted === 'number' && hinted > 0) return Math.ceil(hinted);
  return error.code === 'OVERLOADED' || error.code === 'WORKER_CRASHED' ? 1 : null;
}

/**
 * Send a contract error. `status` overrides the table only for refusals of the HTTP request
 * itself (no such route 404, body too large 413, wrong media type 415), which all carry
 * INVALID_REQUEST: the closed code table has no code of their own.
 */
export function sendError(
  res: Response,
  error: CorralError | RuntimeError,
  status?: number,
  rename: Rename = null,
): void {
  const wire = error instanceof CorralError ? error.toWire() : error;
  const retryAfter = retryAfterOf(wire);
  if (retryAfter !== null) res.setHeader('retry-after', String(retryAfter));
  res.locals.errorCode = wire.code;
  sendJson(res, status ?? statusOf(wire.code), { error: wire }, rename);
}

/** An INVALID_REQUEST naming the offending JSON path, the way the contract validators do. */
export function invalidRequest(path: string, issue: string): CorralError {
  return new CorralError('INVALID_REQUEST', `Invalid request: ${path || '/'}: ${issue}`, { path, issue });
}
