/**
 * @module pluginHost
 * The contract, served against a SandboxClient: what `answer` in core does against a runtime,
 * plus what only a server needs — tenant-scoped plugin ids and the lanes they live in
 * (`lanes.ts`), a bounded number of calls in flight, the `server` source stamp, metrics, and
 * the notifications a call produced (so `/v1/rpc` can hand them to the client exactly as a
 * worker would post them). The REST routes and `/v1/rpc` both go through `execute`, so they
 * cannot drift apart.
 */
import {
  CorralError,
  validateDisposePluginParams,
  validateEventParams,
  validateLoadPluginParams,
  validateRenderParams,
  type RpcNotification,
  type RpcOp,
  type RpcRequest,
  type RpcResponse,
  type Validation,
} from '@corral/contracts';
import { JsonText, readRequest } from '@corral/core';
import { createCallTracker, type PluginLogLine } from './callTracker.js';
import { createLanes, type Lanes } from './lanes.js';
import type { ServerSandbox } from './sandbox.js';

export { MAX_LOG_LINES_PER_CALL, type PluginLogLine } from './callTracker.js';

/** One answered request. */
export interface Exchange {
  /** The contract response (ids as the caller knows them once `rename` is applied). */
  response: RpcResponse;
  /** Notifications the call produced, in order (only when asked to collect them). */
  notifications: RpcNotification[];
  /** Sandbox id → the caller's id, applied when the answer is serialized. */
  rename: { from: string; to: string } | null;
  /**
   * A successful render's or event's result as the JSON text the worker produced, passed through
   * unparsed (`response.result` is then `null`): it is written into the HTTP body as is.
   */
  resultJson: string | null;
}

export interface ExecuteOptions {
  /** Collect the call's notifications into the exchange (NDJSON answers). */
  collect?: boolean;
  /** The HTTP request's id, carried into the plugin's log lines. */
  requestId?: string;
}

export interface PluginHost {
  /** Answer one contract request for a tenant; never throws. */
  execute(tenant: string, message: unknown, options?: ExecuteOptions): Promise<Exchange>;
  /** Calls in flight (the bounded queue). */
  inFlight(): number;
  /** Plugins held warm. */
  loaded(): number;
  /** Plugins held in the quarantine lane. */
  quarantined(): number;
}

export interface PluginHostOptions {
  sandbox: ServerSandbox;
  /** Where suspects run once re-loaded; without one they stay in `sandbox`. */
  quarantine?: ServerSandbox | null;
  maxPlugins: number;
  maxQueue: number;
  /** Called once per call with its op, outcome code (`ok` or the error code) and duration. */
  onCall?: (op: string, code: string, seconds: number) => void;
  /** Called with defects (INTERNAL), for the log. */
  onDefect?: (error: CorralError, op: string) => void;
  /** Called with plugins' `log()` lines (at most MAX_LOG_LINES_PER_CALL per call), for the log. */
  onPluginLog?: (line: PluginLogLine) => void;
}

const VALIDATORS: Record<Exclude<RpcOp, 'health'>, (value: unknown) => Validation<unknown>> = {
  loadPlugin: validateLoadPluginParams,
  render: validateRenderParams,
  event: validateEventParams,
  disposePlugin: validateDisposePluginParams,
};

/** Failures that mark a plugin as a suspect: it held its worker as long as it was allowed to. */
const SUSPECT_CODES: ReadonlySet<string> = new Set(['LIMIT_TIME', 'LIMIT_MEMORY', 'LIMIT_STACK']);

