/**
 * @module sandboxClient
 * The public shape of the client every host returns, and what an adapter hands it: the
 * supervisor that replaces a worker, the transport that can take a request back.
 */
import type {
  Diagnostic,
  DisposePluginParams,
  EventParams,
  EventResult,
  HealthResult,
  LoadPluginParams,
  PluginMeta,
  RenderParams,
  RenderResult,
  RuntimeLimits,
} from '@corral/contracts';
import type { Clock } from '../clock.js';
import type { FailureLedger } from './failureLedger.js';
import type { Transport } from './transport.js';

/** What a caller may say about one call, beside its params. */
export interface SandboxCallOptions {
  /**
   * Abort the call: it settles at once with CANCELLED, and if it was running its worker is
   * recycled (a stop button; an HTTP request whose client went away).
   */
  signal?: AbortSignal;
}

/** What every host returns: in-thread, Node worker, browser worker, HTTP. */
export interface SandboxClient extends AsyncDisposable {
  loadPlugin(params: LoadPluginParams, options?: SandboxCallOptions): Promise<PluginMeta>;
  render(params: RenderParams, options?: SandboxCallOptions): Promise<RenderResult>;
  event(params: EventParams, options?: SandboxCallOptions): Promise<EventResult>;
  disposePlugin(params: DisposePluginParams, options?: SandboxCallOptions): Promise<void>;
  health(options?: SandboxCallOptions): Promise<HealthResult>;
  /** Diagnostics (calls, dispatches) and plugin log lines as they arrive. */
  onDiagnostic(listener: (diagnostic: Diagnostic) => void): () => void;
  /** Reject pending calls, stop the other side. */
  close(): Promise<void>;
}

/**
 * A client that can hand a render's or an event's result over as the JSON text it crossed as,
 * without parsing it (for hosts that only forward it as JSON, like the HTTP server). The text is
 * the result's `JSON.stringify`; failures reject with the same typed errors as `render`/`event`.
 */
export interface JsonResultClient {
  callJson(
    op: 'render' | 'event',
    params: RenderParams | EventParams,
    options?: SandboxCallOptions,
  ): Promise<string>;
}

/**
 * A transport that can take back one request it was given (HTTP aborts its fetch; an
 * in-process service skips it if it has not started). `cancel` returns true when the request
 * will not run on, so nothing needs to be killed; the transport answers it or forgets it.
 */
export interface CancellableTransport extends Transport {
  cancel(id: number): boolean;
}

export function canCancel(transport: Transport): transport is CancellableTransport {
  return typeof (transport as Partial<CancellableTransport>).cancel === 'function';
}

/**
 * How an adapter replaces a worker. `spawn` starts a fresh one (a hot spare makes this
 * immediate) and resolves once it takes requests; `kill` terminates one hard.
 */
export interface Supervisor {
  spawn(): Promise<Transport>;
  kill(transport: Transport): void | Promise<void>;
  /** Consecutive failed boots after which respawning stops until `cooldownMs` passes. Default 3. */
  maxBootFailures?: number;
  /** Default 5000. */
  cooldownMs?: number;
}

export interface SandboxClientOptions {
  clock?: Clock;
  /** Margin past a call's own deadline before the worker is declared stuck. Default 250 ms. */
  graceMs?: number;
  /** Deadline for calls whose plugin limits are unknown (health, dispose, unknown ids). Default 5000 ms. */
  defaultTimeoutMs?: number;
  /**
   * The other side's limits ceiling (its `limitsCeiling`), so calls are timed by the limits it
   * grants. Default: the generous profile, the runtime's own default ceiling.
   */
  limitsCeiling?: RuntimeLimits;
  /** Without one, an overrun call is rejected but nothing is killed (in-process transports). */
  supervisor?: Supervisor;
  /** Called after a worker is replaced (for metrics). */
  onRestart?: (reason: string) => void;
  /**
   * Each plugin's failures as this host saw them, kills included. Members of one pool share
   * one, so a plugin's count follows it from worker to worker. Default: the client's own.
   */
  ledger?: FailureLedger;
}

/** A member of a pool: any client, with the JSON path if it has one. */
export type Member = SandboxClient & Partial<JsonResultClient>;

/** A pool reads like one SandboxClient, plus what a host wants to watch. */
export interface SandboxPool extends SandboxClient, JsonResultClient {
  /** Calls sent and not yet settled, over all members. */
  queueDepth(): number;
  /** Which member a plugin is assigned to (its home), if it was loaded. */
  memberOf(pluginId: string): number | undefined;
  /** Every member that holds the plugin now, its home first. */
  replicasOf(pluginId: string): number[];
  /** Whether the plugin's calls go to the isolation lane now. */
  isolated(pluginId: string): boolean;
}

export interface SandboxPoolOptions {
  /** Measures call costs and cool-downs. Default: the system clock. */
  clock?: Clock;
  /** Called after every member has been closed (e.g. to stop a hot spare). */
  onClose?: () => void | Promise<void>;
  /** Spread hot plugins over more members (see the module doc). Default true. */
  replicate?: boolean;
  /** Calls in flight on a plugin's least-busy member before it spreads to another. Default 2. */
  replicateAt?: number;
  /**
   * A plugin whose calls cost more than this (ms, estimated from round trips and the calls
   * queued ahead of them) never spreads; nor does one not measured yet. Default 5.
   */
  replicateMaxCallMs?: number;
  /** After a failure, how long a plugin stays on its home member alone. Default 60 s. */
  replicateCooldownMs?: number;
  /**
   * The ledger every member charges (it is reset here when a caller loads a plugin) and how to
   * start the isolation lane's member. Without it, nothing is isolated.
   */
  isolation?: { ledger: FailureLedger; start: () => Promise<Member> };
}
