/**
 * @module routes/api
 * The `/v1` router: the REST routes and `/v1/rpc`, all answered through one PluginHost's
 * `execute`, so they cannot drift apart; 405 with `Allow` for a known path and a wrong method.
 */
import express, { type Request, type Response, type Router } from 'express';
import { RPC_STREAM_TYPE } from '@corral/core';
import {
  invalidRequest,
  responseJson,
  retryAfterOf,
  sendError,
  sendJson,
  sendJsonText,
  statusOf,
  toJson,
} from '../http.js';
import { jsonBody } from '../middleware/jsonBody.js';
import { contentPluginId } from '../pluginCache.js';
import type { Exchange, PluginHost } from '../pluginHost.js';

export interface ApiRouterOptions {
  /** The host, once the workers are booted (the app refuses requests before that). */
  host: () => PluginHost;
  maxBodyBytes: number;
}

/** Requests in one `/v1/rpc` batch. */
const MAX_BATCH = 8;

const ALLOWED: [path: string, allow: string][] = [
  ['/plugins', 'POST'],
  ['/plugins/:pluginId', 'DELETE'],
  ['/plugins/:pluginId/render', 'POST'],
  ['/plugins/:pluginId/events', 'POST'],
  ['/rpc', 'POST'],
];

export function createApiRouter({ host, maxBodyBytes }: ApiRouterOptions): Router {
  const v1 = express.Router();
  v1.use(jsonBody({ maxBodyBytes }));
  const execute = (res: Response, message: unknown, { collect = false } = {}) =>
    host().execute(res.locals.tenant as string, message, {
      collect,
      requestId: res.locals.requestId as string,
    });

  v1.post('/plugins', async (req, res) => {
    const body = objectBody(req);
    const extra = Object.keys(body).find((key) => key !== 'code' && key !== 'profile');
    if (extra !== undefined) throw invalidRequest('', `must NOT have additional properties ('${extra}')`);
    const profile = typeof body.profile === 'string' ? body.profile : undefined;
    const pluginId = typeof body.code === 'string' ? contentPluginId(body.code, profile) : 'sha256-';
    const exchange = await execute(res, { id: 0, op: 'loadPlugin', params: { pluginId, ...body } });
    if (exchange.response.ok) res.setHeader('location', `/v1/plugins/${pluginId}`);
    reply(res, exchange, 201);
  });
  for (const [path, op] of [
    ['/plugins/:pluginId/render', 'render'],
    ['/plugins/:pluginId/events', 'event'],
  ] as const) {
    v1.post(path, async (req, res) => {
      const params = { ...paramsBody(req), pluginId: req.params.pluginId };
      reply(res, await execute(res, { id: 0, op, params }), 200);
    });
  }
  v1.delete('/plugins/:pluginId', async (req, res) => {
    const params = { pluginId: req.params.pluginId };
    reply(res, await execute(res, { id: 0, op: 'disposePlugin', params }), 204);
  });
  v1.post('/rpc', async (req, res) => {
    const stream = req.accepts(['application/json', RPC_STREAM_TYPE]) === RPC_STREAM_TYPE;
    const batch: unknown = req.body;
    if (Array.isArray(batch) && (batch.length === 0 || batch.length > MAX_BATCH)) {
      throw invalidRequest('', `a batch holds 1 to ${MAX_BATCH} requests`);
    }
    const exchanges: Exchange[] = [];
    for (const message of Array.isArray(batch) ? batch : [batch])
      exchanges.push(await execute(res, message, { collect: stream }));
    replyRpc(res, exchanges, { batch: Array.isArray(batch), stream });
  });
  for (const [path, allow] of ALLOWED) {
    v1.all(path, (req, res) => {
      res.setHeader('allow', allow);
      sendError(res, invalidRequest('', `${req.method} is not allowed here; use ${allow}`), 405);
    });
  }
  return v1;
}

/**
 * One contract request in, the contract response out; the status is the code table's. A
 * client that accepts NDJSON also gets the notifications the call produced, first, exactly as
 * a worker posts them. A batch (the HTTP client sends `[loadPlugin, call]` after an
 * UNKNOWN_PLUGIN) answers 200 with every response.
 */
function replyRpc(
  res: Response,
  exchanges: Exchange[],
  { batch, stream }: { batch: boolean; stream: boolean },
) {
  const last = exchanges.at(-1)!.response;
  if (!last.ok) res.locals.errorCode = last.error.code;
  if (!last.ok && !batch) {
    const retryAfter = retryAfterOf(last.error);
    if (retryAfter !== null) res.setHeader('retry-after', String(retryAfter));
  }
  res.status(batch || last.ok ? 200 : statusOf(last.error.code));
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
  res.type('application/json').send(batch ? `[${bodies.join(',')}]` : bodies[0]);
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
