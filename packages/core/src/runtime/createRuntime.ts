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
import type { QuickJSSyncVariant, QuickJSWASMModule } from 'quickjs-emscripten-core';
import {
  CorralError,
  LIMIT_PROFILES,
  measureJsonText,
  resolveLimits,
  utf8Length,
  validateDisposePluginParams,
  validateEventParams,
  validateLoadPluginParams,
  validateRenderParams,
  type CallDiagnostic,
  type Diagnostic,
  type Dispatch,
  type DispatchSource,
  type DisposePluginParams,
  type EventParams,
  type EventResult,
  type HealthResult,
  type JSONValue,
  type LoadPluginParams,
  type LogDiagnostic,
  type PluginMeta,
  type RenderParams,
  type RenderResult,
  type RpcNotification,
  type RpcOp,
  type RpcRequest,
  type RpcResult,
  type RuntimeLimits,
  type Validation,
} from '@corral/contracts';
import { createSystemClock, type Clock } from '../clock.js';
import { pooledRandomSeeds } from '../randomSeeds.js';
import { Engine } from './engine.js';
import { deferTreeCheck, rememberResultJson } from './resultJson.js';
import { checkRenderTree } from './treeCheck.js';
import { StateText, checkStates, notJsonText } from '../states.js';
import { PluginVm, failureFacts, type CallSink } from './pluginVm.js';

/** How a runtime is built. */
export interface RuntimeOptions {
  /** The QuickJS build; `@jitl/quickjs-wasmfile-release-sync` and the quickjs-ng one are tested. */
  variant: QuickJSSyncVariant;
  /** A precompiled module for the variant's .wasm, so replacing the engine skips compilation. */
  wasmModule?: WebAssembly.Module;
  /** Time source (default: `performance`, `Date`, `setTimeout`). */
  clock?: Clock;
  /** Which host this is; stamped on every dispatch. Default `in-thread`. */
  source?: DispatchSource;
  /** Global action types the host accepts; others come back with `accepted: false`. Default none. */
  allowedGlobalActions?: readonly string[] | ((type: string) => boolean);
  /** Upper bound on any plugin's limits, whatever a load asks for. Default: the generous profile. */
  limitsCeiling?: RuntimeLimits;
  /** Hard ceiling of the shared WebAssembly heap. Default 1 GiB. */
  heapLimitBytes?: number;
  /** Failures (LIMIT_* or faults) within `windowMs` after which a plugin is errored. Default 5 in 60 s. */
  failureThreshold?: { count: number; windowMs: number };
  /** UUID source for dispatch ids. Default `crypto.randomUUID`. */
  randomUUID?: () => string;
  /** Seed source when a call brings none. Default `crypto.getRandomValues`, drawn 256 at a time. */
  randomSeed?: () => number;
  /**
   * Native stack of the thread this runtime runs on (default 984 KiB, V8's default). QuickJS's
   * recursion — plugin code, and JSON.stringify/parse of deep values — also uses the host's
   * stack, about 32× its own limit (measured), and if the host overflows first the module is
   * left in an unknown state and must be replaced. So a plugin's effective `stackBytes` is at
   * most 1/32 of this. Workers that raise their stack (`resourceLimits.stackSizeMb`) say so here.
   */
  hostStackBytes?: number;
  /** Test hook: called with every QuickJS module the runtime creates (e.g. for leak checks). */
  onModule?: (module: QuickJSWASMModule) => void;
}

/** How one call's result is delivered. */
export interface CallOptions {
  /**
   * Leave a render's tree unparsed and unchecked, for a receiver that parses it anyway to check
   * it (core's worker wire; see `treeCheck`). The result's JSON text is what to send on; its
   * `tree`, if read here, is parsed and checked on the spot. Default false.
   */
  deferTreeCheck?: boolean;
}

/** The in-thread engine. Every method throws CorralError on failure. */
export interface Runtime {
  loadPlugin(params: LoadPluginParams): Promise<PluginMeta>;
  render(params: RenderParams, options?: CallOptions): Promise<RenderResult>;
  event(params: EventParams): Promise<EventResult>;
  disposePlugin(params: DisposePluginParams): Promise<null>;
  health(): Promise<HealthResult>;
  /** Run one contract request (its params are validated like the methods'). */
  execute(request: RpcRequest, options?: CallOptions): Promise<RpcResult>;
  /** Diagnostics and log lines as they happen. Returns an unsubscribe function. */
  onNotification(listener: (notification: RpcNotification) => void): () => void;
  /** Free every plugin runtime and the engine. */
  dispose(): void;
}

