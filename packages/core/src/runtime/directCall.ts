/**
 * @module directCall
 * Calls into a plugin VM's entry point with strings in and a string out, through the QuickJS
 * module's C interface instead of quickjs-emscripten-core's handle API.
 *
 * Why: the public path (`newString`, `callFunction`, `getString`) converts strings with
 * character-by-character JS loops and allocates several wrapper objects per call. For a todo50
 * render (a 0.9 KB state in, a 3.3 KB tree out) that is 7.7 µs in and 6.3 µs out; here the text
 * is encoded straight into the WebAssembly heap with `TextEncoder.encodeInto` and decoded with
 * `TextDecoder` (about 0.9 µs in and 5 µs out, measured on the same strings), and the argument
 * array is allocated once per VM instead of once per call.
 *
 * It reaches into quickjs-emscripten-core's internals (the module's `ffi` and Emscripten module,
 * a context's pointer and memory). The dependency is pinned to an exact version for this;
 * `bindModule` checks every piece when an engine is created and fails loudly if an upgrade
 * moved one, and every call of every test runs through here.
 */
import type { QuickJSContext, QuickJSHandle, QuickJSWASMModule } from 'quickjs-emscripten-core';
import { CorralError } from '@corral/contracts';

/** The C functions of quickjs-emscripten's interface used here (pointers are numbers). */
interface Ffi {
  /** Set in debug builds, whose sanitizing allocator aborts where a release build returns NULL. */
  readonly DEBUG?: boolean;
  QTS_NewString(ctx: number, cString: number): number;
  QTS_GetString(ctx: number, value: number): number;
  QTS_FreeCString(ctx: number, cString: number): void;
  QTS_Call(ctx: number, fn: number, thisValue: number, argc: number, argv: number): number;
  QTS_ResolveException(ctx: number, maybeException: number): number;
  QTS_FreeValuePointer(ctx: number, value: number): void;
}

/** The Emscripten module's allocator and heap view (Emscripten refreshes the view on growth). */
interface Heap {
  _malloc(bytes: number): number;
  _free(pointer: number): void;
  HEAPU8: Uint8Array;
}

/** What one module offers for direct calls. */
export interface ModuleAccess {
  readonly ffi: Ffi;
  readonly heap: Heap;
}

const FFI_FUNCTIONS = [
  'QTS_NewString',
  'QTS_GetString',
  'QTS_FreeCString',
  'QTS_Call',
  'QTS_ResolveException',
  'QTS_FreeValuePointer',
] as const;

/** Find the module's C interface and heap, or throw naming what is missing. */
export function bindModule(module: QuickJSWASMModule): ModuleAccess {
  const inner = module as unknown as { ffi?: Record<string, unknown>; module?: Record<string, unknown> };
  const missing: string[] = [];
  for (const name of FFI_FUNCTIONS) if (typeof inner.ffi?.[name] !== 'function') missing.push(`ffi.${name}`);
  for (const name of ['_malloc', '_free'])
    if (typeof inner.module?.[name] !== 'function') missing.push(`module.${name}`);
  if (!(inner.module?.HEAPU8 instanceof Uint8Array)) missing.push('module.HEAPU8');
  if (missing.length > 0) {
    throw new Error(
      `quickjs-emscripten-core's internals changed (missing ${missing.join(', ')}); ` +
        'Corral is built against version 0.32.0',
    );
  }
  return { ffi: inner.ffi as unknown as Ffi, heap: inner.module as unknown as Heap };
}

/** A value the call got back: the entry's string, or the error it threw (the caller disposes). */
export type DirectResult = { text: string; error?: undefined } | { text?: undefined; error: QuickJSHandle };

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Calls one function of one context with three arguments. Holds 12 bytes of heap until disposed. */
export class DirectCaller {
  private readonly ctx: number;
  private readonly undefinedValue: number;
  private readonly argv: number;
  private readonly wrapError: (pointer: number) => QuickJSHandle;
  private words: { buffer: ArrayBufferLike; view: Int32Array } | null = null;

