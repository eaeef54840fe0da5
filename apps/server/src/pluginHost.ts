/**
 * @module pluginHost
 * The contract, served against a SandboxClient: what `answer` in core does against a runtime,
 * plus what only a server needs — tenant-scoped plugin ids, the LRU of warm plugins, a bounded
 * number of calls in flight, the `server` source stamp, metrics, the quarantine lane, and the
 * notifications a call produced (so `/v1/rpc` can hand them to the client exactly as a worker
 * would post them). The REST routes and `/v1/rpc` both go through `execute`, so they cannot
 * drift apart.
 *
 * The quarantine lane: a plugin whose call overran a limit (time, memory, stack) is a suspect,
 * and the next time it is loaded — a client re-loading it after PLUGIN_ERRORED, say — it goes to
 * a separate small pool. A hostile plugin then slows only other suspects, never the benign
 * plugins sharing the main workers. (Moving it at once would reset the runtime's failure count
 * and so its circuit breaker; waiting for the re-load keeps both.)
 */
import {
  CorralError,
  validateDisposePluginParams,
  validateEventParams,
  validateLoadPluginParams,
  validateRenderParams,
  type Diagnostic,
  type HealthResult,
  type LogDiagnostic,
  type RpcNotification,
  type RpcOp,
  type RpcRequest,
  type RpcResponse,
  type RpcResult,
  type Validation,
} from '@corral/contracts';
import { JsonText, readRequest } from '@corral/core';
import { createPluginCache, type PluginCache } from './pluginCache.js';
import type { ServerSandbox } from './sandbox.js';

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

/** One `log()` line of a plugin, for the server's own log. */
export interface PluginLogLine {
  /** The id the tenant knows the plugin by. */
  pluginId: string;
  tenant: string;
  level: LogDiagnostic['level'];
  message: string;
  /** The request whose call logged it (absent when no call of that plugin was running). */
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
const MAX_SUSPECTS = 4096;
/**
 * Plugin log lines a call may put into the server's log; the rest are dropped (the runtime
 * already caps each line at the profile's `maxLogBytes`). A plugin must not be able to flood the
 * operator's log, whatever its own log bound.
 */
export const MAX_LOG_LINES_PER_CALL = 20;

/** A call in flight, as the diagnostics listener sees it. */
interface CallRecord {
  tenant: string;
  pluginId: string;
  requestId: string | undefined;
  /** Where the call's notifications go, when the caller asked for them. */
  notifications: RpcNotification[] | null;
  logged: number;
}

export function createPluginHost(options: PluginHostOptions): PluginHost {
  const { sandbox } = options;
  const quarantine = options.quarantine ?? null;
  const laneOf = (quarantined: boolean) => (quarantined && quarantine ? quarantine : sandbox);
  let inFlight = 0;
  const suspects = new Set<string>();
  const cache: PluginCache = createPluginCache(options.maxPlugins, (evicted) => {
    void laneOf(evicted.quarantined)
      .disposePlugin({ pluginId: evicted.key })
      .catch(() => undefined);
  });
  // One listener per sandbox, fanned out to the calls in flight for that plugin.
  const calls = new Map<string, Set<CallRecord>>();
  const onDiagnostic = (diagnostic: Diagnostic) => {
    const records = calls.get(diagnostic.pluginId);
    if (!records) return;
    const notification: RpcNotification =
      diagnostic.kind === 'log'
        ? { notification: 'log', log: diagnostic }
        : { notification: 'diagnostic', diagnostic };
    for (const record of records) record.notifications?.push(notification);
    if (diagnostic.kind === 'log') reportLog(records.values().next().value!, diagnostic);
  };
  for (const lane of quarantine ? [sandbox, quarantine] : [sandbox]) lane.onDiagnostic(onDiagnostic);

  function reportLog(record: CallRecord, { level, message }: LogDiagnostic): void {
    if (!options.onPluginLog || record.logged > MAX_LOG_LINES_PER_CALL) return;
    const { tenant, pluginId, requestId } = record;
    const line =
      ++record.logged > MAX_LOG_LINES_PER_CALL
        ? {
            level: 'warn' as const,
            message: `more than ${MAX_LOG_LINES_PER_CALL} log lines in one call; the rest are dropped`,
          }
        : { level, message };
    options.onPluginLog({ tenant, pluginId, ...line, ...(requestId ? { requestId } : {}) });
  }

  /** Register a call with the diagnostics listener; returns its removal. */
  function track(key: string, record: CallRecord): () => void {
    let records = calls.get(key);
    if (!records) calls.set(key, (records = new Set()));
    records.add(record);
    return () => {
      records.delete(record);
      if (records.size === 0) calls.delete(key);
    };
  }

  function suspect(key: string): void {
    if (!quarantine || cache.peek(key)?.quarantined) return;
    suspects.delete(key);
    suspects.add(key);
    if (suspects.size > MAX_SUSPECTS) suspects.delete(suspects.values().next().value!);
  }

  async function run(tenant: string, request: RpcRequest, key: string | null): Promise<RpcResult | JsonText> {
    const params = request.params as unknown as Record<string, unknown>;
    const inSandbox = { ...params, pluginId: key } as never;
    const held = key === null ? undefined : cache.peek(key);
    const lane = laneOf(held?.quarantined ?? false);
    switch (request.op) {
      case 'loadPlugin': {
        const quarantined = quarantine !== null && suspects.has(key!);
        const meta = await laneOf(quarantined).loadPlugin(inSandbox);
        cache.hold({ key: key!, tenant, pluginId: request.params.pluginId, quarantined });
        if (held && held.quarantined !== quarantined) {
          void lane.disposePlugin({ pluginId: key! }).catch(() => undefined);
        }
        return meta;
      }
      case 'render':
      case 'event':
        // The result only goes back out as JSON: take the worker's text, never parse it here.
        if (lane.callJson) return new JsonText(await lane.callJson(request.op, inSandbox));
        return request.op === 'render' ? lane.render(inSandbox) : lane.event(inSandbox);
      case 'disposePlugin':
        cache.drop(key!);
        await lane.disposePlugin(inSandbox);
        return null;
      case 'health': {
        const [main, other] = await Promise.all([sandbox.health(), quarantine?.health()]);
        return healthOf(tenant, other ? mergeHealth(main, other) : main);
      }
    }
  }

  /** Only this tenant's plugins, under the ids it knows them by. */
  function healthOf(tenant: string, health: HealthResult): HealthResult {
    const plugins = health.plugins.flatMap((p) => {
      const held = cache.peek(p.pluginId);
      return held && held.tenant === tenant ? [{ ...p, pluginId: held.pluginId }] : [];
    });
    return { ...health, plugins };
  }

  return {
    inFlight: () => inFlight,
    loaded: () => cache.size(),
    quarantined: () => cache.count((p) => p.quarantined),
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

      const admitted = admit(tenant, request);
      if (admitted instanceof CorralError) return fail(admitted);
      const key = admitted;
      if (key !== null) rename = { from: key, to: (request.params as { pluginId: string }).pluginId };
      const untrack =
        key === null
          ? null
          : track(key, {
              tenant,
              pluginId: rename!.to,
              requestId,
              notifications: collect ? notifications : null,
              logged: 0,
            });
      inFlight++;
      try {
        const result = await run(tenant, request, key);
        if (result instanceof JsonText) return done({ id, ok: true, result: null }, result.text);
        return done({ id, ok: true, result });
      } catch (error) {
        return fail(failed(CorralError.fromUnknown(error), key, op));
      } finally {
        inFlight--;
        untrack?.();
      }
    },
  };

