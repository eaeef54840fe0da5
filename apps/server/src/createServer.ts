/**
 * @module createServer
 * The Express 5 app put together from its parts, in order: request log and id, security
 * headers, CORS, the playground, the start-up and drain guard, the probes, access (keys, rate
 * limit), metrics, the `/v1` API, then JSON 404 and error handlers. `start()` connects the
 * shared rate limit's Redis (when set), listens and boots the workers; `close()` stops accepting,
 * drains what is in flight and closes the sandboxes.
 */
import { existsSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import express, { type Express, type RequestHandler } from 'express';
import cors from 'cors';
import { pino, type Logger } from 'pino';
import { CorralError } from '@corral/contracts';
import type { Clock } from '@corral/core';
import { loadConfig, type ServerConfig } from './config.js';
import { createActivity, type Activity } from './drain.js';
import { errorHandler, notFound } from './errors.js';
import { sendError } from './http.js';
import { createMetrics, type ServerMetrics } from './metrics.js';
import { access } from './middleware/access.js';
import { createSharedRateLimit, type SharedRateLimit } from './middleware/sharedRateLimit.js';
import { requestLog } from './middleware/requestLog.js';
import { securityHeaders } from './middleware/securityHeaders.js';
import { createPluginHost, type PluginHost, type PluginLogLine } from './pluginHost.js';
import { createApiRouter } from './routes/api.js';
import { createPlaygroundRoutes } from './routes/playground.js';
import { createMetricsRouter, createProbeRouter } from './routes/probes.js';
import { createCspReportRouter } from './routes/cspReports.js';
import { createServerSandbox, type SandboxFactory, type ServerSandbox } from './sandbox.js';

export interface CreateServerOptions {
  /** Where plugins run (default: `@corral/worker-node`'s pool). */
  createSandbox?: SandboxFactory;
  /** A pino logger (default: one at `config.logLevel` on stdout). */
  logger?: Logger;
  /** The clock the drain waits on (default: the system clock). */
  clock?: Clock;
}

export interface CorralServer {
  /** The Express app (routes answer 503 until `start()` has booted the sandbox). */
  app: Express;
  /** The metrics registry. */
  metrics: ServerMetrics;
  /** Listen, then boot the workers. Resolves with the URL the server answers on. */
  start(): Promise<{ url: string }>;
  /** Stop accepting, let in-flight requests finish (up to `drainTimeoutMs`), close the sandbox. */
  close(): Promise<void>;
}

/** What the parts of the app share: the sandboxes and host once booted, and the drain. */
interface ServerState {
  sandbox: ServerSandbox | null;
  quarantine: ServerSandbox | null;
  host: PluginHost | null;
  draining: boolean;
  activity: Activity;
}

export function createServer(
  config: ServerConfig = loadConfig(),
  options: CreateServerOptions = {},
): CorralServer {
  const logger =
    options.logger ??
    pino({ level: config.logLevel, redact: ['req.headers.authorization', 'req.headers["x-api-key"]'] });
  const state: ServerState = {
    sandbox: null,
    quarantine: null,
    host: null,
    draining: false,
    activity: createActivity(options.clock),
  };
  const metrics = createMetrics({
    loadedPlugins: () => state.host?.loaded() ?? 0,
    quarantinedPlugins: () => state.host?.quarantined() ?? 0,
    inFlight: () => state.host?.inFlight() ?? 0,
    workerRestarts: () => (state.sandbox?.restarts() ?? 0) + (state.quarantine?.restarts() ?? 0),
    workerQueueDepth: () => (state.sandbox?.queueDepth() ?? 0) + (state.quarantine?.queueDepth() ?? 0),
  });
  const shared =
    config.rateLimitRedisUrl && config.rateLimitMax > 0
      ? createSharedRateLimit(config.rateLimitRedisUrl, logger)
      : null;
  const app = createApp(config, { state, logger, metrics, shared });
  let httpServer: Server | null = null;
  let closing: Promise<void> | null = null;

  return {
    app,
    metrics,
    async start() {
      if (httpServer) throw new Error('The server is already started');
      await shared?.connect();
      const server = createHttpServer({ headersTimeout: 10_000, requestTimeout: 30_000 }, app);
      httpServer = server;
      try {
        await listen(server, config);
      } catch (error) {
        await shared?.close();
        throw error;
      }
      server.on('connection', () => state.activity.touch());
      try {
        await boot(config, state, { logger, metrics, createSandbox: options.createSandbox });
      } catch (error) {
        await new Promise((resolve) => server.close(resolve));
        await shared?.close();
        throw error;
      }
      const { address, port } = server.address() as AddressInfo;
      const url = `http://${address.includes(':') ? `[${address}]` : address}:${port}`;
      logger.info({ url, poolSize: config.poolSize, engine: config.engine }, 'corral server listening');
      if (!existsSync(join(config.playgroundDir, 'index.html'))) {
        logger.warn({ playgroundDir: config.playgroundDir }, 'the playground is not built; / says so');
      }
      return { url };
    },
    close() {
      closing ??= shutdown(httpServer, state, config.drainTimeoutMs)
        .then(() => shared?.close())
        .then(() => logger.info('corral server closed'));
      return closing;
    },
  };
}

function createApp(
  config: ServerConfig,
  {
    state,
    logger,
    metrics,
    shared,
  }: { state: ServerState; logger: Logger; metrics: ServerMetrics; shared: SharedRateLimit | null },
): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('trust proxy', config.trustProxy);
  const host = () => state.host!;

  app.use(requestLog({ logger, metrics, activity: state.activity }));
  app.use(securityHeaders({ tls: config.tls, trustProxy: config.trustProxy !== false }));
  if (config.corsOrigins.length > 0) app.use(corsFor(config.corsOrigins));
  app.use(createPlaygroundRoutes({ dir: config.playgroundDir }));
  app.use(readinessGuard(state));
  app.use(createProbeRouter({ config, host, draining: () => state.draining }));
  app.use(createCspReportRouter({ logger, metrics }));
  app.use(access(config, shared?.store));
  app.use(createMetricsRouter(metrics));
  app.use('/v1', createApiRouter({ host, maxBodyBytes: config.maxBodyBytes }));
  app.use(notFound);
  app.use(errorHandler({ logger, maxBodyBytes: config.maxBodyBytes }));
  return app;
}

