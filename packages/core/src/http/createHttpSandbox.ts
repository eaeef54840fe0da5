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
 * replica behind a load balancer) transparently re-sends the code and retries once. An exchange
 * that got no answer from any replica (the connection failed or was reset, or a gateway answered
 * 502/503/504 with a page of its own) is sent again, a bounded number of times (see
 * `HttpRetryOptions`). A call whose `AbortSignal` fires aborts its HTTP request: the server sees
 * its client go away.
 */
import {
  invalidRequest,
  isErrorCode,
  validateLoadPluginParams,
  type ErrorCode,
  type JSONObject,
  type RequestId,
  type RpcFailure,
  type RpcNotification,
  type RpcOutbound,
  type RpcResponse,
} from '@corral/contracts';
import { createSystemClock, type Clock } from '../clock.js';
import {
  createSandboxClient,
  type SandboxClient,
  type SandboxClientOptions,
} from '../rpc/createSandboxClient.js';
import type { CancellableTransport } from '../rpc/createSandboxClient.js';

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
  /** When an exchange that got no answer is sent again; see `HttpRetryOptions`. */
  retry?: HttpRetryOptions;
}

/**
 * Re-sending an exchange that no replica answered: the connection was refused or reset, or a
 * gateway (nginx, a cloud balancer) answered 502, 503 or 504 with a body that is no Corral
 * answer — the replica behind it died or could not be reached. Every op but `disposePlugin` is
 * re-sent: the server keeps no state, so a render or an event is a pure function of the state
 * the request carries and running it again applies nothing (the host applies the one answer it
 * gets, once), and a load is keyed by its id and code. A Corral answer is never re-sent, even a
 * failing one: `WORKER_CRASHED` means the plugin's call ended a worker, and re-sending it would
 * let one plugin end a worker on every replica. The delay doubles from `delayMs` each attempt,
 * on `client.clock`.
 */
export interface HttpRetryOptions {
  /** Re-sends after the first attempt; 0 turns retrying off. Default 2. */
  attempts?: number;
  /** Delay before the first re-send, in milliseconds. Default 100. */
  delayMs?: number;
}

/** Ops re-sent after an exchange that no replica answered. */
const RETRIED_OPS = new Set(['render', 'event', 'loadPlugin', 'health']);

/** A contract SandboxClient talking to a Corral server over HTTP. */
export function createHttpSandbox(options: HttpSandboxOptions): SandboxClient {
  const client = createSandboxClient(createHttpTransport(options), { graceMs: 2000, ...options.client });
  const load = client.loadPlugin.bind(client);
  // Refuse a malformed load here, without a round trip. Also needed for correctness: core's
  // client derives the load deadline from `profile`, and an unknown profile yields no deadline,
  // so its watchdog would fail the call with LIMIT_TIME before the server's INVALID_REQUEST
  // arrives (an in-process answer always wins that race; an HTTP one never does).
  client.loadPlugin = async (params) => {
    const valid = validateLoadPluginParams(params);
    if (!valid.ok) throw invalidRequest(valid);
    return load(params);
  };
  return client;
}

/**
 * The transport alone: `post` sends one RPC request, listeners receive the messages the server
 * answered with. Exposed for hosts that want their own client options.
 *
 * It also keeps the params of every plugin the server accepted. When a render or event comes
 * back UNKNOWN_PLUGIN (the replica behind the load balancer never saw the plugin, or evicted
 * it), it re-sends the load and the call together as one batch — one HTTP request, so both land
 * on the same replica whatever the load balancer does — and delivers the call's answer.
 * Core's client, which would re-load with two separate requests, never sees the miss.
 */
export function createHttpTransport(options: HttpSandboxOptions): CancellableTransport {
  return new HttpTransport(options);
}

class HttpTransport implements CancellableTransport {
  private readonly fetchImpl: typeof fetch;
  private readonly url: string;
  private readonly headers: Record<string, string>;
  private readonly listeners = new Set<(message: unknown) => void>();
  private readonly inFlight = new Map<AbortController, RequestId | null>();
  /** Each plugin's load params, to send again with a call that met UNKNOWN_PLUGIN. */
  private readonly loaded = new Map<string, unknown>();
  private readonly clock: Clock;
  private readonly attempts: number;
  private readonly delayMs: number;
  private closed = false;

  constructor(options: HttpSandboxOptions) {
    this.clock = options.client?.clock ?? createSystemClock();
    this.attempts = Math.max(0, options.retry?.attempts ?? 2);
    this.delayMs = Math.max(0, options.retry?.delayMs ?? 100);
    this.fetchImpl = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.url = `${options.baseUrl.replace(/\/+$/, '')}/v1/rpc`;
    this.headers = {
      ...options.headers,
      'content-type': 'application/json',
      accept: `${RPC_STREAM_TYPE}, application/json;q=0.9`,
      ...(options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {}),
    };
  }

  post(message: unknown): void {
    if (this.closed) return;
    const controller = new AbortController();
    const id = isRecord(message) && (typeof message.id === 'number' || typeof message.id === 'string');
    this.inFlight.set(controller, id ? (message as { id: RequestId }).id : null);
    void this.send(message, controller.signal).finally(() => this.inFlight.delete(controller));
  }

  cancel(id: number): boolean {
    for (const [controller, requestId] of this.inFlight) {
      if (requestId !== id) continue;
      // The client has settled the call already; the failure the abort produces is ignored.
      this.inFlight.set(controller, null);
      controller.abort();
      return true;
    }
    return false;
  }

