/**
 * @module middleware/access
 * Who is calling and how often: the tenant behind an API key (compared by SHA-256 digest, so no
 * key is held or logged in the clear), the per-key (or per-address) rate limit, and the 401 for
 * a request without a valid key when keys are configured. Probes and `/` need no key.
 */
import { createHash } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import { ipKeyGenerator, rateLimit, type Store } from 'express-rate-limit';
import { CorralError } from '@corral/contracts';
import type { ServerConfig } from '../config.js';
import { sendError } from '../http.js';

const UNAUTHENTICATED_PATHS = new Set(['/', '/healthz', '/readyz']);

/**
 * The middleware, in order: tenant, rate limit (when on), key check. `store` holds the rate
 * limit's counters (default: express-rate-limit's memory store, per process).
 */
export function access(config: ServerConfig, store?: Store): RequestHandler[] {
  const keys = new Map(config.apiKeys.map((key) => [sha256(key), `key-${sha256(key).slice(0, 16)}`]));
  const tenant: RequestHandler = (req, res, next) => {
    const presented = presentedKey(req);
    res.locals.tenant =
      keys.size === 0 ? 'public' : presented === null ? null : (keys.get(sha256(presented)) ?? null);
    next();
  };
  const guard: RequestHandler = (req, res, next) => {
    if (keys.size === 0 || res.locals.tenant || UNAUTHENTICATED_PATHS.has(req.path)) return next();
    res.setHeader('www-authenticate', 'Bearer realm="corral"');
    const message =
      presentedKey(req) === null
        ? 'An API key is required: send `authorization: Bearer <key>` or `x-api-key: <key>`'
        : 'The API key is not valid';
    sendError(res, new CorralError('UNAUTHORIZED', message));
  };
  const limited = config.rateLimitMax > 0 ? [rateLimiter(config, keys.size > 0, store)] : [];
  return [tenant, ...limited, guard];
}

function rateLimiter(config: ServerConfig, keyed: boolean, store?: Store): RequestHandler {
  const { rateLimitMax: limit, rateLimitWindowMs: windowMs } = config;
  return rateLimit({
    ...(store ? { store } : {}),
    // A shared store that cannot answer lets the request through (sharedRateLimit.ts logs it).
    passOnStoreError: true,
    windowMs,
    limit,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    skip: (req) => UNAUTHENTICATED_PATHS.has(req.path),
    keyGenerator: (req, res) =>
      keyed && res.locals.tenant ? `key:${res.locals.tenant}` : `ip:${ipKeyGenerator(req.ip ?? '')}`,
    handler(req, res) {
      const reset = (req as Request & { rateLimit?: { resetTime?: Date } }).rateLimit?.resetTime;
      const seconds = reset ? Math.max(1, Math.ceil((reset.getTime() - Date.now()) / 1000)) : 1;
      const details = { limit, windowMs, retryAfterSeconds: seconds };
      sendError(
        res,
        new CorralError('RATE_LIMITED', `More than ${limit} requests in ${windowMs} ms`, details),
      );
    },
    validate: { xForwardedForHeader: false },
  });
}

function presentedKey(req: Request): string | null {
  const auth = req.headers.authorization;
  const bearer = typeof auth === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(auth)?.[1] : undefined;
  if (bearer) return bearer;
  const key = req.headers['x-api-key'];
  return typeof key === 'string' && key !== '' ? key : null;
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
