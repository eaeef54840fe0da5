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

const PAGE = 64 * 1024;

/** How the shared module is built. */
export interface EngineOptions {
  /** The QuickJS build, e.g. `@jitl/quickjs-wasmfile-release-sync`. */
  variant: QuickJSSyncVariant;
  /** Hard ceiling of the shared WebAssembly heap. */
  heapLimitBytes: number;
  /** A precompiled module for the variant's .wasm, so replacing the engine skips compilation. */
  wasmModule?: WebAssembly.Module;
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

  private constructor(
    readonly module: QuickJSWASMModule,
    readonly memory: WebAssembly.Memory,
    readonly name: string,
  ) {}

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
    engine.bootHeapBytes = engine.heapBytes();
    return engine;
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
