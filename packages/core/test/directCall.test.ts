import { describe, expect, it } from 'vitest';
import { newQuickJSWASMModuleFromVariant, type QuickJSWASMModule } from 'quickjs-emscripten-core';
import RELEASE_SYNC from '@jitl/quickjs-wasmfile-release-sync';
import NG_RELEASE_SYNC from '@jitl/quickjs-ng-wasmfile-release-sync';
import { DirectCaller, bindModule } from '../src/runtime/directCall.js';

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
});
