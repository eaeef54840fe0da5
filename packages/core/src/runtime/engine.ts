/**
 * @module engine
 * Owns one QuickJS WebAssembly module — the heap every plugin runtime of this host shares — and
 * the one memory wall that actually holds.
 *
 * Why not `setMemoryLimit` alone: under Emscripten QuickJS cannot see allocation sizes, so its
 * limit counts 8 bytes per allocation; 1 MiB typed arrays grow the heap to 2 GiB under a 16 MiB
 * "limit". So the module gets a WebAssembly.Memory of our own with a hard `maximum`, and its
 * `grow` — which Emscripten calls whenever malloc needs more heap — is gated: while a plugin
 * call runs, the heap may grow by at most that plugin's `memoryBytes`. A refused grow makes
 * malloc return NULL, QuickJS raises "out of memory" inside the VM, and the call is failed with
 * LIMIT_MEMORY whatever the plugin does with that error. Nothing outside the offending call is
 * touched, so the other plugins always find the heap as they left it.
 */
import {
  newQuickJSWASMModuleFromVariant,
  newVariant,
  type QuickJSSyncVariant,
  type QuickJSWASMModule,
} from 'quickjs-emscripten-core';
import { bindModule, type ModuleAccess } from './directCall.js';

const PAGE = 64 * 1024;

/** Free heap left usable at boot, for the module's own small needs (see reserveInitialHeap). */
const INITIAL_HEAP_MARGIN = 256 * 1024;

/** QuickJS stack left for getters and toJSON during serialization (~200 bytes per JS frame). */
const SERIALIZER_HEADROOM = 8 * 1024;

/** Serializer stack costs are a property of the build: measured once per variant. */
const serializerStacks = new WeakMap<QuickJSSyncVariant, { base: number; perLevel: number }>();

/** How the shared module is built. */
export interface EngineOptions {
  /** The QuickJS build, e.g. `@jitl/quickjs-wasmfile-release-sync`. */
  variant: QuickJSSyncVariant;
  /** Hard ceiling of the shared WebAssembly heap. */
  heapLimitBytes: number;
  /** A precompiled module for the variant's .wasm, so replacing the engine skips compilation. */
  wasmModule?: WebAssembly.Module;
  /** Tier up the module's JSON code at boot (see `measureSerializerStack`). Default true. */
  tierUp?: boolean;
}

/** One live QuickJS module plus its gated heap. */
export class Engine {
  /** Set when the module may be corrupted (host stack overflow, abort): it must be replaced. */
  poisoned = false;
  /** Set when a grow was refused during the current call. */
  growRefused = false;
  private growLimit = Number.POSITIVE_INFINITY;
  /** Heap size right after boot: the baseline compaction compares against. */
  bootHeapBytes = 0;
  /** QuickJS stack JSON.stringify needs: a fixed base plus a cost per nesting level. */
  private serializerStack = { base: 0, perLevel: 0 };

  /** The module's C interface, for calls that skip the handle API (see directCall). */
  readonly access: ModuleAccess;

  private constructor(
    readonly module: QuickJSWASMModule,
    readonly memory: WebAssembly.Memory,
    readonly name: string,
  ) {
    this.access = bindModule(module);
  }

  static async create(options: EngineOptions): Promise<Engine> {
    const memory = new WebAssembly.Memory({
      initial: 256,
      maximum: Math.max(256, Math.floor(options.heapLimitBytes / PAGE)),
    });
    const gate: { engine: Engine | null } = { engine: null };
    const grow = memory.grow.bind(memory);
    memory.grow = (pages: number): number => {
      const engine = gate.engine;
      if (engine && memory.buffer.byteLength + pages * PAGE > engine.growLimit) {
        engine.growRefused = true;
        throw new RangeError('corral: plugin heap budget exhausted');
      }
      return grow(pages);
    };
    const module = await newQuickJSWASMModuleFromVariant(
      newVariant(options.variant, {
        wasmMemory: memory,
        ...(options.wasmModule ? { wasmModule: options.wasmModule } : {}),
      }),
    );
    const engine = new Engine(module, memory, detectEngineName(module));
    gate.engine = engine;
    let stack = serializerStacks.get(options.variant);
    if (!stack) {
      stack = measureSerializerStack(module, options.tierUp ?? true);
      serializerStacks.set(options.variant, stack);
    }
    engine.serializerStack = stack;
    engine.reserveInitialHeap();
    engine.bootHeapBytes = engine.heapBytes();
    return engine;
  }

  /**
   * The module's memory cannot start below the 16 MiB its build declares, and the gate only sees
   * growth: a call could fill the ~13 MiB left free at boot before its budget counted a byte (a
   * 4 MiB plugin held 8 MiB in `memoryBudget.test.ts`). So the free space of that initial heap is
   * taken by one block that is never used, leaving `INITIAL_HEAP_MARGIN`. Only the allocator's
   * words around it are written, so its pages stay untouched: it costs address space, not
   * resident memory. Found by halving with growth shut: the largest block that fits without a
   * grow. Skipped in debug builds, whose sanitizing allocator aborts on a refused allocation
   * instead of returning NULL (they run the leak test, not the memory limits).
   */
  private reserveInitialHeap(): void {
    const { heap, ffi } = this.access;
    if (ffi.DEBUG) return;
    this.growLimit = this.heapBytes();
    try {
      let fits = 0;
      let tooBig = this.heapBytes();
      while (tooBig - fits > PAGE) {
        const size = fits + Math.floor((tooBig - fits) / 2);
        const pointer = heap._malloc(size);
        if (pointer === 0) tooBig = size;
        else {
          heap._free(pointer);
          fits = size;
        }
      }
      if (fits > INITIAL_HEAP_MARGIN + PAGE) heap._malloc(fits - INITIAL_HEAP_MARGIN);
    } finally {
      this.growLimit = Number.POSITIVE_INFINITY;
      this.growRefused = false;
    }
  }

