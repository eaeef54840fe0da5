/**
 * @module middleware/requestLog
 * The first middleware: counts the request (for the drain), gives it an id, times it for the
 * metrics and writes one short log line when it ends — no headers (they carry keys), no bodies
 * (they carry state). One listener rather than pino-http, whose per-request child logger and
 * serializers cost more than the rest of this middleware together (profiled).
 */
import { randomUUID } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import type { Logger } from 'pino';
import type { Activity } from '../drain.js';
import type { ServerMetrics } from '../metrics.js';
import { routeOf } from '../routes/routeTable.js';

export interface RequestLogOptions {
  logger: Logger;
  metrics: ServerMetrics;
  activity: Activity;
}

/** Probes and scrapes are not logged. */
const UNLOGGED_PATHS = new Set(['/healthz', '/readyz', '/metrics']);
/** A request id taken from the caller must be a safe token. */
const REQUEST_ID = /^[\w.:-]{1,128}$/;

export function requestLog({ logger, metrics, activity }: RequestLogOptions): RequestHandler {
  return (req, res, next) => {
    const started = performance.now();
    activity.begin();
    const given = req.headers['x-request-id'];
    const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    res.setHeader('x-request-id', id);
    res.locals.requestId = id;
    const matched = routeOf(req.path);
    const remoteAddress = req.socket.remoteAddress; // gone once the socket is closed
    res.once('close', () => {
      activity.end();
      const ms = performance.now() - started;
      // A handler may name its route more precisely (the playground's pages and assets).
      const route = (res.locals.route as string | undefined) ?? matched ?? 'unmatched';
      metrics.http(req.method, route, res.statusCode, ms / 1000);
      if (UNLOGGED_PATHS.has(req.url)) return;
      const status = res.statusCode;
      const level = !res.writableFinished || status >= 500 ? 'error' : status >= 400 ? 'warn' : 'info';
      if (!logger.isLevelEnabled(level)) return;
      const code = res.locals.errorCode as unknown;
      logger[level](
        {
          req: requestLine(req, id, remoteAddress),
          res: { statusCode: status },
          responseTime: Math.round(ms),
          ...(code ? { code } : {}),
        },
        res.writableFinished ? 'request completed' : 'request aborted',
      );
    });
    next();
  };
}

/** What a log line says about a request. */
export function requestLine(req: Request, id: string, remoteAddress: string | undefined) {
  return { id, method: req.method, url: req.originalUrl, remoteAddress };
}