interface PluginRecord {
  pluginId: string;
  code: string;
  limits: RuntimeLimits;
  meta: PluginMeta;
  reducers: ReadonlySet<string>;
  widgets: ReadonlySet<string>;
  handlers: ReadonlySet<string>;
  vm: PluginVm | null;
  failures: number[];
  status: 'ready' | 'errored';
}

const DEFAULT_HEAP_LIMIT = 1024 * 1024 * 1024;
const DEFAULT_HOST_STACK = 984 * 1024;
/** Host stack used per byte of QuickJS stack, worst case measured (deep JSON, array literals). */
const HOST_STACK_RATIO = 32;
/** Free heap tolerated after a memory failure before the engine is compacted. */
const COMPACT_SLACK = 8 * 1024 * 1024;
/** How deep a plugin state may nest. */
const STATE_DEPTH = 128;

export async function createRuntime(options: RuntimeOptions): Promise<Runtime> {
  const runtime = new RuntimeImpl(options);
  await runtime.start();
  return runtime;
}

/** What JSON text never holds raw, and the VM's input may not: RS (its separator) and U+0000. */
// eslint-disable-next-line no-control-regex
const SEPARATORS = /[\u0000\u001e]/;

/**
 * Validate render/event params: the envelope by the schema with the (potentially large) states
 * set aside, the states by `checkStates`, which is cheaper than the schema's walk.
 */
function checkCall<T extends RenderParams | EventParams>(
  validate: (v: unknown) => Validation<T>,
  params: T,
): T {
  if (typeof params !== 'object' || params === null) return check(validate(params));
  const envelope: Record<string, unknown> = { ...params };
  if ('pluginState' in envelope) envelope.pluginState = null;
  if ('globalState' in envelope) envelope.globalState = null;
  check(validate(envelope));
  const invalid = checkStates(params);
  if (invalid) throw invalid;
  return params;
}

function check<T>(result: Validation<T>): T {
  if (result.ok) return result.value;
  const first = result.issues[0]!;
  throw new CorralError('INVALID_REQUEST', `Invalid request: ${result.message}`, {
    path: first.path,
    issue: first.message,
  });
}

class RuntimeImpl implements Runtime {
  private readonly clock: Clock;
  private readonly source: DispatchSource;
  private readonly ceiling: RuntimeLimits;
  private readonly maxStackBytes: number;
  private readonly threshold: { count: number; windowMs: number };
  private readonly allowGlobal: (type: string) => boolean;
  private readonly uuid: () => string;
  private readonly seed: () => number;
  private readonly listeners = new Set<(n: RpcNotification) => void>();
  private readonly plugins = new Map<string, PluginRecord>();
  private engine: Engine | null = null;
  private moduleRestarts = 0;
  private queue: Promise<unknown> = Promise.resolve();
  /** Calls running or queued. */
  private busy = 0;
  /** VMs of calls that ran out of time, freed once the call has answered (see `retire`). */
  private retired: PluginVm[] = [];
  /** An engine replacement is queued. */
  private healing = false;
  /** A booted VM waiting for the next load, and the timer that builds one. */
  private spare: PluginVm | null = null;
  private spareTimer: ReturnType<typeof setTimeout> | null = null;
  private disposed = false;

  constructor(private readonly options: RuntimeOptions) {
    this.clock = options.clock ?? createSystemClock();
    this.source = options.source ?? 'in-thread';
    this.ceiling = options.limitsCeiling ?? LIMIT_PROFILES.generous;
    this.maxStackBytes = Math.floor((options.hostStackBytes ?? DEFAULT_HOST_STACK) / HOST_STACK_RATIO);
    this.threshold = options.failureThreshold ?? { count: 5, windowMs: 60_000 };
    const allowed = options.allowedGlobalActions ?? [];
    this.allowGlobal = typeof allowed === 'function' ? allowed : (type) => allowed.includes(type);
    this.uuid = options.randomUUID ?? (() => crypto.randomUUID());
    this.seed = options.randomSeed ?? pooledRandomSeeds();
  }

  async start(): Promise<void> {
    this.engine = await this.newEngine();
    this.buildSpare();
  }

  private async newEngine(): Promise<Engine> {
    const engine = await Engine.create({
      variant: this.options.variant,
      heapLimitBytes: this.options.heapLimitBytes ?? DEFAULT_HEAP_LIMIT,
      ...(this.options.wasmModule ? { wasmModule: this.options.wasmModule } : {}),
    });
    this.options.onModule?.(engine.module);
    return engine;
  }

