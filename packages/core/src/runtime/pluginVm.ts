/**
 * @module pluginVm
 * One plugin's QuickJS runtime and context, and the single path every call into it takes:
 * arm the deadline and the heap budget, call the bootstrap's entry with JSON strings, drain
 * promise jobs under the same deadline and a job budget, and turn whatever happened into either
 * an output string or a CorralError.
 *
 * Engine facts this is built for:
 * - the interrupt handler does not run while promise jobs run unless we drain them ourselves;
 * - an interrupt can be swallowed into a promise rejection (quickjs), so "interrupted" is a
 *   sticky host-side flag rather than something read back from the VM;
 * - when the host's own stack overflows inside QuickJS (or the module aborts), the module's C
 *   state is unknown: disposing that runtime later can abort the module, so the engine is
 *   marked poisoned and replaced instead.
 */
import type { QuickJSContext, QuickJSHandle, QuickJSRuntime } from 'quickjs-emscripten-core';
import { CorralError, type ErrorCode, type RuntimeLimits } from '@corral/contracts';
import type { Clock } from '../clock.js';
import { BOOTSTRAP_SOURCE } from './bootstrap.js';
import { installBridge, type CallSink } from './bridge.js';
import { DirectCaller } from './directCall.js';
import type { Engine } from './engine.js';
import { CorruptedVmError } from './screening.js';
import {
  RECYCLE_CODES,
  bootstrapFailure,
  classifyThrow,
  failedBeforeRunning,
  limitError,
  thrownInfo,
  vmLimits,
  type CallFacts,
  type CallOutcome,
  type ThrownInfo,
  type VmResult,
} from './vmResult.js';

export type { CallOutcome, VmFailure, VmResult } from './vmResult.js';

export type { CallSink } from './bridge.js';

/** First char of an entry result carrying a bootstrap failure / a plugin throw. */
const FAILURE_MARK = 1;
const THROW_MARK = 2;
const MAX_STACK_TEXT = 2000;

export class PluginVm {
  private readonly runtime: QuickJSRuntime;
  private readonly context: QuickJSContext;
  private entry: QuickJSHandle | null = null;
  private caller: DirectCaller | null = null;
  private readonly ops: Record<'render' | 'event' | 'meta' | 'limits' | 'output' | 'empty', QuickJSHandle>;
  // No deadline while the constructor evaluates the bootstrap; every call sets its own.
  private deadline = Number.POSITIVE_INFINITY;
  private timeoutMs = 0;
  private timedOut = false;
  private sink: CallSink | null = null;
  private hostFailure: CorralError | null = null;
  private configured: RuntimeLimits | null = null;
  /** Set while `guard` runs a call. */
  private inCall = false;
  /** Set once the VM must not be used or disposed normally again. */
  broken = false;

  /**
   * Build a runtime and evaluate the bootstrap in it. This is the bulk of a plugin load's cost
   * and involves no plugin code, so a host can do it ahead of time (see `load`).
   */
  constructor(
    readonly engine: Engine,
    private readonly clock: Clock,
  ) {
    this.runtime = engine.module.newRuntime();
    this.runtime.setInterruptHandler(() => {
      // Outside a call only the bootstrap runs (trusted, bounded): the flags below belong to
      // whatever call ran last on this engine.
      if (!this.inCall) return false;
      // A refused grow or a host-side refusal (e.g. DISPATCH_LIMIT) ends the call at once,
      // whatever the plugin does with the error it got.
      if (this.engine.growRefused || this.hostFailure) return true;
      if (this.clock.now() > this.deadline) {
        this.timedOut = true;
        return true;
      }
      return false;
    });
    this.context = this.runtime.newContext();
    this.ops = {
      render: this.context.newString('render'),
      event: this.context.newString('event'),
      meta: this.context.newString('meta'),
      limits: this.context.newString('limits'),
      output: this.context.newString('output'),
      empty: this.context.newString(''),
    };
    installBridge(this.context, {
      sink: () => this.sink,
      refusal: () => this.hostFailure,
      refuse: (failure) => {
        this.hostFailure ??= failure;
      },
    });
    // The bootstrap evaluates to its entry point, so nothing of it stays on the global object.
    const boot = this.context.evalCode(BOOTSTRAP_SOURCE, 'corral-bootstrap.js');
    if (boot.error) {
      boot.error.dispose();
      this.dispose();
      throw new CorralError('INTERNAL', 'the plugin bootstrap failed to evaluate');
    }
    this.entry = boot.value;
    try {
      this.caller = new DirectCaller(engine.access, this.context, boot.value);
    } catch (error) {
      this.dispose();
      throw error;
    }
  }

  /** The plugin's limits; set by `load`. */
  get limits(): RuntimeLimits {
    if (!this.configured) throw new CorralError('INTERNAL', 'the plugin VM has no limits yet');
    return this.configured;
  }