  /** The sandbox key a request may run under (`null` for health), or why it may not run. */
  function admit(tenant: string, request: RpcRequest): string | null | CorralError {
    const invalid = checkParams(request);
    if (invalid) return invalid;
    let key: string | null = null;
    if (request.op !== 'health') {
      const { pluginId } = request.params;
      key = cache.keyOf(tenant, pluginId);
      if (request.op !== 'loadPlugin' && !cache.use(key)) {
        return new CorralError('UNKNOWN_PLUGIN', `No plugin '${pluginId}' is loaded`, { pluginId });
      }
    }
    if (inFlight >= options.maxQueue) {
      return new CorralError('OVERLOADED', `The server has ${inFlight} calls in flight; retry shortly`, {
        maxQueue: options.maxQueue,
        retryAfterSeconds: 1,
      });
    }
    return key;
  }

  /** What a failed call does to this replica, and what the caller is told. */
  function failed(failure: CorralError, key: string | null, op: string): CorralError {
    if (key && SUSPECT_CODES.has(failure.code)) suspect(key);
    // After a memory or stack failure the worker may rebuild its engine, and it does so at
    // the start of its next call. Make that call ours, now, rather than a caller's.
    if (failure.code === 'LIMIT_MEMORY' || failure.code === 'LIMIT_STACK') {
      void Promise.all([sandbox.health(), quarantine?.health()]).catch(() => undefined);
    }
    // The sandbox lost it (a worker that could not reload it): this replica holds it no more.
    if (failure.code === 'UNKNOWN_PLUGIN' && key) cache.drop(key);
    if (failure.code !== 'INTERNAL') return failure;
    // A defect: the log gets everything, the caller only the code (no messages, no stacks).
    options.onDefect?.(failure, op);
    return new CorralError('INTERNAL', 'Internal error in the Corral server; its log has the details');
  }
}

function mergeHealth(a: HealthResult, b: HealthResult): HealthResult {
  return {
    ...a,
    heapBytes: a.heapBytes + b.heapBytes,
    moduleRestarts: a.moduleRestarts + b.moduleRestarts,
    plugins: [...a.plugins, ...b.plugins],
  };
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