  /**
   * The QuickJS stack on which JSON.stringify (with a JS replacer, called from the bootstrap's
   * entry) can nest a little past `maxDepth` levels and no further, plus room for about 40
   * ordinary JS frames, so a plugin's getters and toJSON methods still run there. The extra
   * room lets a hostile value nest ~500 levels further in release builds, which keeps the
   * serializer's quadratic cycle check to a few milliseconds.
   */
  serializationStackBytes(maxDepth: number): number {
    const { base, perLevel } = this.serializerStack;
    return Math.ceil(base + perLevel * maxDepth * 1.25 + SERIALIZER_HEADROOM);
  }

  /** Bytes the shared heap currently spans (it never shrinks). */
  heapBytes(): number {
    return this.memory.buffer.byteLength;
  }

  /** Open the growth budget for one call. */
  beginCall(memoryBytes: number): void {
    this.growRefused = false;
    this.growLimit = this.heapBytes() + memoryBytes;
  }

  /**
   * WebAssembly memory never shrinks, and the allocator reuses freed blocks without growing
   * it. After a memory bomb that free pool would let the next plugin allocate far past its
   * limit unseen, so the engine is replaced (compacted) once the heap has grown well past boot.
   */
  compactAfterMemoryFailure(slackBytes: number): void {
    if (this.heapBytes() > this.bootHeapBytes + slackBytes) this.poisoned = true;
  }

  /** Close the budget: outside calls the heap grows only for runtime creation. */
  endCall(): void {
    this.growLimit = Number.POSITIVE_INFINITY;
  }
}

/**
 * How much QuickJS stack JSON.stringify takes per nesting level, and before the first, in this
 * build (debug builds take several times what release builds do): the deepest array it can
 * serialize is found at two stack sizes, and the line through both points gives the cost.
 */
function measureSerializerStack(
  module: QuickJSWASMModule,
  tierUp: boolean,
): { base: number; perLevel: number } {
  const runtime = module.newRuntime();
  const context = runtime.newContext();
  try {
    const probe = context.unwrapResult(
      context.evalCode(`(function deepest() {
        function nest(n) { var v = []; for (var i = 0; i < n; i++) v = [v]; return v; }
        function fits(n) {
          try { JSON.stringify(nest(n), function (k, v) { return v; }); return true; } catch (e) { return false; }
        }
        var lo = 0, hi = 1024;
        while (lo < hi) { var mid = (lo + hi + 1) >> 1; if (fits(mid)) lo = mid; else hi = mid - 1; }
        return lo;
      })`),
    );
    const deepest = (stackBytes: number): number => {
      runtime.setMaxStackSize(stackBytes);
      const result = context.callFunction(probe, context.undefined);
      // Too small a stack to even enter the probe: nothing fits.
      const depth = result.error ? 0 : context.getNumber(result.value);
      (result.error ?? result.value).dispose();
      return depth;
    };
    try {
      let small = 2 * 1024;
      let shallow = deepest(small);
      while (shallow < 32 && small < 256 * 1024) shallow = deepest((small *= 2));
      const deep = deepest(small * 2);
      const perLevel = small / Math.max(1, deep - shallow);
      // While the probe runtime is here: serialize a few thousand values through a replacer, so
      // V8 tiers up the module's JSON code before the first plugin's output depends on it (the
      // first big serialization ran 2× slower on baseline code, measured). ~50-70 ms on a fresh
      // module: a boot someone waits for skips it (`tierUp: false`).
      if (!tierUp) return { base: Math.max(0, small - shallow * perLevel), perLevel };
      runtime.setMaxStackSize(256 * 1024);
      const warm = context.evalCode(`(function () {
        var n = { kind: "divider" }, t = [];
        for (var i = 0; i < 11; i++) n = { kind: "row", text: "x" + i, children: [n, n] };
        for (var k = 0; k < 2; k++) t.push(JSON.stringify(n, function (key, v) { return v; }).length);
        return t.length;
      })()`);
      (warm.error ?? warm.value).dispose();
      return { base: Math.max(0, small - shallow * perLevel), perLevel };
    } finally {
      probe.dispose();
    }
  } finally {
    context.dispose();
    runtime.dispose();
  }
}

/** quickjs-ng exposes DOMException; bellard's quickjs does not. */
function detectEngineName(module: QuickJSWASMModule): string {
  const context = module.newContext();
  try {
    const result = context.evalCode('typeof DOMException');
    const kind = result.error ? 'undefined' : context.getString(result.value);
    (result.error ?? result.value).dispose();
    return kind === 'undefined' ? 'quickjs' : 'quickjs-ng';
  } finally {
    context.dispose();
  }
}
