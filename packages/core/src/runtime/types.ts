/**
 * @module types
 * The runtime's public shape: how one is built (`RuntimeOptions`), its operations (`Runtime`),
 * and how one call's result is delivered (`CallOptions`).
 */
import type { QuickJSSyncVariant, QuickJSWASMModule } from 'quickjs-emscripten-core';
import type {
  DisposePluginParams,
  DispatchSource,
  EventParams,
  EventResult,
  HealthResult,
  LoadPluginParams,
  PluginMeta,
  RenderParams,
  RenderResult,
  RpcNotification,
  RpcRequest,
  RpcResult,
  RuntimeLimits,
} from '@corral/contracts';
import type { Clock } from '../clock.js';
import type { FailureThreshold } from '../rpc/failureLedger.js';

/** How a runtime is built. */
export interface RuntimeOptions {
  /** The QuickJS build; `@jitl/quickjs-wasmfile-release-sync` and the quickjs-ng one are tested. */
  variant: QuickJSSyncVariant;
  /** A precompiled module for the variant's .wasm, so replacing the engine skips compilation. */
  wasmModule?: WebAssembly.Module;
  /**
   * Serialize a few thousand values at start so V8 tiers up the module's JSON code before the
   * first plugin's output depends on it (~50-70 ms on a fresh module; once per thread and
   * variant). Default true. A boot someone waits for skips it; with a shared `wasmModule`, a
   * later runtime that does it tiers up the code for every thread.
   */
  tierUp?: boolean;
  /** Time source, for deadlines, `now` and the runtime's own timers. Default: the system clock. */
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
  failureThreshold?: FailureThreshold;
  /** UUID source for dispatch ids. Default `crypto.randomUUID`. */
  randomUUID?: () => string;
  /** Seed source when a call brings none. Default `crypto.getRandomValues`, drawn 256 at a time. */
  randomSeed?: () => number;
  /**
   * Native stack of the thread this runtime runs on (default 984 KiB, V8's default). A plugin
   * gets at most 1/32 of it as QuickJS stack (see `stackBudget`): 31 KiB by default, whatever
   * its profile asks. Workers that raise their stack (`resourceLimits.stackSizeMb`) say so here.
   * `health().maxStackBytes` reports the cap; a load it lowers reports `requestedStackBytes`.
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
