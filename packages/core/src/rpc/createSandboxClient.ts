/**
 * @module createSandboxClient
 * The client side of the contract, shared by every host: request ids, a host-side deadline per
 * call, rejection of every pending call when the transport dies, transparent re-load of a
 * plugin the other side does not hold (UNKNOWN_PLUGIN — a replaced worker, an evicted server
 * cache), and the supervisor hook adapters use to hard-kill a stuck worker and replace it.
 *
 * Every call takes an `AbortSignal`: an aborted call settles at once with CANCELLED. One that
 * is running is stopped for real — the worker is killed and replaced (with a supervisor), or the
 * transport is told to drop it (`cancel`: HTTP aborts the request) — and calls queued behind it
 * are sent again to the replacement, not failed.
 *
 * Why a watchdog at all: QuickJS's interrupt cannot stop everything (a built-in like a huge
 * sort never calls back), so the only hard guarantee is killing the thread. The runtime answers
 * calls in order, so the watchdog times the call at the head of the line from the later of its
 * send time and the previous answer: a busy-but-healthy worker is never killed for a queue.
 */
import {
  CorralError,
  LIMIT_PROFILES,
  resolveLimits,
  type Diagnostic,
  type DisposePluginParams,
  type EventParams,
  type EventResult,
  type HealthResult,
  type LoadPluginParams,
  type PluginMeta,
  type RenderParams,
  type RenderResult,
  type RpcOp,
  type RpcOutbound,
  type RpcRequest,
  type RpcResult,
  type RuntimeLimits,
} from '@corral/contracts';
import { createSystemClock, type Clock } from '../clock.js';
import { JsonText, type Transport } from './transport.js';
import { checkStates } from '../states.js';

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

function canCancel(transport: Transport): transport is CancellableTransport {
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
  /** Without one, an overrun call is rejected but nothing is killed (in-process transports). */
  supervisor?: Supervisor;
  /** Called after a worker is replaced (for metrics). */
  onRestart?: (reason: string) => void;
}

interface Pending {
  id: number;
  op: RpcOp;
  pluginId: string | null;
  timeoutMs: number;
  sentAt: number;
  /** Resolve with the result's JSON text rather than its value. */
  json: boolean;
  resolve: (result: RpcResult | string) => void;
  reject: (error: CorralError) => void;
  /** What was sent, to send it again to a replacement worker. */
  request?: RpcRequest;
  /**
   * Settled by its caller's signal. It stays in line until answered, because the other side
   * still runs it before the calls behind it: the watchdog times the line as it really is.
   */
  cancelled?: boolean;
}

interface CachedPlugin {
  params: LoadPluginParams;
  limits: RuntimeLimits;
}

export function createSandboxClient(
  transport: Transport,
  options: SandboxClientOptions = {},
): SandboxClient & JsonResultClient {
  return new Client(transport, options);
}

class Client implements SandboxClient, JsonResultClient {
  private readonly clock: Clock;
  private readonly graceMs: number;
  private readonly defaultTimeoutMs: number;
  private readonly pending = new Map<number, Pending>();
  private readonly plugins = new Map<string, CachedPlugin>();
  private readonly listeners = new Set<(d: Diagnostic) => void>();
  private nextId = 1;
  private lastProgress = 0;
  private timer: unknown = null;
  /** When the armed watchdog timer fires (it re-checks the head then). */
  private timerDue = Number.POSITIVE_INFINITY;
  private detach: (() => void)[] = [];
  private transport: Transport | null;
  private ready: Promise<void> = Promise.resolve();
  /** No replacement is being started: calls need not wait for `ready`. */
  private settled = true;
  private bootFailures = 0;
  private gaveUpAt: number | null = null;
  private closed = false;

  constructor(
    transport: Transport,
    private readonly options: SandboxClientOptions,
  ) {
    this.clock = options.clock ?? createSystemClock();
    this.graceMs = options.graceMs ?? 250;
    this.defaultTimeoutMs = options.defaultTimeoutMs ?? 5000;
    this.transport = transport;
    this.attach(transport);
  }

