/**
 * @module routes/probes
 * What operators and balancers read: `GET /` (the route list, for a client that asks for
 * JSON), liveness, readiness and the Prometheus scrape.
 */
import express, { type Router } from 'express';
import { CorralError } from '@corral/contracts';
import type { ServerConfig } from '../config.js';
import { sendError, sendJson } from '../http.js';
import type { ServerMetrics } from '../metrics.js';
import type { PluginHost } from '../pluginHost.js';
import { ROUTES } from './routeTable.js';

export interface ProbeOptions {
  config: ServerConfig;
  host: () => PluginHost;
  draining: () => boolean;
}

/** `/`, `/healthz` and `/readyz`: no key needed. */
export function createProbeRouter({ config, host, draining }: ProbeOptions): Router {
  const router = express.Router();
  router.get('/', (_req, res) => sendJson(res, 200, { service: 'corral', routes: ROUTES }));
  router.get('/healthz', (_req, res) => sendJson(res, 200, { status: 'ok' }));
  // Ready = the workers booted (start() resolved) and not draining. Deliberately no call into
  // the workers: under load a health call would queue behind plugin calls, and a balancer that
  // then pulled a busy replica would only push its load onto the others. Back-pressure is the
  // 503 of the bounded queue; dead workers are replaced by their supervisor.
  router.get('/readyz', (_req, res) => {
    if (draining()) {
      const error = new CorralError('OVERLOADED', 'The server is shutting down', { retryAfterSeconds: 1 });
      return sendError(res, error);
    }
    sendJson(res, 200, {
      status: 'ready',
      engine: config.engine,
      poolSize: config.poolSize,
      plugins: host().loaded(),
      inFlight: host().inFlight(),
      maxQueue: config.maxQueue,
    });
  });
  return router;
}

/** `GET /metrics` (behind the key check when keys are configured). */
export function createMetricsRouter(metrics: ServerMetrics): Router {
  const router = express.Router();
  router.get('/metrics', async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  return router;
}
