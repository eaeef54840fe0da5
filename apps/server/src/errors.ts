/**
 * @module errors
 * The last two handlers: a JSON 404 for what no route matched, and the error handler that maps
 * whatever reached it (body-parser's errors included) to a contract error — defects become a
 * generic `500 INTERNAL` and go to the log with the request id, never to the caller.
 */
import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from 'pino';
import { CorralError } from '@corral/contracts';
import { invalidRequest, sendError } from './http.js';
import { INVALID_UTF8, NOT_UTF8 } from './middleware/jsonBody.js';
import { requestLine } from './middleware/requestLog.js';

export const notFound: RequestHandler = (req, res) => {
  sendError(res, invalidRequest('', `no route ${req.method} ${req.path.slice(0, 200)}`), 404);
};

export function errorHandler({
  logger,
  maxBodyBytes,
}: {
  logger: Logger;
  maxBodyBytes: number;
}): ErrorRequestHandler {
  const handler: ErrorRequestHandler = (error: unknown, req, res, _next) => {
    if (res.headersSent) return void res.destroy();
    const { status, error: corral } = fromHttpError(error, maxBodyBytes);
    if (corral.code === 'INTERNAL') {
      const line = requestLine(req, String(res.locals.requestId), req.socket.remoteAddress);
      logger.error({ req: line, err: error }, 'request failed with a defect');
    }
    sendError(res, corral, status);
  };
  return handler;
}

interface HttpErrorLike {
  type?: unknown;
  status?: unknown;
  expose?: unknown;
  message?: unknown;
}

/** Map whatever reached the error handler to a status and a code. */
function fromHttpError(error: unknown, maxBodyBytes: number): { status?: number; error: CorralError } {
  if (error instanceof CorralError) return { error };
  const e = (typeof error === 'object' && error !== null ? error : {}) as HttpErrorLike;
  switch (e.type) {
    case 'entity.too.large': {
      const details = { path: '', issue: 'body too large', limitBytes: maxBodyBytes };
      const message = `The body is larger than ${maxBodyBytes} bytes`;
      return { status: 413, error: new CorralError('INVALID_REQUEST', message, details) };
    }
    case 'entity.parse.failed':
      return { status: 400, error: invalidRequest('', `must be valid JSON (${String(e.message)})`) };
    case INVALID_UTF8:
      return { status: 400, error: invalidRequest('', String(e.message)) };
    case 'encoding.unsupported':
    case NOT_UTF8:
      return { status: 415, error: invalidRequest('', String(e.message)) };
  }
  const status = typeof e.status === 'number' ? e.status : 500;
  if (status >= 400 && status < 500) {
    const issue = e.expose === true ? String(e.message) : 'the request could not be read';
    return { status, error: invalidRequest('', issue) };
  }
  return { error: new CorralError('INTERNAL', 'Internal error; the request id is in the logs') };
}