  // --- public API ---------------------------------------------------------------------------
  async loadPlugin(params: LoadPluginParams, options?: SandboxCallOptions): Promise<PluginMeta> {
    // An unknown profile is the other side's INVALID_REQUEST to report; the deadline here must
    // still be a real one.
    const profile =
      params?.profile && Object.hasOwn(LIMIT_PROFILES, params.profile) ? params.profile : 'default';
    const limits = resolveLimits(profile, params?.limits ?? {});
    const meta = (await this.call('loadPlugin', params, params?.pluginId ?? null, limits.loadTimeoutMs, {
      signal: options?.signal,
    })) as PluginMeta;
    this.plugins.set(params.pluginId, { params: { ...params }, limits });
    return meta;
  }

  render(params: RenderParams, options?: SandboxCallOptions): Promise<RenderResult> {
    return this.withReload('render', params, RENDER_TIMEOUT, {
      signal: options?.signal,
    }) as Promise<RenderResult>;
  }

  event(params: EventParams, options?: SandboxCallOptions): Promise<EventResult> {
    return this.withReload('event', params, EVENT_TIMEOUT, {
      signal: options?.signal,
    }) as Promise<EventResult>;
  }

  async disposePlugin(params: DisposePluginParams, options?: SandboxCallOptions): Promise<void> {
    const cached = this.plugins.get(params?.pluginId);
    this.plugins.delete(params?.pluginId);
    try {
      await this.call('disposePlugin', params, params?.pluginId ?? null, this.defaultTimeoutMs, {
        signal: options?.signal,
      });
    } catch (error) {
      // The other side may have lost it already (replaced worker, evicted); we had it: done.
      if (!(cached && error instanceof CorralError && error.code === 'UNKNOWN_PLUGIN')) throw error;
    }
  }

  health(options?: SandboxCallOptions): Promise<HealthResult> {
    return this.call('health', {}, null, this.defaultTimeoutMs, {
      signal: options?.signal,
    }) as Promise<HealthResult>;
  }

  callJson(
    op: 'render' | 'event',
    params: RenderParams | EventParams,
    options?: SandboxCallOptions,
  ): Promise<string> {
    const timeout = op === 'render' ? RENDER_TIMEOUT : EVENT_TIMEOUT;
    return this.withReload(op, params, timeout, { json: true, signal: options?.signal }) as Promise<string>;
  }

  onDiagnostic(listener: (diagnostic: Diagnostic) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.failAll(new CorralError('OVERLOADED', 'The sandbox client was closed'));
    const transport = this.transport;
    this.transport = null;
    for (const off of this.detach) off();
    if (transport) {
      if (this.options.supervisor) await this.options.supervisor.kill(transport);
      else await transport.close?.();
    }
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  // --- calls ----------------------------------------------------------------------------------
  /** A call that, if the other side lost the plugin, re-loads it from cached code and retries once. */
  private async withReload(
    op: 'render' | 'event',
    params: RenderParams | EventParams,
    timeout: (l: RuntimeLimits) => number,
    how: CallHow,
  ): Promise<RpcResult | string> {
    const pluginId = params?.pluginId;
    const cached = typeof pluginId === 'string' ? this.plugins.get(pluginId) : undefined;
    const timeoutMs = cached ? timeout(cached.limits) : this.defaultTimeoutMs;
    try {
      return await this.call(op, params, pluginId ?? null, timeoutMs, how);
    } catch (error) {
      if (!(error instanceof CorralError && error.code === 'UNKNOWN_PLUGIN' && cached)) throw error;
      await this.call('loadPlugin', cached.params, pluginId, cached.limits.loadTimeoutMs, {
        signal: how.signal,
      });
      return this.call(op, params, pluginId, timeoutMs, how);
    }
  }

  private async call(
    op: RpcOp,
    params: unknown,
    pluginId: string | null,
    timeoutMs: number,
    how: CallHow,
  ): Promise<RpcResult | string> {
    const { signal, json = false } = how;
    if (this.closed) throw new CorralError('OVERLOADED', 'The sandbox client was closed');
    if (signal?.aborted) throw cancelled(op, signal, false);
    // Before anything crosses: a worker's structured clone would throw on some of what JSON
    // cannot carry, and JSON text (HTTP) would silently rewrite the rest.
    const invalid = op === 'render' || op === 'event' ? checkStates(params) : null;
    if (invalid) throw invalid;
    // The transport need not check the states again, unless the caller had a turn to change them.
    let statesChecked = true;
    if (!this.settled) {
      statesChecked = false;
      await abortable(this.waitReady(timeoutMs), op, signal);
    }
    if (!this.transport) {
      statesChecked = false;
      await abortable(this.respawn('no worker'), op, signal);
    }
    const transport = this.transport;
    if (!transport) {
      throw new CorralError('WORKER_CRASHED', 'The worker could not be started; retrying after a cool-down', {
        bootFailures: this.bootFailures,
      });
    }
    return new Promise<RpcResult | string>((resolve, reject) => {
      const id = this.nextId++;
      const sentAt = this.clock.now();
      const request = { id, op, params } as RpcRequest;
      const onAbort = () => this.cancel(entry, signal!);
      const entry: Pending = {
        id,
        op,
        pluginId,
        timeoutMs,
        sentAt,
        json,
        request,
        resolve: (result) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(result);
        },
        reject: (error) => {
          signal?.removeEventListener('abort', onAbort);
          reject(error);
        },
      };
      if (this.pending.size === 0) this.lastProgress = entry.sentAt;
      this.pending.set(id, entry);
      try {
        transport.post(request, { json, statesChecked });
      } catch (error) {
        this.pending.delete(id);
        reject(new CorralError('INVALID_REQUEST', `The request could not be sent: ${String(error)}`));
        return;
      }
      signal?.addEventListener('abort', onAbort, { once: true });
      this.armWatchdog();
    });
  }