function corsFor(origins: string[]): RequestHandler {
  return cors({
    origin: origins.includes('*') ? '*' : origins,
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
  });
}

/**
 * Refuse work until the workers are booted. While draining, requests on connections already
 * open are still served, each told `connection: close` so clients move to another replica.
 */
function readinessGuard(state: ServerState): RequestHandler {
  return (req, res, next) => {
    if (state.draining) res.setHeader('connection', 'close');
    if (req.path === '/healthz' || state.host) return next();
    sendError(res, new CorralError('OVERLOADED', 'The server is starting', { retryAfterSeconds: 1 }));
  };
}

/** Boot both lanes' sandboxes and the host over them. */
async function boot(
  config: ServerConfig,
  state: ServerState,
  {
    logger,
    metrics,
    createSandbox = createServerSandbox,
  }: {
    logger: Logger;
    metrics: ServerMetrics;
    createSandbox?: SandboxFactory;
  },
): Promise<void> {
  [state.sandbox, state.quarantine] = await Promise.all([
    createSandbox(config, 'main'),
    config.quarantinePoolSize > 0 ? createSandbox(config, 'quarantine') : null,
  ]);
  state.host = createPluginHost({
    sandbox: state.sandbox,
    quarantine: state.quarantine,
    maxPlugins: config.maxPlugins,
    maxQueue: config.maxQueue,
    onCall: (op, code, seconds) => metrics.call(op, code, seconds),
    onDefect: (error, op) => logger.error({ err: error, op }, 'a call failed with a defect'),
    onPluginLog: (line) => logPluginLine(logger, line),
  });
}

/** A plugin's `log()` line in the server's log: its own level, marked as the plugin's. */
function logPluginLine(logger: Logger, { level, message, ...fields }: PluginLogLine): void {
  if (logger.isLevelEnabled(level)) logger[level]({ plugin: fields }, `plugin log: ${message}`);
}

/** Listen, or fail with one line saying which setting to change. */
async function listen(server: Server, { port, host }: ServerConfig): Promise<void> {
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('listening', resolve).once('error', reject);
      server.listen(port, host);
    });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reasons: Record<string, string> = {
      EADDRINUSE: `PORT ${port} is already in use on ${host}; stop what uses it or set PORT (0 picks a free port)`,
      EACCES: `PORT ${port} needs privileges on ${host}; set PORT to 1024 or above`,
      EADDRNOTAVAIL: `HOST ${host} is not an address of this machine; set HOST to one (127.0.0.1, 0.0.0.0)`,
      ENOTFOUND: `HOST ${host} does not resolve; set HOST to an address or a known host name`,
      EAI_AGAIN: `HOST ${host} could not be resolved; set HOST to an address`,
    };
    const reason = (code && reasons[code]) ?? `cannot listen on ${host}:${port} (${String(error)})`;
    throw new Error(reason, { cause: error });
  }
}

/**
 * Drain and close: keep accepting — readiness failing, every answer `connection: close` —
 * until the server has been quiet for a moment, then stop listening, drop the (now idle)
 * connections and close the sandboxes.
 */
async function shutdown(server: Server | null, state: ServerState, drainTimeoutMs: number) {
  state.draining = true;
  if (server?.listening) {
    const closed = new Promise<void>((resolve) => server.once('close', () => resolve()));
    await state.activity.quiet(drainTimeoutMs);
    server.close();
    server.closeAllConnections();
    await closed;
  }
  await Promise.all([state.sandbox?.close(), state.quarantine?.close()]);
}
