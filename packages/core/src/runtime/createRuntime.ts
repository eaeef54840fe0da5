/**
 * @module createRuntime
 * The in-thread engine that executes the contract's operations. Every host — a Node worker, a
 * browser worker, the HTTP server — runs exactly this behind a transport.
 *
 * Guarantees:
 * - inputs are validated with the contract's validators and bounded before anything is parsed
 *   inside a VM; outputs are sized from the JSON text before the host parses or walks them;
 * - all or nothing: a call that fails returns only its error, never partial dispatches;
 * - one QuickJS runtime per plugin; after LIMIT_* the plugin's runtime is rebuilt from its
 *   cached code, after a module fault the whole engine is, and after too many failures in a
 *   window the plugin fails fast with PLUGIN_ERRORED until it is loaded again;
 * - calls run one at a time, in arrival order.
 */
import {
  CorralError,
  LIMIT_PROFILES,
  validateDisposePluginParams,
  validateEventParams,
  validateLoadPluginParams,
  validateRenderParams,
  type DispatchSource,
  type DisposePluginParams,
  type EventParams,
  type EventResult,
  type HealthResult,
  type LoadPluginParams,
  type PluginMeta,
  type RenderParams,
  type RenderResult,
  type RpcNotification,
  type RpcRequest,
  type RpcResult,
  type RuntimeLimits,
} from '@corral/contracts';
import { createSystemClock, type Clock } from '../clock.js';
import { pooledRandomSeeds } from '../randomSeeds.js';
import { DEFAULT_FAILURE_THRESHOLD } from '../rpc/failureLedger.js';
import { CallQueue } from './callQueue.js';
import { CallRecord, publishCallDiagnostic } from './callRecord.js';
import { CorruptedVmError, decodeEventOutput, dispatchDiagnostics, eventResult } from './eventOutput.js';
import type { PluginVm } from './pluginVm.js';
import { PluginTable, instantiate, loadLimits, pluginRecord, type PluginRecord } from './plugins.js';
import { renderResult } from './renderOutput.js';
import { callInput, check, checkCall } from './screening.js';
import { explainStackLimit, maxPluginStackBytes } from './stackBudget.js';
import type { CallOptions, Runtime, RuntimeOptions } from './types.js';
import { VmKeeper } from './vmKeeper.js';
import { QUIET, type CallOutcome, type VmFailure, type VmResult } from './vmResult.js';

export type { CallOptions, Runtime, RuntimeOptions } from './types.js';

const DEFAULT_HEAP_LIMIT = 1024 * 1024 * 1024;
/** Free heap tolerated after a memory failure before the engine is compacted. */
const COMPACT_SLACK = 8 * 1024 * 1024;
/** How deep a plugin state may nest. */
const STATE_DEPTH = 128;

export async function createRuntime(options: RuntimeOptions): Promise<Runtime> {
  const runtime = new RuntimeImpl(options);
  await runtime.start();
  return runtime;
}

/** One render or event, as `runCall` runs it. */
interface CallSpec<T> {
  plugin: PluginRecord;
  op: 'render' | 'event';
  /** The widget id (render) or handler name (event). */
  name: string;
  params: RenderParams | EventParams;
  timeoutMs: number;
  /** Check and decode the VM's output into the call's result. */
  finish: (output: string, call: CallRecord) => T;
}

class RuntimeImpl implements Runtime {
  private readonly clock: Clock;
  private readonly source: DispatchSource;
  private readonly ceiling: RuntimeLimits;
  private readonly maxStackBytes: number;
  private readonly allowGlobal: (type: string) => boolean;
  private readonly uuid: () => string;
  private readonly seed: () => number;
  private readonly listeners = new Set<(n: RpcNotification) => void>();
  private readonly plugins: PluginTable;
  private readonly keeper: VmKeeper;
  private readonly queue: CallQueue;
  private readonly notifier = (notification: RpcNotification): void => this.notify(notification);
  private disposed = false;