  on(listener: (message: unknown) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  close(): void {
    this.closed = true;
    for (const controller of this.inFlight.keys()) controller.abort();
    this.inFlight.clear();
    this.listeners.clear();
    this.loaded.clear();
  }

  private deliver(message: RpcOutbound): void {
    if (this.closed) return;
    for (const listener of this.listeners) listener(message);
  }

  private async exchange(body: unknown, pluginId: string | null, signal: AbortSignal): Promise<Answer> {
    let response: Response;
    let text: string;
    // An id that is not well-formed Unicode has no URI form: it goes without the hint, and the
    // server refuses it (INVALID_REQUEST, naming pluginId).
    const hint = pluginId === null ? null : uriComponent(pluginId);
    try {
      response = await this.fetchImpl(this.url, {
        method: 'POST',
        // Lets a load balancer hash on the plugin, so its calls find a warm replica.
        headers: hint === null ? this.headers : { ...this.headers, 'x-corral-plugin': hint },
        body: JSON.stringify(body),
        signal,
      });
      text = await response.text();
    } catch (error) {
      const message = `The Corral server could not be reached: ${describe(error)}`;
      return {
        notifications: [],
        responses: [failure(null, 'WORKER_CRASHED', message, { transport: 'http' })],
        unanswered: !signal.aborted,
      };
    }
    return readAnswer(response, text);
  }

  /** `exchange`, sent again while no replica answered it (for the ops that may be re-sent). */
  private async exchangeRetrying(
    body: unknown,
    op: unknown,
    pluginId: string | null,
    signal: AbortSignal,
  ): Promise<Answer> {
    let answer = await this.exchange(body, pluginId, signal);
    const retried = typeof op === 'string' && RETRIED_OPS.has(op);
    for (let attempt = 0; retried && answer.unanswered && attempt < this.attempts; attempt++) {
      await new Promise<void>((resolve) => this.clock.setTimeout(resolve, this.delayMs * 2 ** attempt));
      if (this.closed || signal.aborted) break;
      answer = await this.exchange(body, pluginId, signal);
    }
    return answer;
  }

  private async send(message: unknown, signal: AbortSignal): Promise<void> {
    const raw = (isRecord(message) ? message : {}) as { id?: unknown; op?: unknown; params?: unknown };
    const id = typeof raw.id === 'number' || typeof raw.id === 'string' ? raw.id : null;
    const params = isRecord(raw.params) ? raw.params : {};
    const pluginId = typeof params.pluginId === 'string' ? params.pluginId : null;
    if (raw.op === 'disposePlugin' && pluginId !== null) this.loaded.delete(pluginId);

    const first = await this.exchangeRetrying(message, raw.op, pluginId, signal);
    first.notifications.forEach((n) => this.deliver(n));
    let answer = first.responses.at(-1)!;
    if (raw.op === 'loadPlugin' && pluginId !== null && answer.ok) this.loaded.set(pluginId, params);
    const reload = pluginId === null ? undefined : this.loaded.get(pluginId);
    if ((raw.op === 'render' || raw.op === 'event') && reload && isUnknownPlugin(answer)) {
      const batch = await this.exchangeRetrying(
        [{ id: 'reload', op: 'loadPlugin', params: reload }, message],
        raw.op,
        pluginId,
        signal,
      );
      batch.notifications.forEach((n) => this.deliver(n));
      const [load, call] = batch.responses;
      answer = load && !load.ok ? load : (call ?? load!);
    }
    this.deliver({ ...answer, id } as RpcOutbound);
  }
}

/** What one HTTP exchange produced: its notifications, then its responses in request order. */
interface Answer {
  notifications: RpcNotification[];
  responses: RpcResponse[];
  /** No replica answered: the connection failed, or a gateway answered with a page of its own. */
  unanswered?: boolean;
}

/** Gateway statuses: the balancer could not get an answer from a replica. */
const GATEWAY_STATUSES = new Set([502, 503, 504]);

function isUnknownPlugin(response: RpcResponse): boolean {
  return !response.ok && response.error.code === 'UNKNOWN_PLUGIN';
}

/**
 * Read an HTTP answer: NDJSON lines, one JSON response, or a batch's array of responses. A body
 * with `{ error }` and no `ok` is a refusal of the HTTP request itself (401, 413, 429, 503, …);
 * anything else is not a Corral answer at all and fails by its status.
 */
function readAnswer(response: Response, text: string): Answer {
  const type = response.headers.get('content-type') ?? '';
  let values: unknown[];
  if (type.includes(RPC_STREAM_TYPE))
    values = text
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map(parse);
  else {
    const value = parse(text);
    values = Array.isArray(value) ? value : [value];
  }
  const answer: Answer = { notifications: [], responses: [] };
  for (const value of values) {
    if (!isRecord(value)) break;
    if (typeof value.notification === 'string')
      answer.notifications.push(value as unknown as RpcNotification);
    else if (value.ok === true) answer.responses.push(value as unknown as RpcResponse);
    else if (value.ok === false || isRecord(value.error))
      answer.responses.push({ id: null, ok: false, error: readError(value.error, response) });
    else break;
  }
  if (answer.responses.length === 0) {
    answer.unanswered = GATEWAY_STATUSES.has(response.status);
    answer.responses.push(
      failure(
        null,
        codeForStatus(response.status),
        `The Corral server answered HTTP ${response.status} without a contract response`,
        withRetryAfter({ status: response.status }, response),
      ),
    );
  }
  return answer;
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

/** The URI component of a string, or null for one that has none (a lone surrogate). */
function uriComponent(text: string): string | null {
  try {
    return encodeURIComponent(text);
  } catch {
    return null;
  }
}
