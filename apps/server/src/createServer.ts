/**
 * @module createServer
 * The Express 5 app: middleware (request id + logs, helmet, CORS, drain guard, API keys, rate
 * limit, JSON-only bodies), the REST routes and `/v1/rpc` over one PluginHost, health and
 * metrics, JSON 404 and error handlers, and a graceful `close()` (stop accepting, drain what is
 * in flight, close the sandbox).
 */
import { createHash, randomUUID } from 'node:crypto';
import { createServer as createHttpServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import cors from 'cors';
import helmet from 'helmet';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import { pino, type Logger } from 'pino';
import { CorralError } from '@corral/contracts';
import { RPC_STREAM_TYPE } from '@corral/core';
import { loadConfig, type ServerConfig } from './config.js';
import {
  invalidRequest,
  responseJson,
  retryAfterOf,
  sendError,
  sendJson,
  sendJsonText,
  statusOf,
  toJson,
} from './http.js';
import { createMetrics, type ServerMetrics } from './metrics.js';
import { contentPluginId } from './pluginCache.js';
import { createPluginHost, type Exchange, type PluginHost } from './pluginHost.js';
import { createServerSandbox, type SandboxFactory, type ServerSandbox } from './sandbox.js';

export interface CreateServerOptions {
  /** Where plugins run (default: `@corral/worker-node`'s pool). */
  createSandbox?: SandboxFactory;
  /** A pino logger (default: one at `config.logLevel` on stdout). */
  logger?: Logger;
}

export interface CorralServer {
  /** The Express app (routes answer 503 until `start()` has booted the sandbox). */
  app: Express;
  /** The metrics registry. */
  metrics: ServerMetrics;
  /** Boot the workers, then listen. Resolves with the URL the server answers on. */
  start(): Promise<{ url: string }>;
  /** Stop accepting, let in-flight requests finish (up to `drainTimeoutMs`), close the sandbox. */
  close(): Promise<void>;
}

/** Requests in one `/v1/rpc` batch. */
const MAX_BATCH = 8;
const UNAUTHENTICATED_PATHS = new Set(['/', '/healthz', '/readyz']);
/** Probes and scrapes are not logged. */
const UNLOGGED_PATHS = new Set(['/healthz', '/readyz', '/metrics']);
/** A request id taken from the caller must be a safe token. */
const REQUEST_ID = /^[\w.:-]{1,128}$/;

export function createServer(
  config: ServerConfig = loadConfig(),
  options: CreateServerOptions = {},
): CorralServer {
  const logger =
    options.logger ??
    pino({ level: config.logLevel, redact: ['req.headers.authorization', 'req.headers["x-api-key"]'] });
  const keys = new Map(config.apiKeys.map((key) => [sha256(key), `key-${sha256(key).slice(0, 16)}`]));
  let sandbox: ServerSandbox | null = null;
  let quarantine: ServerSandbox | null = null;
  let host: PluginHost | null = null;
  let httpServer: Server | null = null;
  let draining = false;
  let closing: Promise<void> | null = null;
  let active = 0;
  let lastActivity = 0;

  const metrics = createMetrics({
    loadedPlugins: () => host?.loaded() ?? 0,
    quarantinedPlugins: () => host?.quarantined() ?? 0,
    inFlight: () => host?.inFlight() ?? 0,
    workerRestarts: () => (sandbox?.restarts() ?? 0) + (quarantine?.restarts() ?? 0),
    workerQueueDepth: () => (sandbox?.queueDepth() ?? 0) + (quarantine?.queueDepth() ?? 0),
  });

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('trust proxy', config.trustProxy);

  // Count every request (for the drain), give it an id, time it (metrics) and log one short
  // line when it ends: no headers (they carry keys), no bodies (they carry state). Done here in
  // one listener rather than with pino-http, whose per-request child logger and serializers
  // cost more than the rest of this middleware together (profiled).
  app.use((req, res, next) => {
    const started = performance.now();
    lastActivity = started;
    active++;
    const given = req.headers['x-request-id'];
    const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    res.setHeader('x-request-id', id);
    res.locals.requestId = id;
    const remoteAddress = req.socket.remoteAddress; // gone once the socket is closed
    res.once('close', () => {
      active--;
      const ended = performance.now();
      lastActivity = ended;
      const route = req.route ? `${req.baseUrl}${String(req.route.path)}` : 'unmatched';
      metrics.http(req.method, route, res.statusCode, (ended - started) / 1000);
      if (UNLOGGED_PATHS.has(req.url)) return;
      const status = res.statusCode;
      const level = !res.writableFinished || status >= 500 ? 'error' : status >= 400 ? 'warn' : 'info';
      if (!logger.isLevelEnabled(level)) return;
      const code = res.locals.errorCode as unknown;
      logger[level](
        {
          req: requestLine(req, id, remoteAddress),
          res: { statusCode: status },
          responseTime: Math.round(ended - started),
          ...(code ? { code } : {}),
        },
        res.writableFinished ? 'request completed' : 'request aborted',
      );
    });
    next();
  });
  // helmet's headers do not depend on the request: computed once by helmet, then set as is.
  const securityHeaders = headersOf(
    helmet({
      contentSecurityPolicy: {
        useDefaults: true,
        directives: { 'script-src': ["'self'", "'wasm-unsafe-eval'"], 'worker-src': ["'self'"] },
      },
    }),
  );
  app.use((_req, res, next) => {
    for (const [name, value] of securityHeaders) res.setHeader(name, value);
    next();
  });
  if (config.corsOrigins.length > 0) {
    app.use(
      cors({
        origin: config.corsOrigins.includes('*') ? '*' : config.corsOrigins,
        methods: ['GET', 'POST', 'DELETE'],
        allowedHeaders: [
          'content-type',
          'accept',
          'authorization',
          'x-api-key',
          'x-request-id',
          'x-corral-plugin',
        ],
        exposedHeaders: ['retry-after', 'x-request-id', 'location', 'ratelimit', 'ratelimit-policy'],
        maxAge: 600,
      }),
    );
  }
  // Refuse work until the workers are booted. While draining, requests on connections already
  // open are still served, each told `connection: close` so clients move to another replica.
  app.use((req, res, next) => {
    if (draining) res.setHeader('connection', 'close');
    if (req.path === '/healthz' || host) return next();
    sendError(res, new CorralError('OVERLOADED', 'The server is starting', { retryAfterSeconds: 1 }));
  });

  app.get('/', (_req, res) => {
    sendJson(res, 200, {
      service: 'corral',
      routes: [
        'POST /v1/plugins',
        'POST /v1/plugins/:pluginId/render',
        'POST /v1/plugins/:pluginId/events',
        'DELETE /v1/plugins/:pluginId',
        'POST /v1/rpc',
        'GET /healthz',
        'GET /readyz',
        'GET /metrics',
      ],
    });
  });
  app.get('/healthz', (_req, res) => sendJson(res, 200, { status: 'ok' }));
  // Ready = the workers booted (start() resolved) and not draining. Deliberately no call into
  // the workers: under load a health call would queue behind plugin calls, and a balancer that
  // then pulled a busy replica would only push its load onto the others. Back-pressure is the
  // 503 of the bounded queue; dead workers are replaced by their supervisor.
  app.get('/readyz', (_req, res) => {
    if (draining) {
      return sendError(
        res,
        new CorralError('OVERLOADED', 'The server is shutting down', { retryAfterSeconds: 1 }),
      );
    }
    sendJson(res, 200, {
      status: 'ready',
      engine: config.engine,
      poolSize: config.poolSize,
      plugins: host!.loaded(),
      inFlight: host!.inFlight(),
      maxQueue: config.maxQueue,
    });
  });

  // --- who is calling -------------------------------------------------------------------------
  app.use((req, res, next) => {
    const presented = presentedKey(req);
    res.locals.tenant =
      keys.size === 0 ? 'public' : presented === null ? null : (keys.get(sha256(presented)) ?? null);
    next();
  });
  if (config.rateLimitMax > 0) {
    app.use(
      rateLimit({
        windowMs: config.rateLimitWindowMs,
        limit: config.rateLimitMax,
        standardHeaders: 'draft-8',
        legacyHeaders: false,
        skip: (req) => UNAUTHENTICATED_PATHS.has(req.path),
        keyGenerator: (req, res) =>
          keys.size > 0 && res.locals.tenant
            ? `key:${res.locals.tenant}`
            : `ip:${ipKeyGenerator(req.ip ?? '')}`,
        handler(req, res) {
          const reset = (req as Request & { rateLimit?: { resetTime?: Date } }).rateLimit?.resetTime;
          const seconds = reset ? Math.max(1, Math.ceil((reset.getTime() - Date.now()) / 1000)) : 1;
          sendError(
            res,
            new CorralError(
              'RATE_LIMITED',
              `More than ${config.rateLimitMax} requests in ${config.rateLimitWindowMs} ms`,
              {
                limit: config.rateLimitMax,
                windowMs: config.rateLimitWindowMs,
                retryAfterSeconds: seconds,
              },
            ),
          );
        },
        validate: { xForwardedForHeader: false },
      }),
    );
  }
  app.use((req, res, next) => {
    if (keys.size === 0 || res.locals.tenant || UNAUTHENTICATED_PATHS.has(req.path)) return next();
    res.setHeader('www-authenticate', 'Bearer realm="corral"');
    const message =
      presentedKey(req) === null
        ? 'An API key is required: send `authorization: Bearer <key>` or `x-api-key: <key>`'
        : 'The API key is not valid';
    sendError(res, new CorralError('UNAUTHORIZED', message));
  });

  app.get('/metrics', async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });

  // --- the API --------------------------------------------------------------------------------
  const v1 = express.Router();
  v1.use((req, res, next) => {
    if (req.method !== 'POST' || req.is('application/json')) return next();
    const type = req.headers['content-type'];
    sendError(
      res,
      invalidRequest('', `the body must be application/json, not ${type ? `'${type}'` : 'missing'}`),
      415,
    );
  });
  v1.use(express.json({ limit: config.maxBodyBytes, strict: true, type: 'application/json' }));

  const tenantOf = (res: Response) => res.locals.tenant as string;
  const execute = (res: Response, message: unknown, collect = false) =>
    host!.execute(tenantOf(res), message, { collect });

  v1.post('/plugins', async (req, res) => {
    const body = objectBody(req);
    const extra = Object.keys(body).find((key) => key !== 'code' && key !== 'profile');
    if (extra !== undefined) throw invalidRequest('', `must NOT have additional properties ('${extra}')`);
    const pluginId =
      typeof body.code === 'string'
        ? contentPluginId(body.code, typeof body.profile === 'string' ? body.profile : undefined)
        : 'sha256-';
    const exchange = await execute(res, { id: 0, op: 'loadPlugin', params: { pluginId, ...body } });
    if (exchange.response.ok) res.setHeader('location', `/v1/plugins/${pluginId}`);
    reply(res, exchange, 201);
  });
  v1.post('/plugins/:pluginId/render', async (req, res) => {
    const params = { ...paramsBody(req), pluginId: req.params.pluginId };
    reply(res, await execute(res, { id: 0, op: 'render', params }), 200);
  });
  v1.post('/plugins/:pluginId/events', async (req, res) => {
    const params = { ...paramsBody(req), pluginId: req.params.pluginId };
    reply(res, await execute(res, { id: 0, op: 'event', params }), 200);
  });
  v1.delete('/plugins/:pluginId', async (req, res) => {
    reply(
      res,
      await execute(res, { id: 0, op: 'disposePlugin', params: { pluginId: req.params.pluginId } }),
      204,
    );
  });
  // One contract request in, the contract response out; the status is the code table's. A
  // client that accepts NDJSON also gets the notifications the call produced, first, exactly as
  // a worker posts them. An array is a batch, run in order on this replica (the HTTP client
  // sends `[loadPlugin, call]` after an UNKNOWN_PLUGIN); it answers 200 with every response.
  v1.post('/rpc', async (req, res) => {
    const stream = req.accepts(['application/json', RPC_STREAM_TYPE]) === RPC_STREAM_TYPE;
    const batch: unknown = req.body;
    if (Array.isArray(batch) && (batch.length === 0 || batch.length > MAX_BATCH)) {
      throw invalidRequest('', `a batch holds 1 to ${MAX_BATCH} requests`);
    }
    const exchanges: Exchange[] = [];
    for (const message of Array.isArray(batch) ? batch : [batch])
      exchanges.push(await execute(res, message, stream));
    const last = exchanges.at(-1)!.response;
    if (!last.ok) res.locals.errorCode = last.error.code;
    if (!last.ok && !Array.isArray(batch)) {
      const retryAfter = retryAfterOf(last.error);
      if (retryAfter !== null) res.setHeader('retry-after', String(retryAfter));
    }
    res.status(Array.isArray(batch) || last.ok ? 200 : statusOf(last.error.code));
    if (stream) {
      const lines = exchanges.flatMap(({ notifications, response, rename, resultJson }) => [
        ...notifications.map((m) => toJson(m, rename)),
        responseJson(response, resultJson, rename),
      ]);
      return void res.type(RPC_STREAM_TYPE).send(`${lines.join('\n')}\n`);
    }
    const bodies = exchanges.map(({ response, rename, resultJson }) =>
      responseJson(response, resultJson, rename),
    );
    res.type('application/json').send(Array.isArray(batch) ? `[${bodies.join(',')}]` : bodies[0]);
  });
  for (const [path, allow] of [
    ['/plugins', 'POST'],
    ['/plugins/:pluginId', 'DELETE'],
    ['/plugins/:pluginId/render', 'POST'],
    ['/plugins/:pluginId/events', 'POST'],
    ['/rpc', 'POST'],
  ] as const) {
    v1.all(path, (req, res) => {
      res.setHeader('allow', allow);
      sendError(res, invalidRequest('', `${req.method} is not allowed here; use ${allow}`), 405);
    });
  }
  app.use('/v1', v1);

  app.use((req, res) => {
    sendError(res, invalidRequest('', `no route ${req.method} ${req.path.slice(0, 200)}`), 404);
  });
  app.use((error: unknown, req: Request, res: Response, _next: NextFunction) => {
    if (res.headersSent) return void res.destroy();
    const { status, error: corral } = fromHttpError(error, config.maxBodyBytes);
    if (corral.code === 'INTERNAL') {
      logger.error(
        { req: requestLine(req, String(res.locals.requestId), req.socket.remoteAddress), err: error },
        'request failed with a defect',
      );
    }
    sendError(res, corral, status);
  });

  return {
    app,
    metrics,
    async start() {
      if (httpServer) throw new Error('The server is already started');
      const createSandbox = options.createSandbox ?? createServerSandbox;
      [sandbox, quarantine] = await Promise.all([
        createSandbox(config, 'main'),
        config.quarantinePoolSize > 0 ? createSandbox(config, 'quarantine') : null,
      ]);
      host = createPluginHost({
        sandbox,
        quarantine,
        maxPlugins: config.maxPlugins,
        maxQueue: config.maxQueue,
        onCall: (op, code, seconds) => metrics.call(op, code, seconds),
        onDefect: (error, op) => logger.error({ err: error, op }, 'a call failed with a defect'),
      });
      // Slow clients get 408 and are dropped: headers within 10 s, the whole request within 30 s.
      const server = createHttpServer({ headersTimeout: 10_000, requestTimeout: 30_000 }, app);
      httpServer = server;
      await new Promise<void>((resolve, reject) => {
        server.once('listening', resolve).once('error', reject);
        server.listen(config.port, config.host);
      });
      server.on('connection', () => (lastActivity = performance.now()));
      const { address, port } = server.address() as AddressInfo;
      const url = `http://${address.includes(':') ? `[${address}]` : address}:${port}`;
      logger.info({ url, poolSize: config.poolSize, engine: config.engine }, 'corral server listening');
      return { url };
    },
    close() {
      closing ??= (async () => {
        draining = true;
        const server = httpServer;
        if (server) {
          const closed = new Promise<void>((resolve) => server.once('close', () => resolve()));
          // Closing the listener resets connections still waiting in the kernel's accept queue,
          // so first keep accepting — readiness failing, every answer `connection: close` —
          // until neither a connection nor a request has arrived for a moment. Then stop
          // listening and drop the (now idle) connections.
          await quiet(
            () => lastActivity,
            () => active,
            config.drainTimeoutMs,
          );
          server.close();
          server.closeAllConnections();
          await closed;
        }
        await Promise.all([sandbox?.close(), quarantine?.close()]);
        logger.info('corral server closed');
      })();
      return closing;
    },
  };
}