  /**
   * The caller gave up on a call: settle it now. If it is running (the head of the line), stop
   * it for real: the transport takes it back, or the worker is killed and replaced and the calls
   * behind it are sent again. A queued one stays in line, settled, until the other side answers.
   */
  private cancel(entry: Pending, signal: AbortSignal): void {
    if (entry.cancelled) return;
    const transport = this.transport;
    const sent = transport !== null && this.pending.get(entry.id) === entry;
    const running = sent && this.head() === entry;
    const taken = sent && canCancel(transport) && transport.cancel(entry.id);
    const recycled = running && !taken && Boolean(this.options.supervisor);
    entry.cancelled = true;
    const reject = entry.reject;
    entry.resolve = () => undefined;
    entry.reject = () => undefined;
    reject(cancelled(entry.op, signal, recycled));
    if (taken) {
      this.pending.delete(entry.id);
      this.armWatchdog();
    } else if (recycled) this.recycle(`${entry.op} was cancelled`);
  }

  /** Kill the worker now and replace it; the calls still in line are sent to the replacement. */
  private recycle(reason: string): void {
    const supervisor = this.options.supervisor!;
    const old = this.transport!;
    for (const off of this.detach) off();
    this.transport = null;
    const waiting = [...this.pending.values()].filter((entry) => !entry.cancelled);
    this.pending.clear();
    this.disarm();
    void Promise.resolve(supervisor.kill(old)).catch(() => undefined);
    void this.respawn(reason).then(() => this.resend(waiting));
  }

  /** Send calls again after a replacement (they never ran to an answer on the old worker). */
  private resend(entries: Pending[]): void {
    const transport = this.transport;
    for (const entry of entries) {
      if (entry.cancelled) continue;
      if (!transport || this.closed || !entry.request) {
        entry.reject(new CorralError('WORKER_CRASHED', 'The worker was replaced and no replacement started'));
        continue;
      }
      entry.sentAt = this.clock.now();
      if (this.pending.size === 0) this.lastProgress = entry.sentAt;
      this.pending.set(entry.id, entry);
      transport.post(entry.request, { json: entry.json, statesChecked: false });
    }
    this.armWatchdog();
  }

  /** Wait for a replacement worker, but no longer than the call's own deadline plus grace. */
  private async waitReady(timeoutMs: number): Promise<void> {
    let timer: unknown = null;
    const expired = new Promise<'expired'>((resolve) => {
      timer = this.clock.setTimeout(() => resolve('expired'), timeoutMs + this.graceMs);
    });
    const outcome = await Promise.race([this.ready.then(() => 'ready' as const), expired]);
    this.clock.clearTimeout(timer);
    if (outcome === 'expired') {
      throw new CorralError('WORKER_CRASHED', 'No worker became ready within the call deadline', {
        timeoutMs,
      });
    }
  }