  /**
   * Evaluate the plugin's code under its limits, then read its metadata. Runs under the load
   * deadline (from `startedAt`, default now) and the heap budget like any call. A VM holds one
   * plugin, once.
   */
  load(code: string, limits: RuntimeLimits, startedAt?: number): VmResult<string> {
    if (this.configured) {
      return failedBeforeRunning(new CorralError('INTERNAL', 'the plugin VM already holds a plugin'));
    }
    this.configured = limits;
    // QuickJS's own limit still refuses single huge allocations up front; the engine's heap
    // gate catches everything else.
    this.runtime.setMemoryLimit(limits.memoryBytes);
    this.runtime.setMaxStackSize(limits.stackBytes);
    return this.guard(limits.loadTimeoutMs, null, startedAt, () => {
      this.callEntry(this.ops.limits, '', vmLimits(limits), 'INTERNAL');
      const result = this.context.evalCode(code, 'plugin.js');
      if (result.error) {
        // A definePlugin refusal thrown at top level is INVALID_PLUGIN, anything else LOAD_FAILED.
        let loadError: CorralError;
        try {
          this.throwFromVm(result.error, 'LOAD_FAILED');
        } catch (error) {
          loadError = CorralError.fromUnknown(error);
        }
        if (loadError!.code === 'LOAD_FAILED') {
          try {
            const refusal = this.context.newString('refusal');
            try {
              this.callEntry(refusal, '', '', 'INVALID_PLUGIN');
            } finally {
              refusal.dispose();
            }
          } catch (error) {
            if (error instanceof CorralError && error.code === 'INVALID_PLUGIN') throw error;
          }
        }
        throw loadError!;
      }
      result.value.dispose();
      this.drainJobs();
      try {
        return this.callEntry(this.ops.meta, '', '', 'INVALID_PLUGIN');
      } catch (error) {
        if (
          error instanceof CorralError &&
          (error.code === 'INVALID_OUTPUT' || error.code === 'OUTPUT_TOO_LARGE')
        ) {
          throw new CorralError('INVALID_PLUGIN', `The plugin definition is invalid: ${error.message}`);
        }
        throw error;
      }
    });
  }

  /**
   * Run a render or event through the bootstrap's entry point, then serialize what it produced
   * in a second entry call on a stack only as deep as the output may nest (`outputDepth`).
   */
  call(
    op: 'render' | 'event',
    name: string,
    inputJson: string,
    timeoutMs: number,
    sink: CallSink,
    outputDepth: number,
  ): VmResult<string> {
    return this.guard(timeoutMs, sink, undefined, () => {
      this.callEntry(this.ops[op], name, inputJson, 'PLUGIN_THREW');
      this.drainJobs();
      this.runtime.setMaxStackSize(this.engine.serializationStackBytes(outputDepth));
      try {
        return this.callEntry(this.ops.output, this.ops.empty, this.ops.empty, 'PLUGIN_THREW');
      } finally {
        this.runtime.setMaxStackSize(this.limits.stackBytes);
      }
    });
  }

  /** Bytes this plugin's runtime holds, as QuickJS accounts them. */
  memoryUsage(): number {
    if (this.broken) return 0;
    // Read from QuickJS's text report, formatted in C: `computeMemoryUsage()` builds its answer
    // as an object inside the plugin's own runtime, which then keeps ~42 KiB for good (measured
    // over 200 runtimes, both engines), so asking for a plugin's memory once (`health`) grew
    // every plugin from 114 to 152 KiB of heap.
    const used = /^memory used\s+\d+\s+(\d+)/m.exec(this.runtime.dumpMemoryUsage());
    return used ? Number(used[1]) : 0;
  }

  /** Free the runtime. Throws if the module aborts; the caller then poisons the engine. */
  dispose(): void {
    if (this.broken) return;
    this.broken = true;
    this.caller?.dispose();
    this.entry?.dispose();
    for (const handle of Object.values(this.ops)) handle.dispose();
    this.context.dispose();
    this.runtime.dispose();
  }

  private callEntry(
    op: QuickJSHandle,
    name: string | QuickJSHandle,
    input: string | QuickJSHandle,
    throwCode: ErrorCode,
  ): string {
    if (!this.caller) throw new CorralError('INTERNAL', 'the plugin VM has no entry point');
    const result = this.caller.call(op, name, input);
    if (result.error) this.throwFromVm(result.error, throwCode);
    // The entry returns a string or throws.
    const text = result.text;
    const mark = text.charCodeAt(0);
    // What the VM reports is rebuilt by host code from what it may hold (see vmResult).
    if (mark === FAILURE_MARK)
      throw bootstrapFailure(text.slice(1), typeof input === 'string' ? input : null);
    if (mark === THROW_MARK) throw classifyThrow(thrownInfo(text.slice(1)), throwCode, this.facts());
    return text;
  }

  /** The sticky facts of the call in progress, for naming what it threw. */
  private facts(): CallFacts {
    return {
      growRefused: this.engine.growRefused,
      timedOut: this.timedOut,
      timeoutMs: this.timeoutMs,
      limits: this.limits,
    };
  }