/**
 * Resolve once no request is in progress and nothing new has arrived for a settle time, or
 * when the timeout passes.
 */
async function quiet(lastActivity: () => number, active: () => number, timeoutMs: number): Promise<void> {
  const settleMs = 250;
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (active() === 0 && performance.now() - lastActivity() >= settleMs) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Send a host answer: the result on success, `{ error }` with the table's status otherwise. */
function reply(res: Response, { response, rename, resultJson }: Exchange, success: 200 | 201 | 204): void {
  if (!response.ok) return sendError(res, response.error, undefined, rename);
  if (success === 204) return void res.status(204).end();
  if (resultJson !== null) return sendJsonText(res, success, resultJson, rename);
  sendJson(res, success, response.result, rename);
}

function objectBody(req: Request): Record<string, unknown> {
  const body: unknown = req.body;
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw invalidRequest('', 'must be object');
  return body as Record<string, unknown>;
}

/** A REST body: the op's params without `pluginId`, which the URL names. */
function paramsBody(req: Request): Record<string, unknown> {
  const body = objectBody(req);
  if ('pluginId' in body)
    throw invalidRequest('/pluginId', 'must not be set in the body; the URL names the plugin');
  return body;
}

/** What a log line says about a request. */
function requestLine(req: Request, id: string, remoteAddress: string | undefined) {
  return { id, method: req.method, url: req.originalUrl, remoteAddress };
}

/**
 * The headers a middleware sets on every response, captured once by running it against a stub
 * (helmet's are static: it reads nothing from the request).
 */
function headersOf(middleware: (req: never, res: never, next: (error?: unknown) => void) => void) {
  const headers = new Map<string, string | number | readonly string[]>();
  const stub = {
    setHeader: (name: string, value: string | number | readonly string[]) => headers.set(name, value),
    removeHeader: (name: string) => headers.delete(name),
    getHeader: (name: string) => headers.get(name),
  };
  let called = false;
  middleware({ headers: {}, method: 'GET', url: '/' } as never, stub as never, (error) => {
    if (error) throw error;
    called = true;
  });
  if (!called) throw new Error('helmet did not finish synchronously');
  return [...headers];
}

function presentedKey(req: Request): string | null {
  const auth = req.headers.authorization;
  const bearer = typeof auth === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(auth)?.[1] : undefined;
  if (bearer) return bearer;
  const key = req.headers['x-api-key'];
  return typeof key === 'string' && key !== '' ? key : null;
}

/** Map whatever reached the error handler (body-parser's errors included) to a status and a code. */
function fromHttpError(
  error: unknown,
  maxBodyBytes: number,
): { status: number | undefined; error: CorralError } {
  if (error instanceof CorralError) return { status: undefined, error };
  const e = (typeof error === 'object' && error !== null ? error : {}) as {
    type?: unknown;
    status?: unknown;
    expose?: unknown;
    message?: unknown;
  };
  switch (e.type) {
    case 'entity.too.large':
      return {
        status: 413,
        error: new CorralError('INVALID_REQUEST', `The body is larger than ${maxBodyBytes} bytes`, {
          path: '',
          issue: 'body too large',
          limitBytes: maxBodyBytes,
        }),
      };
    case 'entity.parse.failed':
      return { status: 400, error: invalidRequest('', `must be valid JSON (${String(e.message)})`) };
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return { status: 415, error: invalidRequest('', String(e.message)) };
  }
  const status = typeof e.status === 'number' ? e.status : 500;
  if (status >= 400 && status < 500) {
    return {
      status,
      error: invalidRequest('', e.expose === true ? String(e.message) : 'the request could not be read'),
    };
  }
  return {
    status: undefined,
    error: new CorralError('INTERNAL', 'Internal error; the request id is in the logs'),
  };
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
