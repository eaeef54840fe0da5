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

/**
 * Plugin source (for a handler body) that forges what the bootstrap carries out of the VM: an
 * accessor on `Array.prototype[1]` catches the bootstrap's own write of a dispatch's payload
 * text into its list of intents (an assignment past an array's end reaches a setter on the
 * prototype) and stores `forgedText` (an expression) in its place. Only a list whose first
 * intent is global (`g...`) is touched, so the plugin's later, plugin-scoped calls are not.
 */
export function forgedPayloadText(forgedText: string): string {
  return (
    'var define = Object.defineProperty; define(Array.prototype, "1", { configurable: true, ' +
    'set: function (v) { var forge = typeof this[0] === "string" && this[0].charAt(0) === "g"; ' +
    `define(this, "1", { value: forge ? (${forgedText}) : v, writable: true, enumerable: true, configurable: true }); } }); ` +
    'ctx.dispatchGlobalAction("notifications/add", 1); return;'
  );
}

/**
 * Plugin source (for a render body) that makes the bootstrap's failure report say `report`: an
 * inherited toJSON is used by JSON.stringify, the bootstrap's captured one too. Then the render
 * returns undefined, which the bootstrap fails INVALID_OUTPUT, in a report the host must not
 * believe.
 */
export function forgedFailureReport(report: string): string {
  return (
    'Object.prototype.toJSON = function () { return typeof this.code === "string" ? ' +
    `(${report}) : this; }; return undefined;`
  );
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