  // --- transport events -----------------------------------------------------------------------
  private attach(transport: Transport): void {
    this.detach = [
      transport.on((message) => this.receive(message as RpcOutbound)),
      transport.onClose?.((reason) => this.transportDied(transport, reason)) ?? (() => undefined),
    ];
  }

  private receive(message: RpcOutbound): void {
    if (typeof message !== 'object' || message === null) return;
    if ('notification' in message) {
      const diagnostic = message.notification === 'log' ? message.log : message.diagnostic;
      for (const listener of this.listeners) listener(diagnostic);
      return;
    }
    const entry = typeof message.id === 'number' ? this.pending.get(message.id) : undefined;
    if (!entry) return;
    this.pending.delete(entry.id);
    this.lastProgress = this.clock.now();
    this.bootFailures = 0;
    if (message.ok) entry.resolve(resultOf(message.result as RpcResult | JsonText, entry.json));
    else entry.reject(CorralError.fromWire(message.error));
    this.armWatchdog();
  }

  private transportDied(transport: Transport, reason: string): void {
    if (transport !== this.transport || this.closed) return;
    for (const off of this.detach) off();
    this.transport = null;
    this.failAll(new CorralError('WORKER_CRASHED', `The worker stopped: ${reason}`, { reason }));
    if (this.options.supervisor) void this.respawn(reason);
  }

  // --- watchdog and supervision -----------------------------------------------------------------
  private head(): Pending | undefined {
    return this.pending.values().next().value;
  }

  /**
   * Time the head of the line. A timer already due no later than the head's deadline is kept
   * (it re-checks whatever the head is when it fires), so a busy line does not re-arm a timer
   * on every send and answer.
   */
  private armWatchdog(): void {
    const head = this.head();
    if (!head) return this.disarm();
    const due = Math.max(head.sentAt, this.lastProgress) + head.timeoutMs + this.graceMs;
    if (this.timer !== null && this.timerDue <= due) return;
    this.disarm();
    this.timerDue = due;
    this.timer = this.clock.setTimeout(() => this.overrun(), Math.max(0, due - this.clock.now()) + 1);
  }

  private disarm(): void {
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
    this.timerDue = Number.POSITIVE_INFINITY;
  }

  private overrun(confirmed = false): void {
    this.timer = null;
    this.timerDue = Number.POSITIVE_INFINITY;
    const head = this.head();
    if (!head) return;
    const startedAt = Math.max(head.sentAt, this.lastProgress);
    if (this.clock.now() < startedAt + head.timeoutMs + this.graceMs) return this.armWatchdog();
    if (!confirmed) {
      // Timers can run before messages that already arrived (a host that was itself blocked):
      // give queued replies one more turn before declaring the worker stuck.
      this.timerDue = this.clock.now();
      this.timer = this.clock.setTimeout(() => this.overrun(true), 0);
      return;
    }
    this.pending.delete(head.id);
    head.reject(
      new CorralError(
        'LIMIT_TIME',
        `The ${head.op} call overran its ${head.timeoutMs} ms deadline plus ${this.graceMs} ms grace`,
        {
          limitMs: head.timeoutMs,
          graceMs: this.graceMs,
          killed: Boolean(this.options.supervisor),
        },
      ),
    );
    const supervisor = this.options.supervisor;
    if (!supervisor || !this.transport) return this.armWatchdog();
    const stuck = this.transport;
    for (const off of this.detach) off();
    this.transport = null;
    this.failAll(
      new CorralError('WORKER_CRASHED', 'The worker was killed after a call overran its deadline', {
        killedFor: head.op,
      }),
    );
    void Promise.resolve(supervisor.kill(stuck)).catch(() => undefined);
    void this.respawn(`${head.op} overran its deadline`);
  }