  onNotification(listener: (notification: RpcNotification) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private notify(notification: RpcNotification): void {
    for (const listener of this.listeners) listener(notification);
  }

  /**
   * Calls run one at a time; a failed call never blocks the next. When nothing is queued and
   * the engine is sound, the call runs at once (its promise is already settled); otherwise it
   * waits its turn, and a poisoned engine is replaced first.
   */
  private serial<T>(task: () => T): Promise<T> {
    if (this.busy === 0 && !this.disposed && !this.engine?.poisoned) {
      this.busy++;
      this.freeRetired();
      try {
        return Promise.resolve(task());
      } catch (error) {
        return Promise.reject(error as Error);
      } finally {
        this.busy--;
        this.healSoon();
      }
    }
    this.busy++;
    const run = this.queue.then(async () => {
      if (this.disposed) throw new CorralError('OVERLOADED', 'The runtime has been disposed');
      await this.healEngine();
      this.freeRetired();
      return task();
    });
    const settled = (): void => {
      this.busy--;
      this.healSoon();
    };
    this.queue = run.then(settled, settled);
    return run;
  }

  /**
   * A call that left the engine poisoned queues its replacement at once, so the next call does
   * not wait for a module to be instantiated inside its own deadline.
   */
  private healSoon(): void {
    if (this.healing || this.disposed || !this.engine?.poisoned) return;
    this.healing = true;
    void this.serial(() => null)
      .catch(() => undefined)
      .finally(() => {
        this.healing = false;
      });
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

  // ---------------------------------------------------------------------------------------
  loadPlugin(params: LoadPluginParams): Promise<PluginMeta> {
    return this.serial(() => {
      const { pluginId, code, profile, limits: overrides } = check(validateLoadPluginParams(params));
      const limits = resolveLimits(profile, overrides, this.ceiling);
      limits.stackBytes = Math.max(16 * 1024, Math.min(limits.stackBytes, this.maxStackBytes));
      const codeBytes = utf8Length(code);
      if (codeBytes > limits.maxCodeBytes) {
        throw new CorralError(
          'CODE_TOO_LARGE',
          `The plugin source is ${codeBytes} bytes; the limit is ${limits.maxCodeBytes}`,
          {
            codeBytes,
            maxCodeBytes: limits.maxCodeBytes,
          },
        );
      }
      const started = this.clock.now();
      try {
        const { vm, meta } = this.instantiate(pluginId, code, limits, started);
        const previous = this.plugins.get(pluginId);
        this.plugins.set(pluginId, {
          pluginId,
          code,
          limits,
          meta,
          reducers: new Set(meta.reducers),
          widgets: new Set(meta.widgets.map((w) => w.id)),
          // A binding may name a reducer directly (the bootstrap gives it a dispatching handler).
          handlers: new Set([...meta.handlers, ...meta.reducers]),
          vm,
          failures: [],
          status: 'ready',
        });
        if (previous) this.release(previous);
        this.callDiagnostic(pluginId, 'loadPlugin', started, null, false, false);
        return meta;
      } catch (error) {
        const failure = CorralError.fromUnknown(error);
        const { outcome } = failureFacts(failure);
        this.callDiagnostic(
          pluginId,
          'loadPlugin',
          started,
          failure,
          outcome.interrupted,
          outcome.memoryError,
        );
        if (failure.code === 'LIMIT_MEMORY') this.engine?.compactAfterMemoryFailure(COMPACT_SLACK);
        throw failure;
      }
    });
  }

  /**
   * Build a VM, evaluate the code under the load deadline and read its metadata. A load call's
   * deadline runs from `startedAt`, when the call began, so building the VM (2-5 ms when no
   * spare is ready) is part of it: a top-level `while (true) {}` took 103-111 ms against a
   * 100 ms deadline when the VM was built first, 101-102 ms with a spare (measured).
   */
  private instantiate(
    pluginId: string,
    code: string,
    limits: RuntimeLimits,
    startedAt?: number,
  ): { vm: PluginVm; meta: PluginMeta } {
    const vm = this.freshVm();
    try {
      const { output } = vm.load(code, limits, startedAt);
      const shape = measureJsonText(output, limits.maxStateBytes + 64 * 1024, 256);
      if (shape.bytes > limits.maxStateBytes + 64 * 1024) {
        throw new CorralError('INVALID_PLUGIN', 'The plugin definition (with its initialState) is too large');
      }
      const parsed = JSON.parse(output) as Omit<PluginMeta, 'pluginId'>;
      const meta: PluginMeta = { pluginId, ...parsed };
      if (utf8Length(JSON.stringify(meta.initialState)) > limits.maxStateBytes) {
        throw new CorralError(
          'INVALID_PLUGIN',
          `initialState is larger than maxStateBytes (${limits.maxStateBytes})`,
        );
      }
      return { vm, meta };
    } catch (error) {
      this.discard(vm);
      throw error;
    }
  }

  /**
   * A booted VM for a plugin: the spare built while the runtime was idle if there is one (a
   * load then skips runtime creation and the bootstrap, most of its cost), else a new one.
   * Either way the next spare is built once the current task is over.
   */
  private freshVm(): PluginVm {
    const engine = this.engine!;
    const spare = this.spare;
    this.spare = null;
    this.scheduleSpare();
    if (spare && spare.engine === engine && !spare.broken) return spare;
    return new PluginVm(engine, this.clock);
  }

  private scheduleSpare(): void {
    if (this.spareTimer !== null || this.disposed) return;
    this.spareTimer = setTimeout(() => {
      this.spareTimer = null;
      this.buildSpare();
    }, 0);
  }

  private buildSpare(): void {
    const engine = this.engine;
    if (this.disposed || this.spare || !engine || engine.poisoned) return;
    try {
      this.spare = new PluginVm(engine, this.clock);
    } catch {
      // The next load builds its own VM and reports what goes wrong.
    }
  }

  // ---------------------------------------------------------------------------------------
  render(params: RenderParams, options: CallOptions = {}): Promise<RenderResult> {
    return this.serial(() => {
      const p = checkCall(validateRenderParams, params);
      const plugin = this.usable(p.pluginId, p.widgetId);
      return this.runCall(plugin, 'render', p.widgetId, p, plugin.limits.renderTimeoutMs, (output, call) => {
        const limits = plugin.limits;
        const check = {
          widgetId: p.widgetId,
          maxDepth: limits.maxOutputDepth,
          maxNodes: limits.maxOutputNodes,
        };
        const text = (r: RenderResult): string =>
          `{"tree":${output},"diagnostics":${JSON.stringify(r.diagnostics)}}`;
        const diagnostics = [call.diagnostic(), ...call.logs];
        if (options.deferTreeCheck) {
          // Sized and screened here; parsed and checked by the receiver. Read here, the tree
          // is parsed and checked on the spot.
          this.screenOutput(output, limits.maxOutputBytes, 'render output');
          const result = { diagnostics } as RenderResult;
          Object.defineProperty(result, 'tree', {
            get: () => checkRenderTree(JSON.parse(output), check),
            enumerable: true,
          });
          return deferTreeCheck(rememberResultJson(result, text), check);
        }
        const tree = checkRenderTree(this.parseOutput(output, limits.maxOutputBytes, 'render output'), check);
        return rememberResultJson({ tree, diagnostics }, text);
      });
    });
  }

  event(params: EventParams): Promise<EventResult> {
    return this.serial(() => {
      const p = checkCall(validateEventParams, params);
      const plugin = this.usable(p.pluginId, p.widgetId);
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
      return this.runCall(plugin, 'event', p.handler, p, plugin.limits.eventTimeoutMs, (output, call) => {
        const limits = plugin.limits;
        // The state, then each intent as a scope-and-type part and a payload part (see the
        // bootstrap). The VM is not trusted to have checked any of it.
        const parts = output.split('\u001e');
        const pluginState = this.parseOutput(parts[0]!, limits.maxStateBytes, 'plugin state') as JSONValue;
        if (parts.length % 2 === 0)
          throw corrupted(new CorralError('INVALID_OUTPUT', 'The event output is malformed'));
        const count = (parts.length - 1) / 2;
        if (count > limits.maxDispatchesPerEvent) {
          throw corrupted(
            new CorralError(
              'DISPATCH_LIMIT',
              `The handler dispatched more than ${limits.maxDispatchesPerEvent} actions`,
              { maxDispatchesPerEvent: limits.maxDispatchesPerEvent },
            ),
          );
        }
        const dispatches: Dispatch[] = [];
        for (let i = 1; i < parts.length; i += 2) {
          const { scope, type } = readIntent(parts[i]!);
          const payloadJson = parts[i + 1]!;
          const accepted = scope === 'plugin' ? plugin.reducers.has(type) : this.allowGlobal(type);
          const dispatch: Dispatch = {
            type,
            meta: {
              dispatchId: this.uuid(),
              scope,
              pluginId: plugin.pluginId,
              ts: call.now,
              source: this.source,
              accepted,
            },
          };
          if (payloadJson !== '') {
            dispatch.payload = this.parseOutput(
              payloadJson,
              limits.maxPayloadBytes,
              `payload of '${type.slice(0, 100)}'`,
              'DISPATCH_LIMIT',
            ) as JSONValue;
          }
          if (!accepted) {
            dispatch.meta.reason =
              scope === 'plugin'
                ? `the plugin has no reducer '${type}'`
                : `global action type '${type}' is not on the host's allowlist`;
          }
          dispatches.push(dispatch);
        }
        const dispatchDiagnostics: Diagnostic[] = dispatches.map((d) => ({
          kind: 'dispatch',
          dispatchId: d.meta.dispatchId,
          pluginId: plugin.pluginId,
          scope: d.meta.scope,
          type: d.type,
          accepted: d.meta.accepted,
        }));
        for (const diagnostic of dispatchDiagnostics) {
          if (diagnostic.kind === 'dispatch') this.notify({ notification: 'diagnostic', diagnostic });
        }
        return rememberResultJson(
          {
            pluginState,
            dispatches,
            diagnostics: [call.diagnostic(), ...dispatchDiagnostics, ...call.logs],
          },
          (r) =>
            `{"pluginState":${parts[0]!},"dispatches":${JSON.stringify(r.dispatches)},` +
            `"diagnostics":${JSON.stringify(r.diagnostics)}}`,
        );
      });
    });
  }

  /**
   * The shared path of render and event: size the states, pick now/seed, make sure the
   * plugin has a VM, run the call, check the output, account failures.
   */
  private runCall<T>(
    plugin: PluginRecord,
    op: 'render' | 'event',
    name: string,
    p: RenderParams | EventParams,
    timeoutMs: number,
    finish: (output: string, call: CallRecord) => T,
  ): T {
    const limits = plugin.limits;
    const started = this.clock.now();
    const now = p.now ?? this.clock.epochNow();
    const seed = p.seed ?? this.seed() >>> 0;
    const pluginStateJson = this.stateJson(p.pluginState, limits, 'pluginState');
    const globalStateJson = this.stateJson(p.globalState, limits, 'globalState');
    const eventJson = 'event' in p ? `,"event":${JSON.stringify(p.event)}` : '';
    // A state text from a worker's host is parsed on its own in the VM (see the bootstrap).
    const texts =
      (p.pluginState as unknown) instanceof StateText || (p.globalState as unknown) instanceof StateText;
    const input = texts
      ? `\u001e{"now":${now},"seed":${seed}${eventJson}}\u001e${pluginStateJson}\u001e${globalStateJson}`
      : `{"pluginState":${pluginStateJson},"globalState":${globalStateJson},"now":${now},"seed":${seed}${eventJson}}`;
    const call = new CallRecord(plugin, now, seed, op, started, this.clock, (n) => this.notify(n));
    let interrupted = false;
    let memoryError = false;
    try {
      const vm = this.vmFor(plugin);
      const heapBefore = this.engine!.heapBytes();
      // Render output nests about two JSON levels per tree level (node + children array).
      const outputDepth = op === 'render' ? limits.maxOutputDepth * 2 + 6 : STATE_DEPTH;
      const result = vm.call(op, name, input, timeoutMs, call, outputDepth);
      interrupted = result.outcome.interrupted;
      // The heap only grows when the free pool ran out; only then is the plugin's own usage
      // worth measuring against its limit (it costs ~0.1 ms).
      if (this.engine!.heapBytes() > heapBefore && vm.memoryUsage() > limits.memoryBytes) {
        memoryError = true;
        throw Object.assign(
          new CorralError(
            'LIMIT_MEMORY',
            `The plugin holds more than its ${limits.memoryBytes}-byte memory limit`,
            {
              memoryBytes: limits.memoryBytes,
            },
          ),
          { recycle: true },
        );
      }
      const value = finish(result.output, call);
      call.finish(null, interrupted, memoryError);
      return value;
    } catch (error) {
      const failure = CorralError.fromUnknown(error);
      const facts = failureFacts(failure);
      call.finish(
        failure,
        facts.outcome.interrupted || interrupted,
        facts.outcome.memoryError || memoryError,
      );
      if (facts.recycle) this.recordFailure(plugin, failure.code === 'LIMIT_TIME');
      if (failure.code === 'LIMIT_MEMORY') this.engine?.compactAfterMemoryFailure(COMPACT_SLACK);
      throw failure;
    }
  }

  private stateJson(state: JSONValue, limits: RuntimeLimits, what: string): string {
    // checkCall has checked a state value, which is serialized here, its one serialization. A
    // StateText (a worker's, see writeWorkerMessage) is the text the host's client made of a
    // value it checked the same way; it goes to the VM as it is, which parses it alone (see the
    // bootstrap). It must not hold the separator, nor U+0000: the input crosses as a C string.
    let text: string | undefined;
    try {
      if ((state as unknown) instanceof StateText) {
        text = (state as unknown as StateText).text;
        if (SEPARATORS.test(text)) throw notJsonText(what);
      } else text = JSON.stringify(state);
    } catch (error) {
      if (error instanceof CorralError) throw error;
      const reason = error instanceof Error ? error.message : String(error);
      throw new CorralError('INVALID_STATE', `${what} is not JSON: ${reason}`, { state: what });
    }
    if (text === undefined) throw new CorralError('INVALID_STATE', `${what} is not JSON`, { state: what });
    // UTF-8 takes at most 3 bytes per UTF-16 unit: short text needs no exact count.
    if (text.length * 3 <= limits.maxStateBytes) return text;
    const bytes = utf8Length(text);
    if (bytes > limits.maxStateBytes) {
      throw new CorralError(
        'INVALID_STATE',
        `${what} is ${bytes} bytes; the limit is ${limits.maxStateBytes}`,
        {
          state: what,
          bytes,
          maxStateBytes: limits.maxStateBytes,
        },
      );
    }
    return text;
  }

  /**
   * Size a VM output from its text before parsing it, then parse it. The VM already bounded
   * its value count and (by the serializer's stack) its depth, and JSON.parse does not recurse,
   * so the text's size is all that needs checking first; exact depth and node limits are
   * checked by the walk that validates the result.
   */
  private parseOutput(
    text: string,
    maxBytes: number,
    what: string,
    tooLarge: 'OUTPUT_TOO_LARGE' | 'DISPATCH_LIMIT' = 'OUTPUT_TOO_LARGE',
  ): unknown {
    this.screenOutput(text, maxBytes, what, tooLarge);
    // Text from the VM's JSON.stringify, already sized: parsing it yields plain JSON.
    return JSON.parse(text) as unknown;
  }

  /** The checks on an output's text that come before parsing it. */
  private screenOutput(
    text: string,
    maxBytes: number,
    what: string,
    tooLarge: 'OUTPUT_TOO_LARGE' | 'DISPATCH_LIMIT' = 'OUTPUT_TOO_LARGE',
  ): void {
    // UTF-8 takes at most 3 bytes per UTF-16 unit: short text needs no exact count.
    if (text.length * 3 > maxBytes) {
      const bytes = utf8Length(text);
      if (bytes > maxBytes) {
        throw new CorralError(tooLarge, `The ${what} is ${bytes} bytes; the limit is ${maxBytes}`, {
          bytes,
          maxBytes,
        });
      }
    }
    // JSON.parse makes "__proto__" an own key, but any host code that later copies the object
    // with assignment would set a prototype: refuse it outright.
    if (text.includes('"__proto__"')) {
      throw new CorralError('INVALID_OUTPUT', `The ${what} contains a "__proto__" key`, { key: '__proto__' });
    }
  }

  // ---------------------------------------------------------------------------------------
  disposePlugin(params: DisposePluginParams): Promise<null> {
    return this.serial(() => {
      const { pluginId } = check(validateDisposePluginParams(params));
      const plugin = this.plugins.get(pluginId);
      if (!plugin) throw new CorralError('UNKNOWN_PLUGIN', `No plugin '${pluginId}' is loaded`, { pluginId });
      this.plugins.delete(pluginId);
      this.release(plugin);
      return null;
    });
  }

  health(): Promise<HealthResult> {
    return this.serial(() => {
      const engine = this.engine!;
      return {
        source: this.source,
        engine: engine.name,
        heapBytes: engine.heapBytes(),
        moduleRestarts: this.moduleRestarts,
        plugins: [...this.plugins.values()].map((p) => ({
          pluginId: p.pluginId,
          status: p.status,
          memoryBytes: p.vm && !p.vm.broken ? p.vm.memoryUsage() : 0,
          recentFailures: this.recentFailures(p),
          limits: p.limits,
        })),
      };
    });
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (this.spareTimer !== null) clearTimeout(this.spareTimer);
    if (this.spare) this.discard(this.spare);
    this.spare = null;
    this.freeRetired();
    for (const plugin of this.plugins.values()) this.release(plugin);
    this.plugins.clear();
    this.engine = null;
    this.listeners.clear();
  }

  // ---------------------------------------------------------------------------------------
  /** The plugin, if it is loaded, not errored, and (when asked) has the widget. */
  private usable(pluginId: string, widgetId?: string): PluginRecord {
    const plugin = this.plugins.get(pluginId);
    if (!plugin) throw new CorralError('UNKNOWN_PLUGIN', `No plugin '${pluginId}' is loaded`, { pluginId });
    if (plugin.status === 'errored') {
      throw new CorralError(
        'PLUGIN_ERRORED',
        `Plugin '${pluginId}' failed too often and is disabled until it is reloaded`,
        {
          pluginId,
          recentFailures: this.recentFailures(plugin),
        },
      );
    }
    if (widgetId !== undefined && !plugin.widgets.has(widgetId)) {
      throw new CorralError('UNKNOWN_WIDGET', `Plugin '${pluginId}' has no widget '${widgetId}'`, {
        widgetId,
        widgets: [...plugin.widgets],
      });
    }
    return plugin;
  }

  /** The plugin's VM, rebuilt from its cached code if a failure recycled it. */
  private vmFor(plugin: PluginRecord): PluginVm {
    if (plugin.vm && !plugin.vm.broken) return plugin.vm;
    const { vm } = this.instantiate(plugin.pluginId, plugin.code, plugin.limits);
    plugin.vm = vm;
    return vm;
  }

  /**
   * Count a failure that recycles the plugin's VM. After LIMIT_TIME the VM is freed later
   * (`retire`): freeing what a call piled up before its deadline (say, 10^5 queued promise jobs)
   * took 2–6 ms, past the deadline the caller was promised. Memory failures free at once: the
   * engine measures its free heap right after.
   */
  private recordFailure(plugin: PluginRecord, freeLater = false): void {
    if (freeLater && plugin.vm) {
      this.retire(plugin.vm);
      plugin.vm = null;
    } else this.release(plugin);
    plugin.failures.push(this.clock.now());
    if (this.recentFailures(plugin) >= this.threshold.count) plugin.status = 'errored';
  }

  private recentFailures(plugin: PluginRecord): number {
    const since = this.clock.now() - this.threshold.windowMs;
    plugin.failures = plugin.failures.filter((t) => t >= since);
    return plugin.failures.length;
  }

  /** Free `vm` after the current call has answered: in a timer task, or before the next call. */
  private retire(vm: PluginVm): void {
    this.retired.push(vm);
    if (this.retired.length === 1) setTimeout(() => this.freeRetired(), 0);
  }

  private freeRetired(): void {
    // Never inside a call: calls into a VM are synchronous, so a timer cannot interrupt one.
    if (this.retired.length === 0) return;
    const vms = this.retired;
    this.retired = [];
    for (const vm of vms) this.discard(vm);
  }

  /** Free a VM; if the module cannot free it cleanly, the module is in doubt. */
  private discard(vm: PluginVm): void {
    if (this.engine?.poisoned) {
      vm.broken = true;
      return;
    }
    try {
      vm.dispose();
    } catch {
      if (this.engine) this.engine.poisoned = true;
    }
  }

  private release(plugin: PluginRecord): void {
    if (plugin.vm) this.discard(plugin.vm);
    plugin.vm = null;
  }

  /**
   * Replace a poisoned engine: a fresh module and heap, every plugin rebuilt from its cached
   * code. Plugin state is host-owned, so nothing is lost. Old VMs are dropped, never disposed:
   * freeing runtimes of a module in doubt is what aborts it.
   */
  private async healEngine(): Promise<void> {
    if (!this.engine?.poisoned) return;
    // The old module is dropped whole; its spare and retired VMs go with it (never disposed on a
    // doubtful heap).
    this.spare = null;
    this.retired = [];
    for (const plugin of this.plugins.values()) {
      if (plugin.vm) plugin.vm.broken = true;
      plugin.vm = null;
    }
    this.engine = await this.newEngine();
    this.moduleRestarts++;
    // Each plugin's VM is rebuilt from its cached code on its own next call (vmFor), so the call
    // that found the engine poisoned does not wait for every plugin of the host to reload.
    this.buildSpare();
  }

  private callDiagnostic(
    pluginId: string,
    op: RpcOp,
    started: number,
    failure: CorralError | null,
    interrupted: boolean,
    memoryError: boolean,
  ): CallDiagnostic {
    const diagnostic: CallDiagnostic = {
      kind: 'call',
      pluginId,
      op,
      elapsedMs: round(this.clock.now() - started),
      interrupted,
      memoryError,
    };
    if (failure) diagnostic.errorCode = failure.code;
    this.notify({ notification: 'diagnostic', diagnostic });
    return diagnostic;
  }
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

/**
 * A failure the bootstrap should have prevented: the plugin has tampered with the built-ins
 * the bootstrap relies on, so its runtime is recycled rather than trusted again.
 */
function corrupted(error: CorralError): CorralError {
  return Object.assign(error, { recycle: true });
}

/** Read an intent's scope-and-type part: "p" or "g", then the type as a JSON string. */
function readIntent(part: string): { scope: 'plugin' | 'global'; type: string } {
  const scope = part.charAt(0) === 'p' ? 'plugin' : part.charAt(0) === 'g' ? 'global' : null;
  let type: unknown;
  try {
    type = JSON.parse(part.slice(1));
  } catch {
    type = undefined;
  }
  if (scope === null || typeof type !== 'string') {
    throw corrupted(new CorralError('INVALID_OUTPUT', 'The event output is malformed'));
  }
  if (type.length === 0 || type.length > 200) {
    throw corrupted(
      new CorralError('DISPATCH_LIMIT', 'An action type must be 1 to 200 characters', {
        type: type.slice(0, 200),
      }),
    );
  }
  return { scope, type };
}

/**
 * Everything one render/event call collects: the bridge sink (intents, logs, now), and its
 * call diagnostic once it ends.
 */
class CallRecord implements CallSink {
  readonly logs: LogDiagnostic[] = [];
  private droppedLogs = 0;
  private readonly result: CallDiagnostic;

  constructor(
    private readonly plugin: PluginRecord,
    readonly now: number,
    readonly seed: number,
    private readonly op: 'render' | 'event',
    private readonly started: number,
    private readonly clock: Clock,
    private readonly notify: (n: RpcNotification) => void,
  ) {
    this.result = {
      kind: 'call',
      pluginId: plugin.pluginId,
      op,
      elapsedMs: 0,
      interrupted: false,
      memoryError: false,
      now,
      seed,
    };
  }

  /**
   * The bridge's dispatch functions carry only refusals the bootstrap found (intents travel
   * with the output): each ends the call with its code.
   */
  dispatch(_scope: 'plugin' | 'global', _type: string, refusalJson: string): void {
    let refusal: { code?: unknown; message?: unknown } = {};
    try {
      refusal = JSON.parse(refusalJson) as typeof refusal;
    } catch {
      // Not from the bootstrap: refused all the same.
    }
    const message = typeof refusal.message === 'string' ? refusal.message.slice(0, 300) : 'dispatch refused';
    throw new CorralError('DISPATCH_LIMIT', message, { op: this.op });
  }

  log(level: 'debug' | 'info' | 'warn' | 'error', message: string): void {
    const limits = this.plugin.limits;
    if (this.logs.length >= limits.maxLogsPerCall) {
      this.droppedLogs++;
      return;
    }
    let text = message.length > limits.maxLogBytes ? message.slice(0, limits.maxLogBytes) : message;
    while (utf8Length(text) > limits.maxLogBytes) text = text.slice(0, -1);
    const entry: LogDiagnostic = { kind: 'log', pluginId: this.plugin.pluginId, level, message: text };
    this.logs.push(entry);
    this.notify({ notification: 'log', log: entry });
  }

  callNow(): number {
    return this.now;
  }

  /** Complete the call's diagnostic (already referenced by the result) and publish it. */
  finish(failure: CorralError | null, interrupted: boolean, memoryError: boolean): void {
    if (this.droppedLogs > 0) {
      const note: LogDiagnostic = {
        kind: 'log',
        pluginId: this.plugin.pluginId,
        level: 'warn',
        message: `${this.droppedLogs} log line(s) dropped (maxLogsPerCall ${this.plugin.limits.maxLogsPerCall})`,
      };
      this.logs.push(note);
      this.notify({ notification: 'log', log: note });
    }
    this.result.elapsedMs = round(this.clock.now() - this.started);
    this.result.interrupted = interrupted;
    this.result.memoryError = memoryError;
    if (failure) this.result.errorCode = failure.code;
    this.notify({ notification: 'diagnostic', diagnostic: this.result });
  }

  diagnostic(): CallDiagnostic {
    return this.result;
  }
}
