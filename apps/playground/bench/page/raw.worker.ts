/**
 * The floor of the round-trip figure: quickjs-emscripten used directly in a Web Worker, no
 * Corral. The plugin is evaluated once with a `definePlugin` that keeps its object; each message
 * is the state as a JSON string, answered with the tree as a JSON string, as Corral's wire does.
 */
import variant from '@jitl/quickjs-wasmfile-release-sync';
import { newQuickJSWASMModuleFromVariant } from 'quickjs-emscripten-core';

const ready = (async () => {
  const quickjs = await newQuickJSWASMModuleFromVariant(variant);
  const vm = quickjs.newContext();
  return { vm, render: null as null | ReturnType<typeof vm.getProp> };
})();

addEventListener('message', (event: MessageEvent<{ code?: string; state?: string }>) => {
  void ready.then((r) => {
    const { vm } = r;
    if (event.data.code !== undefined) {
      const setup = `var __plugin; function definePlugin(p) { __plugin = p; }
${event.data.code}
globalThis.__render = function (s) {
  return JSON.stringify(__plugin.widgets.main.render({ pluginState: JSON.parse(s), globalState: null }));
};`;
      vm.unwrapResult(vm.evalCode(setup)).dispose();
      r.render = vm.getProp(vm.global, '__render');
      postMessage('loaded');
      return;
    }
    const arg = vm.newString(event.data.state!);
    const out = vm.unwrapResult(vm.callFunction(r.render!, vm.undefined, arg));
    arg.dispose();
    const json = vm.getString(out);
    out.dispose();
    postMessage(json);
  });
});