  /**
   * Start a replacement and re-load every cached plugin into it. Boot failures back off and,
   * after `maxBootFailures` in a row, stop until the cool-down passes: no respawn loop.
   */
  private respawn(reason: string): Promise<void> {
    const supervisor = this.options.supervisor;
    if (!supervisor || this.closed) return this.ready;
    const maxFailures = supervisor.maxBootFailures ?? 3;
    const cooldownMs = supervisor.cooldownMs ?? 5000;
    if (this.gaveUpAt !== null && this.clock.now() - this.gaveUpAt < cooldownMs) return this.ready;
    this.gaveUpAt = null;
    this.settled = false;
    const ready = (async () => {
      while (!this.closed) {
        try {
          const transport = await supervisor.spawn();
          if (this.closed) {
            await supervisor.kill(transport);
            return;
          }
          this.transport = transport;
          this.attach(transport);
          await this.reloadAll(transport);
          this.options.onRestart?.(reason);
          return;
        } catch (error) {
          if (this.transport) {
            const failed = this.transport;
            for (const off of this.detach) off();
            this.transport = null;
            await Promise.resolve(supervisor.kill(failed)).catch(() => undefined);
          }
          this.bootFailures++;
          if (this.bootFailures >= maxFailures) {
            this.gaveUpAt = this.clock.now();
            return;
          }
          await new Promise((r) => this.clock.setTimeout(() => r(undefined), 20 * 2 ** this.bootFailures));
          void error;
        }
      }
    })();
    this.ready = ready;
    const settle = () => {
      if (this.ready === ready) this.settled = true;
    };
    void ready.then(settle, settle);
    return ready;
  }

  private async reloadAll(transport: Transport): Promise<void> {
    const reloads = [...this.plugins.values()].map(
      (plugin) =>
        new Promise<void>((resolve, reject) => {
          const id = this.nextId++;
          const entry: Pending = {
            id,
            op: 'loadPlugin',
            pluginId: plugin.params.pluginId,
            timeoutMs: plugin.limits.loadTimeoutMs,
            sentAt: this.clock.now(),
            json: false,
            // A plugin that no longer loads is left to fail on its own next call.
            resolve: () => resolve(),
            reject: (error) => (error.code === 'WORKER_CRASHED' ? reject(error) : resolve()),
          };
          if (this.pending.size === 0) this.lastProgress = entry.sentAt;
          this.pending.set(id, entry);
          transport.post({ id, op: 'loadPlugin', params: plugin.params });
          this.armWatchdog();
        }),
    );
    await Promise.all(reloads);
    if (this.transport !== transport)
      throw new CorralError('WORKER_CRASHED', 'The replacement worker died while booting');
  }

  private failAll(error: CorralError): void {
    const entries = [...this.pending.values()];
    this.pending.clear();
    this.disarm();
    for (const entry of entries) entry.reject(error);
  }
}

/** How one call is made: its caller's signal, and whether it wants the result as JSON text. */
interface CallHow {
  signal?: AbortSignal;
  json?: boolean;
}

/** The error of a call its caller aborted. */
function cancelled(op: RpcOp, signal: AbortSignal, recycled: boolean): CorralError {
  const reason: unknown = signal.reason;
  const why = reason instanceof Error ? reason.message : typeof reason === 'string' ? reason : null;
  return new CorralError('CANCELLED', `The ${op} call was cancelled by its caller${why ? `: ${why}` : ''}`, {
    op,
    recycled,
    ...(why ? { reason: why } : {}),
  });
}

/** `promise`, unless `signal` fires first: then CANCELLED (nothing was sent yet). */
function abortable<T>(promise: Promise<T>, op: RpcOp, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(cancelled(op, signal, false));
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error as Error);
      },
    );
  });
}

const RENDER_TIMEOUT = (l: RuntimeLimits): number => l.renderTimeoutMs;
const EVENT_TIMEOUT = (l: RuntimeLimits): number => l.eventTimeoutMs;

/** A result as the caller asked for it: its value, or its JSON text. */
function resultOf(result: RpcResult | JsonText, json: boolean): RpcResult | string {
  if (result instanceof JsonText) {
    if (json) return result.text;
    return (result.value ?? JSON.parse(result.text)) as RpcResult;
  }
  return json ? JSON.stringify(result) : result;
}