  /** Map an error value that escaped the entry (engine-raised: interrupt, OOM, stack). */
  private throwFromVm(handle: QuickJSHandle, fallback: ErrorCode): never {
    let info: ThrownInfo = {};
    try {
      const ctx = this.context;
      if (ctx.typeof(handle) === 'object') {
        for (const key of ['name', 'message', 'stack'] as const) {
          const prop = ctx.getProp(handle, key);
          if (ctx.typeof(prop) === 'string') info[key] = ctx.getString(prop).slice(0, MAX_STACK_TEXT);
          prop.dispose();
        }
      } else if (ctx.typeof(handle) === 'string') {
        info = { message: ctx.getString(handle).slice(0, MAX_STACK_TEXT) };
      }
    } catch {
      // An out-of-memory heap may not even let us read the error; the flags still tell.
    } finally {
      handle.dispose();
    }
    throw classifyThrow(info, fallback, this.facts());
  }

  /**
   * Run promise jobs one at a time, so the deadline (checked by the interrupt handler inside a
   * job, and here between jobs) and the job budget both hold.
   */
  private drainJobs(): void {
    let jobs = 0;
    while (this.runtime.hasPendingJob()) {
      if (this.clock.now() > this.deadline) {
        this.timedOut = true;
        throw limitError('LIMIT_TIME', this.timeoutMs);
      }
      if (++jobs > this.limits.maxPendingJobs) {
        this.timedOut = true;
        throw new CorralError(
          'LIMIT_TIME',
          `the call queued more than ${this.limits.maxPendingJobs} promise jobs`,
          {
            limit: 'maxPendingJobs',
            maxPendingJobs: this.limits.maxPendingJobs,
          },
        );
      }
      const result = this.runtime.executePendingJobs(1);
      if (result.error) {
        // A rejected job is the plugin's business, unless it was our interrupt or the heap gate.
        result.error.dispose();
        if (this.timedOut) throw limitError('LIMIT_TIME', this.timeoutMs);
        if (this.engine.growRefused) throw limitError('LIMIT_MEMORY', this.limits.memoryBytes);
      }
    }
  }

  /**
   * The one guarded section around every entry into the VM: arms the deadline and heap
   * budget (the deadline from `startedAt`, or now), converts host-level faults into a poisoned
   * engine, and reports what happened.
   */
  private guard(
    timeoutMs: number,
    sink: CallSink | null,
    startedAt: number | undefined,
    body: () => string,
  ): VmResult<string> {
    if (this.broken)
      return failedBeforeRunning(new CorralError('INTERNAL', 'the plugin VM was already disposed'));
    this.timeoutMs = timeoutMs;
    this.deadline = (startedAt ?? this.clock.now()) + timeoutMs;
    this.timedOut = false;
    this.hostFailure = null;
    this.sink = sink;
    this.engine.beginCall(this.limits.memoryBytes);
    this.inCall = true;
    let failure: CorralError | null = null;
    let output = '';
    try {
      output = body();
    } catch (error) {
      failure = error instanceof CorralError ? error : this.hostFault(error);
    } finally {
      this.inCall = false;
      this.engine.endCall();
      this.sink = null;
    }
    // A built-in that never calls back (e.g. a naive substring search over a huge string) can
    // run far past the deadline without one interrupt: a call that would succeed late fails.
    if (!failure && !this.timedOut && this.clock.now() > this.deadline) this.timedOut = true;
    const outcome: CallOutcome = { interrupted: this.timedOut, memoryError: this.engine.growRefused };
    // Sticky flags win over whatever the plugin did with the VM-side error, except that an
    // output the serializer could not fit is reported as what it is (and still recycled).
    if (this.engine.growRefused && failure?.code !== 'OUTPUT_TOO_LARGE') {
      failure = limitError('LIMIT_MEMORY', this.limits.memoryBytes);
    } else if (this.timedOut && failure?.code !== 'LIMIT_TIME') failure = limitError('LIMIT_TIME', timeoutMs);
    else if (this.hostFailure) failure = this.hostFailure;
    if (failure) {
      return {
        ok: false,
        error: failure,
        outcome,
        recycle:
          RECYCLE_CODES.has(failure.code) || outcome.memoryError || failure instanceof CorruptedVmError,
      };
    }
    return { ok: true, output, outcome };
  }

  /** Something threw on the host side of the boundary: the module's state is unknown. */
  private hostFault(error: unknown): CorralError {
    this.broken = true;
    this.engine.poisoned = true;
    const message = error instanceof Error ? error.message : String(error);
    if (error instanceof RangeError && /call stack/i.test(message)) {
      return new CorralError(
        'LIMIT_STACK',
        'The plugin recursed past the host stack; the engine is being replaced',
        {
          limit: 'stackBytes',
          stackBytes: this.limits.stackBytes,
        },
      );
    }
    if (this.engine.growRefused) return limitError('LIMIT_MEMORY', this.limits.memoryBytes);
    return new CorralError('INTERNAL', `The QuickJS module failed: ${message.slice(0, 300)}`);
  }
}