  constructor(options: RuntimeOptions) {
    this.clock = options.clock ?? createSystemClock();
    this.source = options.source ?? 'in-thread';
    this.ceiling = options.limitsCeiling ?? LIMIT_PROFILES.generous;
    this.maxStackBytes = maxPluginStackBytes(options.hostStackBytes);
    this.plugins = new PluginTable(this.clock, options.failureThreshold ?? DEFAULT_FAILURE_THRESHOLD);
    const allowed = options.allowedGlobalActions ?? [];
    this.allowGlobal = typeof allowed === 'function' ? allowed : (type) => allowed.includes(type);
    this.uuid = options.randomUUID ?? (() => crypto.randomUUID());
    this.seed = options.randomSeed ?? pooledRandomSeeds();
    this.keeper = new VmKeeper({
      variant: options.variant,
      heapLimitBytes: options.heapLimitBytes ?? DEFAULT_HEAP_LIMIT,
      clock: this.clock,
      ...(options.wasmModule ? { wasmModule: options.wasmModule } : {}),
      ...(options.tierUp === false ? { tierUp: false } : {}),
      ...(options.onModule ? { onModule: options.onModule } : {}),
    });
    this.queue = new CallQueue({
      disposed: () => this.disposed,
      poisoned: () => this.keeper.poisoned,
      heal: () => this.keeper.heal(() => this.dropVms()),
      beforeCall: () => this.keeper.freeRetired(),
    });
  }

  start(): Promise<void> {
    return this.keeper.start();
  }