  constructor(
    private readonly access: ModuleAccess,
    context: QuickJSContext,
    private readonly fn: QuickJSHandle,
  ) {
    const inner = context as unknown as {
      ctx?: { value?: unknown };
      memory?: { heapValueHandle?: (pointer: number) => QuickJSHandle };
    };
    const memory = inner.memory;
    if (typeof inner.ctx?.value !== 'number' || typeof memory?.heapValueHandle !== 'function') {
      throw new Error("quickjs-emscripten-core's context internals changed; Corral is built against 0.32.0");
    }
    this.ctx = inner.ctx.value;
    this.wrapError = (pointer) => memory.heapValueHandle!(pointer);
    this.undefinedValue = handleValue(context.undefined);
    this.argv = access.heap._malloc(12);
    if (this.argv === 0) throw noHeap();
  }

  /**
   * Call the function with three arguments, each a live handle or a string to pass as a new
   * VM string. Returns the string it returned (the entry always returns one) or its exception.
   */
  call(a: QuickJSHandle | string, b: QuickJSHandle | string, c: QuickJSHandle | string): DirectResult {
    const { ffi } = this.access;
    // Strings become new VM values, freed once the call returns; handles are passed as they are.
    let first = 0;
    let second = 0;
    let third = 0;
    let result: number;
    try {
      first = typeof a === 'string' ? this.newString(a) : handleValue(a);
      second = typeof b === 'string' ? this.newString(b) : handleValue(b);
      third = typeof c === 'string' ? this.newString(c) : handleValue(c);
      const words = this.wordsView();
      const at = this.argv >> 2;
      words[at] = first;
      words[at + 1] = second;
      words[at + 2] = third;
      result = ffi.QTS_Call(this.ctx, handleValue(this.fn), this.undefinedValue, 3, this.argv);
    } finally {
      if (typeof a === 'string' && first) ffi.QTS_FreeValuePointer(this.ctx, first);
      if (typeof b === 'string' && second) ffi.QTS_FreeValuePointer(this.ctx, second);
      if (typeof c === 'string' && third) ffi.QTS_FreeValuePointer(this.ctx, third);
    }
    const error = ffi.QTS_ResolveException(this.ctx, result);
    if (error !== 0) {
      ffi.QTS_FreeValuePointer(this.ctx, result);
      return { error: this.wrapError(error) };
    }
    try {
      return { text: this.readString(result) };
    } finally {
      ffi.QTS_FreeValuePointer(this.ctx, result);
    }
  }

  /** Free the call frame. */
  dispose(): void {
    this.access.heap._free(this.argv);
  }

  /** A new VM string holding `text` (a JSValue pointer the caller frees). */
  private newString(text: string): number {
    const { heap, ffi } = this.access;
    // UTF-8 takes at most 3 bytes per UTF-16 unit, plus the terminating NUL.
    const room = text.length * 3 + 1;
    const pointer = heap._malloc(room);
    if (pointer === 0) throw noHeap();
    try {
      const bytes = heap.HEAPU8;
      const { written } = encoder.encodeInto(text, bytes.subarray(pointer, pointer + room - 1));
      bytes[pointer + written] = 0;
      const value = ffi.QTS_NewString(this.ctx, pointer);
      if (value === 0) throw noHeap();
      return value;
    } finally {
      heap._free(pointer);
    }
  }

  /** The string value at `value`, read as UTF-8 up to its terminating NUL. */
  private readString(value: number): string {
    const { heap, ffi } = this.access;
    const pointer = ffi.QTS_GetString(this.ctx, value);
    if (pointer === 0) throw new RangeError('corral: the VM could not hand over its result');
    try {
      const bytes = heap.HEAPU8;
      return decoder.decode(bytes.subarray(pointer, bytes.indexOf(0, pointer)));
    } finally {
      ffi.QTS_FreeCString(this.ctx, pointer);
    }
  }

  /** An Int32Array over the heap, rebuilt after the heap grows (growth replaces the buffer). */
  private wordsView(): Int32Array {
    const buffer = this.access.heap.HEAPU8.buffer;
    if (this.words?.buffer !== buffer) this.words = { buffer, view: new Int32Array(buffer) };
    return this.words.view;
  }
}

/** A refused allocation leaves the module sound (malloc returned NULL): a memory failure, no fault. */
function noHeap(): CorralError {
  return new CorralError('LIMIT_MEMORY', 'The shared heap has no room left for a call into the VM');
}

function handleValue(handle: QuickJSHandle): number {
  return (handle as unknown as { value: number }).value;
}
