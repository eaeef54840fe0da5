/**
 * @module attacks
 * Hostile plugin sources for the conformance suite, each named after the attack it models.
 * Every attack is armed by `pluginState.attack`, so the same plugin's next (unarmed) call
 * shows that the plugin recovered.
 */

/** Where the attack runs. */
export type AttackSite = 'render' | 'handler' | 'reducer';

/** A plugin whose render, handler `go` or reducer `set` runs `body` when armed. */
export function armedPlugin(site: AttackSite, body: string): string {
  const at = (s: AttackSite) => (s === site ? `if (armed) { ${body} }` : '');
  return `
definePlugin({
  title: "armed",
  initialState: { attack: false },
  reducers: {
    set: function (state, payload) { var armed = state && state.attack; ${at('reducer')} return { attack: false, n: payload }; },
  },
  widgets: {
    main: { title: "main", render: function (ctx) { var armed = ctx.pluginState && ctx.pluginState.attack; ${at('render')} return { kind: "text", text: "ok" }; } },
  },
  handlers: {
    go: function (ctx) { var armed = ctx.pluginState && ctx.pluginState.attack; ${at('handler')} ctx.dispatchPluginAction("set", 1); },
  },
});`;
}

/** A plugin whose render returns `expr` (evaluated inside render, with `ctx` in scope). */
export function returning(expr: string): string {
  return `definePlugin({ widgets: { main: { render: function (ctx) { return (${expr}); } } } });`;
}

export const ATTACKS = {
  infiniteLoop: 'while (true) {}',
  deepRecursion: 'function f(n) { return f(n + 1) + 1; } f(0);',
  stringDoubling: 'var s = "x"; while (true) s += s;',
  stringBuilding:
    'var s = "", parts = []; while (true) { s += "abcdefgh" + s.length; if (s.length > 65536) { parts.push(s); s = ""; } }',
  arrayPush: 'var a = []; while (true) a.push([a.length]);',
  objectGraph: 'var o = []; while (true) o.push({ a: { b: { c: [1, 2, 3] } } });',
  typedArrays: 'var t = []; while (true) t.push(new Uint8Array(1 << 20));',
  oneHugeAllocation: 'var b = new ArrayBuffer(1e9); b.byteLength;',
  hugeArray: 'var a = new Array(1e9).fill(0); a.length;',
  redos: '/(a+)+$/.test("a".repeat(40) + "!");',
  microtaskLoop: '(function f() { Promise.resolve().then(f); })();',
  asyncChain: '(async function f() { while (true) { await null; } })();',
  promiseFanOut: 'for (var i = 0; i < 1e6; i++) Promise.resolve(i).then(function (x) { return x + 1; });',
  getterLoop: 'throw { get message() { while (true) {} } };',
  uninterruptibleSearch: '"a".repeat(14000).indexOf("a".repeat(7000) + "b");',
} as const;

/** Every name a plugin must never see on its global object. */
export const FORBIDDEN_GLOBALS = [
  'window',
  'self',
  'global',
  'document',
  'navigator',
  'location',
  'fetch',
  'XMLHttpRequest',
  'WebSocket',
  'importScripts',
  'postMessage',
  'process',
  'require',
  'module',
  'exports',
  'Buffer',
  'Deno',
  'Bun',
  'setTimeout',
  'setInterval',
  'setImmediate',
  'queueMicrotask',
  'performance',
  'WebAssembly',
  'std',
  'os',
  'hostDispatchPlugin',
  'hostDispatchGlobal',
  'hostNow',
  'hostLog',
  '__corral_entry',
];