  onNotification(listener: (notification: RpcNotification) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private notify(notification: RpcNotification): void {
    for (const listener of this.listeners) listener(notification);
  }

  execute(request: RpcRequest, options: CallOptions = {}): Promise<RpcResult> {
    switch (request.op) {
      case 'loadPlugin':
        return this.loadPlugin(request.params);
      case 'render':
        return this.render(request.params, options);
      case 'event':
        return this.event(request.params);
      case 'disposePlugin':
        return this.disposePlugin(request.params);
      case 'health':
        return this.health();
    }
  }

  loadPlugin(params: LoadPluginParams): Promise<PluginMeta> {
    return this.queue.run(() => {
      const { pluginId, code, profile, limits: overrides } = check(validateLoadPluginParams(params));
      const { limits, stack } = loadLimits({ code, profile, overrides }, this.ceiling, this.maxStackBytes);
      const started = this.clock.now();
      const target = {
        pluginId,
        op: 'loadPlugin' as const,
        stack,
        started,
        clock: this.clock,
        notify: this.notifier,
      };
      const loaded = instantiate(this.keeper, { pluginId, code, limits, startedAt: started });
      if (!loaded.ok) {
        const error = explainStackLimit(loaded.error, stack);
        publishCallDiagnostic(target, { failure: error, outcome: loaded.outcome });
        if (error.code === 'LIMIT_MEMORY') this.keeper.engine.compactAfterMemoryFailure(COMPACT_SLACK);
        throw error;
      }
      const { vm } = loaded.output;
      const meta: PluginMeta = { ...loaded.output.meta, ...stack };
      const previous = this.plugins.records.get(pluginId);
      this.plugins.records.set(pluginId, pluginRecord({ code, limits, stack, meta, vm }));
      if (previous) this.release(previous);
      publishCallDiagnostic(target, { failure: null, outcome: loaded.outcome });
      return meta;
    });
  }

  render(params: RenderParams, options: CallOptions = {}): Promise<RenderResult> {
    return this.queue.run(() => {
      const p = checkCall(validateRenderParams, params);
      const plugin = this.plugins.usable(p.pluginId, p.widgetId);
      const { limits } = plugin;
      return this.runCall({
        plugin,
        op: 'render',
        name: p.widgetId,
        params: p,
        timeoutMs: limits.renderTimeoutMs,
        finish: (output, call) =>
          renderResult(output, {
            widgetId: p.widgetId,
            limits,
            diagnostics: [call.diagnostic(), ...call.logs],
            deferTreeCheck: options.deferTreeCheck ?? false,
          }),
      });
    });
  }

  event(params: EventParams): Promise<EventResult> {
    return this.queue.run(() => {
      const p = checkCall(validateEventParams, params);
      const plugin = this.plugins.usable(p.pluginId, p.widgetId);
      if (!plugin.handlers.has(p.handler)) {
        throw new CorralError(
          'UNKNOWN_HANDLER',
          `Plugin '${p.pluginId}' has no handler or reducer '${p.handler}'`,
          {
            handler: p.handler,
            handlers: [...plugin.handlers],
          },
        );
      }
      return this.runCall({
        plugin,
        op: 'event',
        name: p.handler,
        params: p,
        timeoutMs: plugin.limits.eventTimeoutMs,
        finish: (output, call) => this.finishEvent(plugin, output, call),
      });
    });
  }

  private finishEvent(plugin: PluginRecord, output: string, call: CallRecord): EventResult {
    const decoded = decodeEventOutput(output, {
      pluginId: plugin.pluginId,
      limits: plugin.limits,
      reducers: plugin.reducers,
      allowGlobal: this.allowGlobal,
      now: call.now,
      source: this.source,
      uuid: this.uuid,
    });
    const dispatched = dispatchDiagnostics(plugin.pluginId, decoded.dispatches);
    for (const diagnostic of dispatched) this.notify({ notification: 'diagnostic', diagnostic });
    return eventResult(decoded, [call.diagnostic(), ...dispatched, ...call.logs]);
  }

  /**
   * The shared path of render and event: size the states, pick now/seed, make sure the
   * plugin has a VM, run the call, check the output, account failures.
   */
  private runCall<T>(spec: CallSpec<T>): T {
    const { plugin, op, params: p } = spec;
    const limits = plugin.limits;
    const started = this.clock.now();
    const now = p.now ?? this.clock.epochNow();
    const seed = p.seed ?? this.seed() >>> 0;
    const input = callInput(p, limits, now, seed);
    const call = new CallRecord({
      pluginId: plugin.pluginId,
      limits,
      stack: plugin.stack,
      op,
      now,
      seed,
      started,
      clock: this.clock,
      notify: this.notifier,
    });
    let outcome: CallOutcome = QUIET;
    try {
      const ran = this.runInVm(spec, input, call);
      if (!ran.ok) return this.failCall(plugin, call, ran);
      outcome = ran.outcome;
      const value = spec.finish(ran.output, call);
      call.finish({ failure: null, outcome });
      return value;
    } catch (error) {
      const failure = CorralError.fromUnknown(error);
      return this.failCall(plugin, call, {
        ok: false,
        error: failure,
        outcome,
        recycle: failure instanceof CorruptedVmError,
      });
    }
  }

  /** Run the call in the plugin's VM (rebuilt first if a failure recycled it), under its heap limit. */
  private runInVm(spec: CallSpec<unknown>, input: string, call: CallRecord): VmResult<string> {
    const { plugin, op } = spec;
    const limits = plugin.limits;
    const built = this.vmFor(plugin);
    if (!built.ok) return built;
    const vm = built.output;
    const engine = this.keeper.engine;
    const heapBefore = engine.heapBytes();
    // Render output nests about two JSON levels per tree level (node + children array).
    const outputDepth = op === 'render' ? limits.maxOutputDepth * 2 + 6 : STATE_DEPTH;
    const result = vm.call(op, spec.name, input, spec.timeoutMs, call, outputDepth);
    if (!result.ok) return result;
    // The heap only grows when the free pool ran out; only then is the plugin's own usage
    // worth measuring against its limit (it costs ~0.1 ms).
    if (engine.heapBytes() > heapBefore && vm.memoryUsage() > limits.memoryBytes) {
      const error = new CorralError(
        'LIMIT_MEMORY',
        `The plugin holds more than its ${limits.memoryBytes}-byte memory limit`,
        { memoryBytes: limits.memoryBytes },
      );
      return { ok: false, error, outcome: { ...result.outcome, memoryError: true }, recycle: true };
    }
    return result;
  }

  /** Report a failed call, recycle the plugin's VM if the failure says so, and throw its error. */
  private failCall(plugin: PluginRecord, call: CallRecord, failure: VmFailure): never {
    const { outcome, recycle } = failure;
    const error = explainStackLimit(failure.error, plugin.stack);
    call.finish({ failure: error, outcome });
    if (recycle) this.recordFailure(plugin, { freeLater: error.code === 'LIMIT_TIME' });
    if (error.code === 'LIMIT_MEMORY') this.keeper.engine.compactAfterMemoryFailure(COMPACT_SLACK);
    throw error;
  }

  disposePlugin(params: DisposePluginParams): Promise<null> {
    return this.queue.run(() => {
      const { pluginId } = check(validateDisposePluginParams(params));
      const plugin = this.plugins.loaded(pluginId);
      this.plugins.records.delete(pluginId);
      this.release(plugin);
      return null;
    });
  }

  health(): Promise<HealthResult> {
    return this.queue.run(() => {
      const engine = this.keeper.engine;
      return {
        source: this.source,
        engine: engine.name,
        heapBytes: engine.heapBytes(),
        moduleRestarts: this.keeper.moduleRestarts,
        maxStackBytes: this.maxStackBytes,
        plugins: [...this.plugins.records.values()].map((p) => ({
          pluginId: p.pluginId,
          status: p.status,
          memoryBytes: p.vm && !p.vm.broken ? p.vm.memoryUsage() : 0,
          recentFailures: this.plugins.recentFailures(p),
          limits: p.limits,
          ...(p.stack.requestedStackBytes === undefined
            ? {}
            : { requestedStackBytes: p.stack.requestedStackBytes }),
        })),
      };
    });
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.keeper.dispose();
    for (const plugin of this.plugins.records.values()) this.release(plugin);
    this.plugins.records.clear();
    this.keeper.close();
    this.listeners.clear();
  }

  /** The plugin's VM, rebuilt from its cached code if a failure recycled it. */
  private vmFor(plugin: PluginRecord): VmResult<PluginVm> {
    if (plugin.vm && !plugin.vm.broken) return { ok: true, output: plugin.vm, outcome: QUIET };
    const built = instantiate(this.keeper, {
      pluginId: plugin.pluginId,
      code: plugin.code,
      limits: plugin.limits,
    });
    if (!built.ok) return built;
    plugin.vm = built.output.vm;
    return { ok: true, output: plugin.vm, outcome: built.outcome };
  }

  /**
   * Count a failure that recycles the plugin's VM. After LIMIT_TIME the VM is freed later
   * (`retire`): freeing what a call piled up before its deadline (say, 10^5 queued promise jobs)
   * takes 2–6 ms, past the deadline the caller was promised. Memory failures free at once: the
   * engine measures its free heap right after.
   */
  private recordFailure(plugin: PluginRecord, options: { freeLater: boolean }): void {
    if (options.freeLater && plugin.vm) {
      this.keeper.retire(plugin.vm);
      plugin.vm = null;
    } else this.release(plugin);
    this.plugins.countFailure(plugin);
  }

  private release(plugin: PluginRecord): void {
    if (plugin.vm) this.keeper.discard(plugin.vm);
    plugin.vm = null;
  }

  /** A replaced engine's VMs are dropped, never disposed (see VmKeeper). */
  private dropVms(): void {
    for (const plugin of this.plugins.records.values()) {
      if (plugin.vm) plugin.vm.broken = true;
      plugin.vm = null;
    }
  }
}
