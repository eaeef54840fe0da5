/**
 * @module rpc
 * The wire protocol between a SandboxClient and a runtime service. The browser worker, the Node
 * worker and the HTTP server's `/v1/rpc` all speak exactly this.
 */
import type { JSONValue } from './json.js';
import type { LimitProfile, RuntimeLimits, RuntimeLimitsOverride } from './limits.js';
import type { Dispatch, DispatchScope, DispatchSource, PluginEvent, PluginMeta } from './plugin.js';
import type { ErrorCode, RuntimeError } from './error.js';
import type { UINode } from './ui.js';

/** Correlates a response with its request; unique among a client's pending calls. */
export type RequestId = number | string;

/** The operations a runtime answers. */
export type RpcOp = 'loadPlugin' | 'render' | 'event' | 'disposePlugin' | 'health';

/** Parameters of `loadPlugin`. */
export interface LoadPluginParams {
  /**
   * Id to load the plugin under; loading again under the same id replaces it.
   * @minLength 1
   * @maxLength 200
   */
  pluginId: string;
  /** The plugin's source: a script that calls `definePlugin({...})`. */
  code: string;
  /** Named limit profile (default: `default`). */
  profile?: LimitProfile;
  /** Limits overriding the profile's, clamped by the host's own ceiling. */
  limits?: RuntimeLimitsOverride;
}

/** Parameters of `render`. */
export interface RenderParams {
  /** @minLength 1 */
  pluginId: string;
  /** Which widget to render. */
  widgetId: string;
  /** The plugin's state snapshot, owned by the host. */
  pluginState: JSONValue;
  /** The host's global state snapshot (read-only to the plugin). */
  globalState: JSONValue;
  /** Time the plugin sees (ms since the epoch); the host fills it in when absent. */
  now?: number;
  /**
   * Seed for `Math.random` inside the call; the host fills it in when absent.
   * @TJS-type integer
   * @minimum 0
   * @maximum 4294967295
   */
  seed?: number;
}

/** Parameters of `event`. */
export interface EventParams {
  /** @minLength 1 */
  pluginId: string;
  /** The widget whose node produced the event. */
  widgetId: string;
  /** Name of the handler to run. */
  handler: string;
  /** What happened. */
  event: PluginEvent;
  /** The plugin's state snapshot before the event. */
  pluginState: JSONValue;
  /** The host's global state snapshot. */
  globalState: JSONValue;
  /** Time the plugin sees (ms since the epoch); the host fills it in when absent. */
  now?: number;
  /**
   * Seed for `Math.random` inside the call; the host fills it in when absent.
   * @TJS-type integer
   * @minimum 0
   * @maximum 4294967295
   */
  seed?: number;
}

/** Parameters of `disposePlugin`. */
export interface DisposePluginParams {
  /** @minLength 1 */
  pluginId: string;
}

/** Parameters of `health` (none; the schema allows no properties). */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- an interface so the schema gets additionalProperties: false
export interface HealthParams {}

/** Load a plugin. */
export interface LoadPluginRequest {
  /** Correlation id. */
  id: RequestId;
  /** Operation. */
  op: 'loadPlugin';
  /** Operation parameters. */
  params: LoadPluginParams;
}

/** Render a widget. */
export interface RenderRequest {
  /** Correlation id. */
  id: RequestId;
  /** Operation. */
  op: 'render';
  /** Operation parameters. */
  params: RenderParams;
}

/** Run a handler and its reducers. */
export interface EventRequest {
  /** Correlation id. */
  id: RequestId;
  /** Operation. */
  op: 'event';
  /** Operation parameters. */
  params: EventParams;
}

/** Unload a plugin and free its runtime. */
export interface DisposePluginRequest {
  /** Correlation id. */
  id: RequestId;
  /** Operation. */
  op: 'disposePlugin';
  /** Operation parameters. */
  params: DisposePluginParams;
}

/** Report the runtime's state. */
export interface HealthRequest {
  /** Correlation id. */
  id: RequestId;
  /** Operation. */
  op: 'health';
  /** Operation parameters. */
  params: HealthParams;
}

/** Any request, discriminated on `op`. */
export type RpcRequest =
  LoadPluginRequest | RenderRequest | EventRequest | DisposePluginRequest | HealthRequest;

/** Facts about one call, emitted for every call whatever its outcome. */
export interface CallDiagnostic {
  /** Discriminator. */
  kind: 'call';
  /** Plugin called (empty for `health`). */
  pluginId: string;
  /** Operation. */
  op: RpcOp;
  /** Wall time the call took inside the runtime. */
  elapsedMs: number;
  /** True when the call was stopped by its deadline or job budget. */
  interrupted: boolean;
  /** True when the call hit the memory cap. */
  memoryError: boolean;
  /** The error code, when the call failed. */
  errorCode?: ErrorCode;
  /** The `now` the call ran with (render and event), so it can be replayed. */
  now?: number;
  /** The `seed` the call ran with (render and event), so it can be replayed. */
  seed?: number;
  /**
   * The plugin's stack limit in force, in bytes: its limits' `stackBytes`, lowered to what this
   * host's thread can carry (`HealthResult.maxStackBytes`).
   * @minimum 0
   */
  stackBytes: number;
  /**
   * Present when the host lowered the plugin's stack: the `stackBytes` its profile and
   * overrides asked for.
   * @minimum 0
   */
  requestedStackBytes?: number;
  /** Which side a hybrid router ran the call on (absent outside a router). */
  placement?: Placement;
  /**
   * Why the router chose that side, in words (`requires secrets`, `design time: instant
   * feedback`, `server unavailable (OVERLOADED): fell back to local`).
   * @maxLength 1000
   */
  placementReason?: string;
}

