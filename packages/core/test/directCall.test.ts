import { describe, expect, it } from 'vitest';
import { newQuickJSWASMModuleFromVariant, type QuickJSWASMModule } from 'quickjs-emscripten-core';
import RELEASE_SYNC from '@jitl/quickjs-wasmfile-release-sync';
import NG_RELEASE_SYNC from '@jitl/quickjs-ng-wasmfile-release-sync';
import { CorralError } from '@corral/contracts';
import { DirectCaller, bindModule, type ModuleAccess } from '../src/runtime/directCall.js';

describe('direct calls into a VM (the string path every render and event takes)', () => {
  it('refuses, naming each missing piece, a module whose internals moved', () => {
    const moved = {
      ffi: { QTS_Call: () => 0 },
      module: { _malloc: () => 0 },
    } as unknown as QuickJSWASMModule;
    expect(() => bindModule(moved)).toThrow(
      /missing ffi\.QTS_NewString, .*ffi\.QTS_FreeValuePointer, module\._free, module\.HEAPU8\).*0\.32\.0/,
    );
  });

  for (const [name, variant] of [
    ['quickjs', RELEASE_SYNC],
    ['quickjs-ng', NG_RELEASE_SYNC],
  ] as const) {
    it(`${name}: strings of every UTF-8 width cross both ways, and a throw comes back as a handle`, async () => {
      const module = await newQuickJSWASMModuleFromVariant(variant);
      const context = module.newContext();
      const fn = context.unwrapResult(
        context.evalCode(
          '(function (a, b, c) { if (a === "throw") throw new TypeError(b); return [a, b, c].join("|"); })',
        ),
      );
      const caller = new DirectCaller(bindModule(module), context, fn);
      const texts = ['', 'ascii', 'Zoë Ωμέγα', '日本語', '😀🦊', 'x'.repeat(70_000) + '€'];
      for (const text of texts) {
        const tag = context.newString('tag');
        expect(caller.call(text, tag, text)).toEqual({ text: `${text}|tag|${text}` });
        tag.dispose();
      }
      const result = caller.call('throw', 'nope', '');
      expect(result.text).toBeUndefined();
      expect(context.dump(result.error!)).toMatchObject({ name: 'TypeError', message: 'nope' });
      result.error!.dispose();
      caller.dispose();
      fn.dispose();
      context.dispose();
    });
  }

  it('a refused allocation is LIMIT_MEMORY, frees what the call had made, and the next call works', async () => {
    const module = await newQuickJSWASMModuleFromVariant(RELEASE_SYNC);
    const context = module.newContext();
    const real = bindModule(module);
    // Only the allocator is doubled: every call below runs in the real module.
    let refuseAt = 0;
    let mallocs = 0;
    const access: ModuleAccess = {
      ffi: real.ffi,
      heap: {
        _malloc: (bytes) => (++mallocs === refuseAt ? 0 : real.heap._malloc(bytes)),
        _free: (pointer) => real.heap._free(pointer),
        get HEAPU8() {
          return real.heap.HEAPU8;
        },
      },
    };
    const fn = context.unwrapResult(context.evalCode('(function (a, b, c) { return a + b + c; })'));
    const caller = new DirectCaller(access, context, fn);
    // QuickJS's live allocation count (its byte counts cannot see sizes under Emscripten).
    const allocations = (): number => {
      const usage = context.runtime.computeMemoryUsage();
      const count = (context.dump(usage) as { malloc_count: number }).malloc_count;
      usage.dispose();
      return count;
    };
    const before = allocations();
    for (let i = 0; i < 2000; i++) {
      mallocs = 0;
      refuseAt = 2; // the second string's buffer: the first string is already a VM value
      let error: unknown;
      try {
        caller.call('a'.repeat(100), 'b', 'c');
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(CorralError);
      expect((error as CorralError).code).toBe('LIMIT_MEMORY');
    }
    // Each string left behind would stay one allocation: 2,000 of them.
    expect(allocations() - before).toBeLessThan(10);
    refuseAt = 0;
    expect(caller.call('a', 'b', 'c')).toEqual({ text: 'abc' });
    mallocs = 0;
    refuseAt = 1;
    expect(() => new DirectCaller(access, context, fn)).toThrow(/no room left/);
    caller.dispose();
    fn.dispose();
    context.dispose();
  });
});
