/**
 * @module createHttpSandbox
 * The SandboxClient of a Corral server: core's own client over an HTTP transport. Each contract
 * request becomes one `POST {baseUrl}/v1/rpc`; what comes back — the notifications the call
 * produced, then its response — is delivered exactly as a worker would post it. It needs only
 * `fetch` and `AbortController`, so it runs in browsers, Node, Deno and workers alike.
 *
 * Every HTTP-level failure (network error, non-JSON body, `401`, `429`, `503`, a proxy's HTML
 * page) becomes a contract failure response for that request's id, so callers only ever match
 * on codes. Because core's client keeps each plugin's code and re-loads on UNKNOWN_PLUGIN, a
 * request that lands on a replica which does not hold the plugin (evicted, restarted, another
 * replica behind a load balancer) transparently re-sends the code and retries once.
 */
import {
  isErrorCode,
  type ErrorCode,
  type JSONObject,
  type RequestId,
  type RpcFailure,
  type RpcOutbound,
} from '@corral/contracts';
import {
  createSandboxClient,
  type SandboxClient,
  type SandboxClientOptions,
} from '../rpc/createSandboxClient.js';
import type { Transport } from '../rpc/transport.js';

/** The media type under which the server streams a call's notifications before its response. */
export const RPC_STREAM_TYPE = 'application/x-ndjson';

export interface HttpSandboxOptions {
  /** The server's origin (and optional path prefix), e.g. `https://corral.example.com`. */
  baseUrl: string;
  /** Sent as `authorization: Bearer <apiKey>` when set. */
  apiKey?: string;
  /** A fetch implementation (default: the global one). Tests and proxies pass their own. */
  fetch?: typeof fetch;
  /** Extra headers sent with every request (e.g. a tracing header). */
  headers?: Record<string, string>;
  /**
   * Options of core's client. `graceMs` defaults to 2000 here: the server enforces every
   * deadline itself, so the client-side watchdog only has to catch a hung connection, and it
   * must not fail calls that merely waited in a busy server's queue.
   */
  client?: Omit<SandboxClientOptions, 'supervisor'>;
}

/** A contract SandboxClient talking to a Corral server over HTTP. */
export function createHttpSandbox(options: HttpSandboxOptions): SandboxClient {
  return createSandboxClient(createHttpTransport(options), { graceMs: 2000, ...options.client });
}

/**
 * The transport alone: `post` sends one RPC request, listeners receive the messages the server
 * answered with. Exposed for hosts that want their own client options or a pool of replicas.
 */
export function createHttpTransport(options: HttpSandboxOptions): Transport {
  const fetchImpl = options.fetch ?? globalThis.fetch.bind(globalThis);
  const url = `${options.baseUrl.replace(/\/+$/, '')}/v1/rpc`;
  const headers: Record<string, string> = {
    ...options.headers,
    'content-type': 'application/json',
    accept: `${RPC_STREAM_TYPE}, application/json;q=0.9`,
    ...(options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {}),
  };
  const listeners = new Set<(message: unknown) => void>();
  const inFlight = new Set<AbortController>();
  let closed = false;

  const deliver = (message: RpcOutbound) => {
    if (closed) return;
    for (const listener of listeners) listener(message);
  };

  async function exchange(
    message: unknown,
    id: RequestId | null,
    signal: AbortSignal,
  ): Promise<RpcOutbound[]> {
    let response: Response;
    let body: string;
    try {
      response = await fetchImpl(url, { method: 'POST', headers, body: JSON.stringify(message), signal });
      body = await response.text();
    } catch (error) {
      return [
        failure(id, 'WORKER_CRASHED', `The Corral server could not be reached: ${describe(error)}`, {
          transport: 'http',
        }),
      ];
    }
    return readAnswer(response, body, id);
  }

  return {
    post(message) {
      if (closed) return;
      const raw = message as { id?: unknown };
      const id = typeof raw?.id === 'number' || typeof raw?.id === 'string' ? raw.id : null;
      const controller = new AbortController();
      inFlight.add(controller);
      void exchange(message, id, controller.signal)
        .then((messages) => {
          for (const m of messages) deliver(m);
        })
        .finally(() => inFlight.delete(controller));
    },
    on(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close() {
      closed = true;
      for (const controller of inFlight) controller.abort();
      inFlight.clear();
      listeners.clear();
    },
  };
}

/**
 * Turn an HTTP answer into the messages a worker would have posted. HTTP pairs one request
 * with one answer, so the final response always carries the request's own id (a server that
 * could not read the id answers `id: null`).
 */
function readAnswer(response: Response, body: string, id: RequestId | null): RpcOutbound[] {
  const type = response.headers.get('content-type') ?? '';
  const lines = type.includes(RPC_STREAM_TYPE) ? body.split('\n').filter((l) => l.trim() !== '') : [body];
  const messages: RpcOutbound[] = [];
  for (const line of lines) {
    const value = parse(line);
    if (isRecord(value) && 'notification' in value) {
      messages.push(value as unknown as RpcOutbound);
      continue;
    }
    if (isRecord(value) && typeof value.ok === 'boolean') {
      if (value.ok) messages.push({ id: id as RequestId, ok: true, result: value.result as never });
      else messages.push({ id, ok: false, error: readError(value.error, response) });
      return messages;
    }
    // `{ error }` without `ok`: the server refused the request before it reached the contract
    // (401, 413, 429, 503, …); anything else is not a Corral answer at all.
    if (isRecord(value) && isRecord(value.error)) {
      messages.push({ id, ok: false, error: readError(value.error, response) });
      return messages;
    }
    break;
  }
  const code = codeForStatus(response.status);
  messages.push(
    failure(
      id,
      code,
      `The Corral server answered HTTP ${response.status} without a contract response`,
      withRetryAfter({ status: response.status }, response),
    ),
  );
  return messages;
}

function readError(value: unknown, response: Response): RpcFailure['error'] {
  const raw = isRecord(value) ? value : {};
  if (!isErrorCode(raw.code) || typeof raw.message !== 'string') {
    return {
      code: codeForStatus(response.status),
      message: `The Corral server answered HTTP ${response.status} with a malformed error`,
      details: withRetryAfter({ status: response.status }, response),
    };
  }
  const details = isRecord(raw.details) ? (raw.details as JSONObject) : undefined;
  const merged = response.headers.has('retry-after') ? withRetryAfter({ ...details }, response) : details;
  return merged === undefined
    ? { code: raw.code, message: raw.message }
    : { code: raw.code, message: raw.message, details: merged };
}

/** The code for an HTTP refusal that carried no readable Corral error (a proxy's page, say). */
function codeForStatus(status: number): ErrorCode {
  if (status === 401) return 'UNAUTHORIZED';
  if (status === 429) return 'RATE_LIMITED';
  if (status === 502 || status === 503 || status === 504) return 'OVERLOADED';
  return status >= 400 && status < 500 ? 'INVALID_REQUEST' : 'INTERNAL';
}

function withRetryAfter(details: JSONObject, response: Response): JSONObject {
  const header = response.headers.get('retry-after');
  const seconds = header === null ? NaN : Number(header);
  return Number.isFinite(seconds) ? { ...details, retryAfterSeconds: seconds } : details;
}

function failure(id: RequestId | null, code: ErrorCode, message: string, details?: JSONObject): RpcFailure {
  return { id, ok: false, error: details ? { code, message, details } : { code, message } };
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
