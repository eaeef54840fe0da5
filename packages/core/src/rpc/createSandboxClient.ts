/**
 * @module createSandboxClient
 * The client side of the contract, shared by every host: request ids, a host-side deadline per
 * call (`CallLine`), transparent re-load of a plugin the other side does not hold (a replaced
 * worker, an evicted server cache: `HeldPlugins`), the supervisor hook adapters use to hard-kill
 * a stuck worker and replace it (`Respawner`), and each plugin's failures counted where a
 * worker's death cannot reset them (`FailureLedger`).
 *
 * When a worker is killed or dies, the call it was running is the one that fails, and its
 * plugin is charged; the calls queued behind it never started, so they are sent again to the
 * replacement and their callers see no error. Every call takes an `AbortSignal`: an aborted call
 * settles at once with CANCELLED; one that is running is stopped for real (the transport takes
 * it back, or the worker is recycled).
 */
import {
  CorralError,
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
} from '@corral/contracts';
import { createSystemClock, type Clock } from '../clock.js';
import { checkStates } from '../states.js';
import { CallLine, type Pending } from './callLine.js';
import { Displaced, abortable, cancelled, isCode, resultOf, type CallHow } from './callOutcome.js';
import { createFailureLedger, type FailureLedger } from './failureLedger.js';
import { HeldPlugins, type CachedPlugin } from './heldPlugins.js';
import { Respawner } from './respawner.js';
import {
  canCancel,
  type JsonResultClient,
  type SandboxCallOptions,
  type SandboxClient,
  type SandboxClientOptions,
} from './sandboxClient.js';
import type { Transport } from './transport.js';

export type * from './sandboxClient.js';

/**
 * How much longer than its own deadline plus grace a call waits for a replacement worker: a
 * worker's boot when no hot spare is up (150–400 ms, more on a busy machine). A call that waits
 * has not run, so this is queueing, not the plugin's time.
 */
const REPLACEMENT_WAIT_MS = 1_000;

/** How often a call is sent again after the worker it waited on was replaced. */
const MAX_RESENDS = 5;

export function createSandboxClient(
  transport: Transport,
  options: SandboxClientOptions = {},
): SandboxClient & JsonResultClient {
  return new Client(transport, options);
}

class Client implements SandboxClient, JsonResultClient {
  private readonly clock: Clock;
  private readonly defaultTimeoutMs: number;
  private readonly line: CallLine;
  private readonly plugins = new HeldPlugins();
  private readonly ledger: FailureLedger;
  private readonly respawner: Respawner;
  private readonly listeners = new Set<(d: Diagnostic) => void>();
  private nextId = 1;
  private detach: (() => void)[] = [];
  private transport: Transport | null = null;
  private closed = false;

  constructor(
    transport: Transport,
    private readonly options: SandboxClientOptions,
  ) {
    this.clock = options.clock ?? createSystemClock();
    this.defaultTimeoutMs = options.defaultTimeoutMs ?? 5000;
    this.line = new CallLine(this.clock, options.graceMs ?? 250, (head) => this.overrun(head));
    this.ledger = options.ledger ?? createFailureLedger(this.clock);
    this.respawner = new Respawner(this.clock, options.supervisor, (t) => this.adopt(t));
    this.adopt(transport);
  }

  // --- public API ---------------------------------------------------------------------------
  async loadPlugin(params: LoadPluginParams, options?: SandboxCallOptions): Promise<PluginMeta> {
    const limits = HeldPlugins.limitsOf(params, this.options.limitsCeiling);
    const pluginId = typeof params?.pluginId === 'string' ? params.pluginId : null;
    // Loading again is how a caller re-enables a plugin, as the runtime's own circuit does. A
    // shared ledger is reset by its owner (a pool), whose members load plugins on their own too.
    if (pluginId !== null && !this.options.ledger) this.ledger.reset(pluginId);
    const how = { signal: options?.signal };
    const meta = await this.resending(() =>
      this.send('loadPlugin', params, pluginId, limits.loadTimeoutMs, how),
    );
    this.plugins.loaded(params, limits);
    return meta as PluginMeta;
  }

  render(params: RenderParams, options?: SandboxCallOptions): Promise<RenderResult> {
    return this.pluginCall('render', params, { signal: options?.signal }) as Promise<RenderResult>;
  }

  event(params: EventParams, options?: SandboxCallOptions): Promise<EventResult> {
    return this.pluginCall('event', params, { signal: options?.signal }) as Promise<EventResult>;
  }

  callJson(op: 'render' | 'event', params: RenderParams | EventParams, options?: SandboxCallOptions) {
    return this.pluginCall(op, params, { json: true, signal: options?.signal }) as Promise<string>;
  }