/** The two sides a hybrid router chooses between: the local worker or the Corral server. */
export type Placement = 'local' | 'server';

/** Facts about one dispatch. */
export interface DispatchDiagnostic {
  /** Discriminator. */
  kind: 'dispatch';
  /** The dispatch's UUID. */
  dispatchId: string;
  /** The dispatching plugin. */
  pluginId: string;
  /** Scope asked for. */
  scope: DispatchScope;
  /** Action type. */
  type: string;
  /** Whether the host accepted it. */
  accepted: boolean;
}

/** One `log()` line written by a plugin. */
export interface LogDiagnostic {
  /** Discriminator. */
  kind: 'log';
  /** The plugin that logged. */
  pluginId: string;
  /** Severity. */
  level: 'debug' | 'info' | 'warn' | 'error';
  /** The line, truncated to the plugin's `maxLogBytes`. */
  message: string;
}

/**
 * A call that ran on both sides (authoritative replay) and came back different: the host
 * adopted the server's result. Emitted by a hybrid router, never by a runtime.
 */
export interface DivergenceDiagnostic {
  /** Discriminator. */
  kind: 'divergence';
  /** The plugin called. */
  pluginId: string;
  /** Operation. */
  op: 'render' | 'event';
  /** What differed: `tree`, `pluginState`, `dispatches` or `outcome` (one side failed). */
  fields: Array<'tree' | 'pluginState' | 'dispatches' | 'outcome'>;
  /** The side whose result the host adopted. */
  adopted: Placement;
  /** The local side's error code, when it failed. */
  localErrorCode?: ErrorCode;
  /** The server's error code, when it failed. */
  serverErrorCode?: ErrorCode;
}

/** Anything a call reports beside its result. */
export type Diagnostic = CallDiagnostic | DispatchDiagnostic | LogDiagnostic | DivergenceDiagnostic;

/** Result of `render`. */
export interface RenderResult {
  /** The widget's UI tree. */
  tree: UINode;
  /** What the call reported. */
  diagnostics: Diagnostic[];
}

/** Result of `event`. */
export interface EventResult {
  /** The plugin's state after its reducers ran. */
  pluginState: JSONValue;
  /** Every dispatch, stamped, in order (plugin-scoped ones already applied). */
  dispatches: Dispatch[];
  /** What the call reported. */
  diagnostics: Diagnostic[];
}

/** Status of one loaded plugin. */
export interface PluginHealth {
  /** The plugin. */
  pluginId: string;
  /** `errored` plugins fail fast with PLUGIN_ERRORED until reloaded. */
  status: 'ready' | 'errored';
  /** Bytes its QuickJS runtime holds. */
  memoryBytes: number;
  /** Failures inside the current window. */
  recentFailures: number;
  /** The limits in force (`stackBytes` as this host grants it). */
  limits: RuntimeLimits;
  /**
   * Present when the host lowered the plugin's stack: the `stackBytes` its profile and
   * overrides asked for.
   * @minimum 0
   */
  requestedStackBytes?: number;
}

/** Result of `health`. */
export interface HealthResult {
  /** Host kind. */
  source: DispatchSource;
  /** Engine name, e.g. `quickjs` or `quickjs-ng`. */
  engine: string;
  /** Size of the shared WebAssembly heap. */
  heapBytes: number;
  /** How many times the shared module has been replaced. */
  moduleRestarts: number;
  /**
   * The most QuickJS stack this host grants a plugin, in bytes: a fraction of its thread's
   * native stack (QuickJS's recursion also uses the host's stack). A load asking for more gets
   * this and says so (`requestedStackBytes`); none gets less than 16 KiB.
   * @minimum 0
   */
  maxStackBytes: number;
  /** Loaded plugins. */
  plugins: PluginHealth[];
}

/** Any operation's result. */
export type RpcResult = PluginMeta | RenderResult | EventResult | HealthResult | null;

/** A successful response. */
export interface RpcSuccess {
  /** Id of the request answered. */
  id: RequestId;
  /** Discriminator. */
  ok: true;
  /** The operation's result (`null` for `disposePlugin`). */
  result: RpcResult;
}

/** A failed response. */
export interface RpcFailure {
  /** Id of the request answered (`null` when the request had no readable id). */
  id: RequestId | null;
  /** Discriminator. */
  ok: false;
  /** What went wrong. */
  error: RuntimeError;
}

/** Any response. */
export type RpcResponse = RpcSuccess | RpcFailure;

/** A `log()` line, pushed as it happens. */
export interface LogNotification {
  /** Discriminator. */
  notification: 'log';
  /** The line. */
  log: LogDiagnostic;
}

/** A call or dispatch diagnostic, pushed as it happens. */
export interface DiagnosticNotification {
  /** Discriminator. */
  notification: 'diagnostic';
  /** The diagnostic. */
  diagnostic: CallDiagnostic | DispatchDiagnostic;
}

/** Runtime-initiated messages that answer no request. */
export type RpcNotification = LogNotification | DiagnosticNotification;

/** Anything a runtime sends to a client. */
export type RpcOutbound = RpcResponse | RpcNotification;

/** Re-exported for schema generation. */
export type { DispatchSource };