export function createPluginHost(options: PluginHostOptions): PluginHost {
  const lanes = createLanes(options);
  const tracker = createCallTracker(options.onPluginLog);
  lanes.onDiagnostic(tracker.onDiagnostic);
  let inFlight = 0;
  return {
    inFlight: () => inFlight,
    loaded: () => lanes.cache.size(),
    quarantined: () => lanes.cache.count((p) => p.quarantined),
    async execute(tenant, message, { collect = false, requestId } = {}) {
      const started = performance.now();
      const request = readRequest(message);
      const op: string = 'ok' in request ? 'invalid' : request.op;
      let rename: Exchange['rename'] = null;
      const notifications: RpcNotification[] = [];
      const done = (response: RpcResponse, resultJson: string | null = null): Exchange => {
        options.onCall?.(op, response.ok ? 'ok' : response.error.code, (performance.now() - started) / 1000);
        return { response, notifications, rename, resultJson };
      };
      if ('ok' in request) return done(request);
      const { id } = request;
      const fail = (error: CorralError) => done({ id, ok: false, error: error.toWire() });
      const key = admit(lanes, request, { tenant, inFlight, maxQueue: options.maxQueue });
      if (key instanceof CorralError) return fail(key);
      let untrack: (() => void) | null = null;
      if (key !== null) {
        const pluginId = (request.params as { pluginId: string }).pluginId;
        rename = { from: key, to: pluginId };
        const record = { tenant, pluginId, requestId, notifications: collect ? notifications : null };
        untrack = tracker.track(key, record);
      }
      inFlight++;
      try {
        const result = await lanes.run(tenant, request, key);
        if (result instanceof JsonText) return done({ id, ok: true, result: null }, result.text);
        return done({ id, ok: true, result });
      } catch (error) {
        return fail(failed(lanes, CorralError.fromUnknown(error), { key, op, onDefect: options.onDefect }));
      } finally {
        inFlight--;
        untrack?.();
      }
    },
  };
}

/** The sandbox id a request may run under (`null` for health), or why it may not run. */
function admit(
  lanes: Lanes,
  request: RpcRequest,
  { tenant, inFlight, maxQueue }: { tenant: string; inFlight: number; maxQueue: number },
): string | null | CorralError {
  const invalid = checkParams(request);
  if (invalid) return invalid;
  let key: string | null = null;
  if (request.op !== 'health') {
    const { pluginId } = request.params;
    key = lanes.cache.keyOf(tenant, pluginId);
    if (request.op !== 'loadPlugin' && !lanes.cache.use(key)) {
      return new CorralError('UNKNOWN_PLUGIN', `No plugin '${pluginId}' is loaded`, { pluginId });
    }
  }
  if (inFlight >= maxQueue) {
    return new CorralError('OVERLOADED', `The server has ${inFlight} calls in flight; retry shortly`, {
      maxQueue,
      retryAfterSeconds: 1,
    });
  }
  return key;
}

/** What a failed call does to this replica, and what the caller is told. */
function failed(
  lanes: Lanes,
  failure: CorralError,
  { key, op, onDefect }: { key: string | null; op: string; onDefect?: PluginHostOptions['onDefect'] },
): CorralError {
  if (key && SUSPECT_CODES.has(failure.code)) lanes.suspect(key);
  // After a memory or stack failure the worker may rebuild its engine, and it does so at
  // the start of its next call. Make that call ours, now, rather than a caller's.
  if (failure.code === 'LIMIT_MEMORY' || failure.code === 'LIMIT_STACK') lanes.warm();
  // The sandbox lost it (a worker that could not reload it): this replica holds it no more.
  if (failure.code === 'UNKNOWN_PLUGIN' && key) lanes.cache.drop(key);
  if (failure.code !== 'INTERNAL') return failure;
  // A defect: the log gets everything, the caller only the code (no messages, no stacks).
  onDefect?.(failure, op);
  return new CorralError('INTERNAL', 'Internal error in the Corral server; its log has the details');
}

/**
 * Validate params with the contract's validators, exactly as the runtime would: for render and
 * event with the (potentially large) states set aside, as the runtime does. The states came
 * from JSON.parse, so only their depth can fail: core's client checks them (INVALID_STATE)
 * before the request crosses to a worker, which validates the whole request again.
 */
function checkParams(request: RpcRequest): CorralError | null {
  if (request.op === 'health') {
    const extra = Object.keys(request.params)[0];
    return extra === undefined
      ? null
      : new CorralError(
          'INVALID_REQUEST',
          `Invalid request: /: must NOT have additional properties ('${extra}')`,
          {
            path: '',
            issue: `must NOT have additional properties ('${extra}')`,
          },
        );
  }
  let params: unknown = request.params;
  if (request.op === 'render' || request.op === 'event') {
    const envelope: Record<string, unknown> = { ...request.params };
    if ('pluginState' in envelope) envelope.pluginState = null;
    if ('globalState' in envelope) envelope.globalState = null;
    params = envelope;
  }
  const result = VALIDATORS[request.op](params);
  if (result.ok) return null;
  const first = result.issues[0]!;
  return new CorralError('INVALID_REQUEST', `Invalid request: ${result.message}`, {
    path: first.path,
    issue: first.message,
  });
}