  async disposePlugin(params: DisposePluginParams, options?: SandboxCallOptions): Promise<void> {
    const cached = this.plugins.get(params?.pluginId);
    if (cached) this.plugins.forget(cached.params.pluginId);
    const how = { signal: options?.signal };
    try {
      await this.resending(() => this.send('disposePlugin', params, null, this.defaultTimeoutMs, how));
    } catch (error) {
      // The other side may have lost it already (replaced worker, evicted); we had it: done.
      if (!(cached && isCode(error, 'UNKNOWN_PLUGIN'))) throw error;
    }
  }

  async health(options?: SandboxCallOptions): Promise<HealthResult> {
    const how = { signal: options?.signal };
    const result = (await this.resending(() =>
      this.send('health', {}, null, this.defaultTimeoutMs, how),
    )) as HealthResult;
    // A plugin this host refuses is errored, whatever a fresh worker's count says.
    if (!Array.isArray(result?.plugins)) return result;
    const plugins = result.plugins.map((plugin) => {
      if (!this.ledger.refusal(plugin.pluginId)) return plugin;
      const recentFailures = Math.max(plugin.recentFailures, this.ledger.recentFailures(plugin.pluginId));
      return { ...plugin, status: 'errored' as const, recentFailures };
    });
    return { ...result, plugins };
  }

