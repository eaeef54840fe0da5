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

/**
 * Long native built-ins (issue 17): natives that would run for minutes without asking the
 * interrupt handler. The bootstrap bounds the `refused` ones with a RangeError (the length is
 * past anything the plugin's memory holds, so the array is sparse) and runs the `windowed`
 * searches in windows the handler can stop; `unbounded` is one it leaves to the deadline check
 * after the fact (in-thread) or the worker kill.
 */
export const LONG_NATIVE_ATTACKS = {
  refused: {
    'sparse join (length 2^32-1)': 'var a = []; a.length = 4294967295; a.join();',
    'sparse indexOf': 'var a = []; a[4294967294] = 1; a.indexOf(2);',
    'sparse lastIndexOf': 'var a = []; a.length = 4294967295; a.lastIndexOf(1);',
    'sparse includes': 'var a = []; a.length = 4294967295; a.includes(1);',
    'sparse reverse': 'var a = [1]; a.length = 4294967295; a.reverse();',
    'sparse sort': 'var a = [2, 1]; a.length = 4294967295; a.sort();',
    'array-like sort': 'Array.prototype.sort.call({ length: 4294967295 });',
    'array-like join through a growing getter':
      'var n = 0; Array.prototype.join.call({ get length() { return n++ ? 4294967295 : 4294967294; } });',
    'proxy indexOf': 'Array.prototype.indexOf.call(new Proxy({ length: 4294967295 }, {}), 1);',
    'implicit join (String of a sparse array)': 'var a = []; a.length = 4294967295; String(a);',
  },
  windowed: {
    'naive indexOf': '"a".repeat(2e6).indexOf("a".repeat(2000) + "b");',
    'naive lastIndexOf': '"a".repeat(2e6).lastIndexOf("a".repeat(2000) + "b");',
    'naive includes through a toString needle':
      'var n = "a".repeat(2000) + "b"; "a".repeat(2e6).includes({ toString: function () { return n; } });',
    'naive indexOf called on an object':
      'var h = { toString: function () { return "a".repeat(2e6); } }; String.prototype.indexOf.call(h, "a".repeat(2000) + "b");',
  },
  /** Canonical reordering of a long run of combining marks: quadratic, 0.1-0.3 s here. */
  unbounded: '("a" + "\\u0301\\u0323".repeat(4000)).normalize("NFD");',
} as const;