  onDiagnostic(listener: (diagnostic: Diagnostic) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.respawner.stop();
    const error = new CorralError('OVERLOADED', 'The sandbox client was closed');
    for (const entry of this.line.drain()) entry.reject(error);
    const transport = this.transport;
    this.unlink();
    if (transport) {
      if (this.options.supervisor) await this.options.supervisor.kill(transport);
      else await transport.close?.();
    }
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  // --- calls ----------------------------------------------------------------------------------
  /**
   * A render or event: refused here if the plugin's circuit is open; otherwise its plugin is
   * loaded into the current worker first if it does not hold it (and again, once, if the other
   * side says it lost it).
   */
  private pluginCall(op: 'render' | 'event', params: RenderParams | EventParams, how: CallHow) {
    const pluginId = typeof params?.pluginId === 'string' ? params.pluginId : null;
    const cached = this.plugins.get(pluginId);
    const limits = cached?.limits;
    const timeoutMs = limits
      ? op === 'render'
        ? limits.renderTimeoutMs
        : limits.eventTimeoutMs
      : this.defaultTimeoutMs;
    const attempt = async () => {
      const refused = pluginId === null ? null : this.ledger.refusal(pluginId);
      if (refused) throw refused;
      if (!cached) return this.send(op, params, pluginId, timeoutMs, how);
      // Awaited only when a load is needed: calls to a held plugin go out in their turn.
      const load = this.reload(cached);
      if (load) await abortable(load, op, how.signal);
      try {
        return await this.send(op, params, pluginId, timeoutMs, how);
      } catch (error) {
        if (!isCode(error, 'UNKNOWN_PLUGIN')) throw error;
        this.plugins.lost(cached.params.pluginId);
        await abortable(this.reload(cached)!, op, how.signal);
        return this.send(op, params, pluginId, timeoutMs, how);
      }
    };
    return this.resending(attempt);
  }

  /** Null when the current worker holds the plugin; else its load from cached code. */
  private reload(plugin: CachedPlugin): Promise<void> | null {
    return this.plugins.ensure(plugin, ({ params, limits }) =>
      this.send('loadPlugin', params, params.pluginId, limits.loadTimeoutMs, {}),
    );
  }

  /** `attempt`, made again while it fails only because the worker it waited on was replaced. */
  private async resending<T>(attempt: () => Promise<T>): Promise<T> {
    for (let resends = 0; ; resends++) {
      try {
        return await attempt();
      } catch (error) {
        if (!(error instanceof Displaced) || resends >= MAX_RESENDS || this.closed) throw error;
      }
    }
  }

  /** One request on the current worker (waiting for a replacement if one is starting). */
  private async send(op: RpcOp, params: unknown, pluginId: string | null, timeoutMs: number, how: CallHow) {
    const { signal, json = false } = how;
    if (this.closed) throw new CorralError('OVERLOADED', 'The sandbox client was closed');
    if (signal?.aborted) throw cancelled(op, signal, false);
    // Before anything crosses: a worker's structured clone would throw on some of what JSON
    // cannot carry, and JSON text (HTTP) would silently rewrite the rest.
    const invalid = op === 'render' || op === 'event' ? checkStates(params) : null;
    if (invalid) throw invalid;
    // The transport need not check the states again, unless the caller had a turn to change them.
    let statesChecked = true;
    if (!this.respawner.settled) {
      statesChecked = false;
      const waitMs = timeoutMs + this.line.graceMs + REPLACEMENT_WAIT_MS;
      await abortable(this.respawner.wait(waitMs, timeoutMs), op, signal);
    }
    if (!this.transport) {
      statesChecked = false;
      await abortable(this.respawn('no worker'), op, signal);
    }
    const transport = this.transport;
    if (!transport) throw this.respawner.unavailable();
    return new Promise<RpcResult | string>((resolve, reject) => {
      const id = this.nextId++;
      const request = { id, op, params } as RpcRequest;
      const onAbort = () => this.cancel(entry, signal!);
      const settled = () => signal?.removeEventListener('abort', onAbort);
      const entry: Pending = {
        ...{ id, op, pluginId, timeoutMs, sentAt: this.clock.now(), json, request },
        resolve: (result) => (settled(), resolve(result)),
        reject: (error) => (settled(), reject(error)),
      };
      this.line.add(entry);
      try {
        transport.post(request, { json, statesChecked });
      } catch (error) {
        this.line.remove(entry);
        reject(new CorralError('INVALID_REQUEST', `The request could not be sent: ${String(error)}`));
        return;
      }
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** A call failed: its plugin is charged if the failure is the plugin's (see FailureLedger). */
  private fail(entry: Pending, error: CorralError): void {
    if (entry.pluginId !== null && !entry.cancelled) this.ledger.charge(entry.pluginId, error);
    entry.reject(error);
  }

  /**
   * The caller gave up on a call: settle it now. If it is running (the head of the line), stop
   * it for real: the transport takes it back, or the worker is killed and replaced and the calls
   * behind it are sent again. A queued one stays in line, settled, until the other side answers.
   */
  private cancel(entry: Pending, signal: AbortSignal): void {
    if (entry.cancelled) return;
    const transport = this.transport;
    const sent = transport !== null && this.line.has(entry);
    const running = sent && this.line.head() === entry;
    const taken = sent && canCancel(transport) && transport.cancel(entry.id);
    const recycled = running && !taken && Boolean(this.options.supervisor);
    entry.cancelled = true;
    const reject = entry.reject;
    entry.resolve = () => undefined;
    entry.reject = () => undefined;
    reject(cancelled(entry.op, signal, recycled));
    if (taken) this.line.remove(entry);
    else if (recycled) this.replaceWorker(`${entry.op} was cancelled`);
  }

  private overrun(head: Pending): void {
    const killed = Boolean(this.options.supervisor && this.transport);
    const { timeoutMs } = head;
    const { graceMs } = this.line;
    const message = `The ${head.op} call overran its ${timeoutMs} ms deadline plus ${graceMs} ms grace`;
    this.fail(head, new CorralError('LIMIT_TIME', message, { limitMs: timeoutMs, graceMs, killed }));
    if (killed) this.replaceWorker(`${head.op} overran its deadline`);
  }

  // --- workers --------------------------------------------------------------------------------
  private adopt(transport: Transport): boolean {
    if (this.closed) return false;
    this.transport = transport;
    this.plugins.replaced();
    this.detach = [
      transport.on((message) => this.receive(message as RpcOutbound)),
      transport.onClose?.((reason) => this.transportDied(transport, reason)) ?? (() => undefined),
    ];
    return true;
  }

  private unlink(): void {
    for (const off of this.detach) off();
    this.detach = [];
    this.transport = null;
  }

  private respawn(reason: string): Promise<void> {
    return this.respawner.respawn(() => this.options.onRestart?.(reason));
  }

  /** Kill the worker now and replace it; the calls still in line did not run: they are sent again. */
  private replaceWorker(reason: string): void {
    const old = this.transport;
    this.unlink();
    for (const entry of this.line.drain()) entry.reject(new Displaced(reason));
    if (old) void Promise.resolve(this.options.supervisor!.kill(old)).catch(() => undefined);
    void this.respawn(reason);
  }

  private receive(message: RpcOutbound): void {
    if (typeof message !== 'object' || message === null) return;
    if ('notification' in message) {
      const diagnostic = message.notification === 'log' ? message.log : message.diagnostic;
      for (const listener of this.listeners) listener(diagnostic);
      return;
    }
    const entry = typeof message.id === 'number' ? this.line.answered(message.id) : undefined;
    if (!entry) return;
    this.respawner.answered();
    if (message.ok) entry.resolve(resultOf(message.result, entry.json));
    else this.fail(entry, CorralError.fromWire(message.error));
  }

  /** The worker died by itself: the call it was running fails, the rest go to a replacement. */
  private transportDied(transport: Transport, reason: string): void {
    if (transport !== this.transport || this.closed) return;
    this.unlink();
    const [running, ...waiting] = this.line.drain();
    if (running)
      this.fail(running, new CorralError('WORKER_CRASHED', `The worker stopped: ${reason}`, { reason }));
    for (const entry of waiting) entry.reject(new Displaced(reason));
    if (this.options.supervisor) void this.respawn(reason);
  }
}
