/**
 * The bootstrap's guards on long native built-ins (bootstrap.ts, "long native built-ins") must
 * not change what the built-ins return for any input they let through. Each expression below is
 * evaluated by V8 here and by each engine under the bootstrap, and the answers must agree: the
 * windowed substring search (inputs past SEARCH_STEPS),
 * array methods on arrays, array-likes, getters and proxies (split, replace and replaceAll are not
 * guarded, and checked here as natives). Then the refusals themselves.
 */
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import RELEASE_SYNC from '@jitl/quickjs-wasmfile-release-sync';
import NG_RELEASE_SYNC from '@jitl/quickjs-ng-wasmfile-release-sync';
import { LIMIT_PROFILES } from '@corral/contracts';
import { createRuntime } from '../src/index.js';

// A haystack and needle whose naive search is past the bootstrap's window (2^20 steps).
const PRELUDE = `
var N = "a".repeat(1000) + "b", H = "a".repeat(3000) + "b" + "a".repeat(3000) + "b" + "a".repeat(1500);
var HN = H + N + "c" + N;
function got(f) { try { return f(); } catch (e) { return "threw " + (e && e.name); } }
`;

const CASES: string[] = [
  // strings, small: the native path
  '"abcabc".indexOf("c")',
  '"abcabc".indexOf("c", 3)',
  '"abcabc".lastIndexOf("c")',
  '"abcabc".lastIndexOf("c", 4)',
  '"abcabc".includes("bc", 5)',
  '"a,b,,c".split(",")',
  '"a,b,,c".split(",", 2)',
  '"abcabc".replace("b", "[$&$`$\'$$$1]")',
  '"abcabc".replaceAll("b", function (m, p, s) { return m + p + s.length; })',
  'String.prototype.indexOf.call(12345, 3)',
  '"a".indexOf()',
  'got(function () { return "abc".includes(/b/); })',
  'got(function () { return String.prototype.indexOf.call(null, "a"); })',
  '"undefined".indexOf(undefined)',
  // strings, windowed
  'H.indexOf(N)',
  'H.indexOf(N, 2001)',
  'H.indexOf(N, 5000)',
  'H.indexOf(N, -7)',
  'H.indexOf(N, 1e9)',
  'H.lastIndexOf(N)',
  'H.lastIndexOf(N, 5000)',
  'H.lastIndexOf(N, 1999)',
  'H.lastIndexOf(N, 2000)',
  'H.lastIndexOf(N, -5)',
  'H.lastIndexOf(N, NaN)',
  'HN.lastIndexOf(N, Infinity)',
  'H.includes(N, 6002)',
  'H.includes(N, 6001)',
  'H.indexOf({ toString: function () { return N; } })',
  'H.indexOf(N, { valueOf: function () { return 2001; } })',
  'H.split(N).map(function (s) { return s.length; })',
  'H.split(N, 1).map(function (s) { return s.length; })',
  'H.split(N, 0)',
  'H.split(N, 2).map(function (s) { return s.length; })',
  'HN.split(N).map(function (s) { return s.length; })',
  '(N + N + N).split(N)',
  'H.replace(N, "X").length',
  'HN.replace(N, "[$$|$&|$1|$<x>|$]").slice(1990, 3030)',
  'HN.replace(N, "$\'").length',
  'HN.replace(N, "$`").length',
  'HN.replaceAll(N, function (m, p, s) { return "<" + p + "," + s.length + ">"; }).replace(/a+/g, "a")',
  'HN.replaceAll(N, "$$-$&").length',
  '(N + N + N).replaceAll(N, "x")',
  'got(function () { return H.replaceAll(/b/, "x"); })',
  'H.replaceAll(/b/g, "x").length',
  'H.replace({ toString: function () { return N; } }, "Y").length',
  // arrays and array-likes
  '[3, 1, 2].sort()',
  '[1, 2, 3].reverse()',
  '[1, 2, 3].indexOf(2)',
  '[1, 2, 3].lastIndexOf(3, -2)',
  '[1, NaN].includes(NaN)',
  '[1, [2]].concat([3], [4, [5]], 6)',
  '[1, 2, 3, 4].splice(1, 2)',
  '[1, 2, 3, 4].slice(-2)',
  '[1, 2, 3].map(function (x) { return x * 2; })',
  '[1, 2, 3].filter(function (x) { return x > 1; })',
  '[1, 2, 3].reduce(function (a, x) { return a + x; }, 0)',
  '[1, 2, 3].reduceRight(function (a, x) { return a + x; }, "")',
  '[1, 2, 3].some(function (x) { return x > 2; })',
  '[1, 2, 3].every(function (x) { return x > 2; })',
  '(function () { var a = [1, 2, 3]; a.shift(); a.unshift(0, 9); return a; })()',
  '[1, 2, 3, 4, 5].copyWithin(0, 3)',
  '[1, null, 3].join("-") + [1, [2, 3]].toString() + String([4, 5])',
  'Array.prototype.join.call({ length: 3, 0: "a", 2: "c" }, "-")',
  'Array.prototype.join.call("abc", "+")',
  'Array.prototype.indexOf.call(new Uint8Array([5, 6, 7]), 7)',
  '(function () { var c = 0; var r = Array.prototype.join.call({ get length() { c++; return 2; }, 0: 1, 1: 2 }); return [r, c]; })()',
  '(function () { var c = 0; var o = { length: { valueOf: function () { c++; return 2; } }, 0: "x", 1: "y" }; return [Array.prototype.indexOf.call(o, "y"), c]; })()',
  '(function () { var o = { length: 3, 0: "c", 1: "a", 2: "b" }; var r = Array.prototype.sort.call(o); return [r === o, o[0], o[1], o[2]]; })()',
  '(function () { var o = { get length() { return 2; }, 0: 1, 1: 2 }; var r = Array.prototype.reverse.call(o); return [r === o, o[0], o[1]]; })()',
  '(function () { var p = new Proxy([1, 2, 3], {}); var r = p.reverse(); return [r === p, p[0], p.indexOf(3), Array.isArray(p)]; })()',
  '(function () { var log = []; var p = new Proxy([1, 2], { get: function (t, k) { if (typeof k === "string") log.push(k); return t[k]; } }); p.includes(2); return log; })()',
  '[].concat(new Proxy([1, 2], {}), [3])',
  '(function () { var r = Proxy.revocable([1], {}); var a = r.proxy.indexOf(1); r.revoke(); return [a, got(function () { return Array.prototype.indexOf.call(r.proxy, 1); })]; })()',
  '[typeof Proxy, Proxy.name, Proxy.length, typeof Proxy.revocable, got(function () { return Proxy([], {}); })]',
  '[[].indexOf.name, [].indexOf.length, [].join.length, [].concat.length, [].splice.length, "".split.length, "".replaceAll.length, "".indexOf.name]',
  '[got(function () { return new [].indexOf(); }), got(function () { return new "".indexOf(); }), "prototype" in [].map]',
  'Object.keys(Array.prototype).concat(Object.keys(String.prototype))',
  '(function () { var o = []; for (var k in []) o.push(k); for (var j in "") o.push(j); return o; })()',
];

const SLACK = { renderTimeoutMs: 5000 };
const CEILING = { ...LIMIT_PROFILES.generous, ...SLACK };

const plugin = `${PRELUDE}
var CASES = ${JSON.stringify(CASES)};
definePlugin({ widgets: { main: { render: function () {
  var out = [];
  for (var i = 0; i < CASES.length; i++) out.push(got(function () { return (0, eval)(CASES[i]); }));
  return { kind: "text", text: JSON.stringify(out) };
} } } });`;

/** The same cases in a fresh V8 context, the same way: a script, then indirect eval. */
function inNode(): unknown[] {
  const script = `${PRELUDE}
var CASES = ${JSON.stringify(CASES)};
JSON.stringify(CASES.map(function (c) { return got(function () { return (0, eval)(c); }); }));`;
  return JSON.parse(runInNewContext(script) as string) as unknown[];
}

const REFUSED: [string, string][] = [
  ['sparse indexOf', 'var a = []; a.length = 4294967295; a.indexOf(1);'],
  ['sparse join', 'var a = []; a[1e8] = 1; a.join();'],
  ['array-like includes', 'Array.prototype.includes.call({ length: 4294967295 }, 1);'],
  ['array-like sort', 'Array.prototype.sort.call({ length: 1e9 });'],
  ['sparse reverse', 'var a = [1]; a.length = 1e9; a.reverse();'],
];

// A length read once by the guard is the length the native sees: one that grows on a later read
// does not reach the native loop.
const PINNED: [string, string][] = [
  [
    'a getter that grows after the first read',
    'var n = 0; return Array.prototype.lastIndexOf.call({ get length() { return n++ ? 4294967295 : 1; } }, 1);',
  ],
  [
    'a valueOf that grows after the first read',
    'var n = 0; return Array.prototype.join.call({ length: { valueOf: function () { return n++ ? 4294967295 : 2; } } }, "-");',
  ],
  [
    'a proxy that grows after the first read',
    'var n = 0; var p = new Proxy([], { get: function (t, k) { return k === "length" ? (n++ ? 4294967295 : 0) : t[k]; } }); return p.indexOf(1);',
  ],
  [
    'an object inheriting from such a proxy',
    'var n = 0; var p = Object.create(new Proxy({}, { get: function (t, k) { return k === "length" ? (n++ ? 4294967295 : 0) : undefined; } })); return Array.prototype.includes.call(p, 1);',
  ],
];

for (const [engine, variant] of [
  ['quickjs', RELEASE_SYNC],
  ['quickjs-ng', NG_RELEASE_SYNC],
] as const) {
  describe(`bootstrap guards on long native built-ins (${engine})`, () => {
    it('return what the unguarded built-ins return (checked against V8)', async () => {
      const runtime = await createRuntime({ variant, limitsCeiling: CEILING });
      try {
        await runtime.loadPlugin({ pluginId: 'p', code: plugin, limits: SLACK });
        const { tree } = await runtime.render({
          pluginId: 'p',
          widgetId: 'main',
          pluginState: {},
          globalState: {},
        });
        const got = JSON.parse((tree as { text: string }).text) as unknown[];
        const expected = inNode();
        for (const [i, c] of CASES.entries()) expect(got[i], c).toEqual(expected[i]);
      } finally {
        runtime.dispose();
      }
    });

    it('refuse a length no array of the plugin can have, with a RangeError naming the method', async () => {
      const runtime = await createRuntime({ variant });
      try {
        for (const [name, body] of REFUSED) {
          const code = `definePlugin({ widgets: { main: { render: function () {
            try { ${body} } catch (e) { return { kind: "text", text: e.name + ": " + e.message }; }
            return { kind: "text", text: "not refused" };
          } } } });`;
          await runtime.loadPlugin({ pluginId: name, code });
          const started = performance.now();
          const { tree } = await runtime.render({
            pluginId: name,
            widgetId: 'main',
            pluginState: {},
            globalState: {},
          });
          expect((tree as { text: string }).text, name).toMatch(
            /^RangeError: Array\.prototype\.\w+: length \d+ is past \d+/,
          );
          expect(performance.now() - started, name).toBeLessThan(200);
        }
      } finally {
        runtime.dispose();
      }
    });

    it('leave error stacks and Error.prepareStackTrace working (the call-site shim)', async () => {
      const runtime = await createRuntime({ variant });
      try {
        const code = `definePlugin({ widgets: { main: { render: function () {
          var plain = (function () { try { null.x; } catch (e) { return e.stack.length > 0; } })();
          Error.prepareStackTrace = function (e, frames) { return "custom " + typeof frames[0].getFunction + " " + typeof frames[0].getFunction(); };
          var custom = new Error("x").stack;
          Error.prepareStackTrace = undefined;
          return { kind: "text", text: plain + " " + custom + " " + (new Error("y").stack.indexOf("custom") === -1) };
        } } } });`;
        await runtime.loadPlugin({ pluginId: 'trace', code });
        const { tree } = await runtime.render({
          pluginId: 'trace',
          widgetId: 'main',
          pluginState: {},
          globalState: {},
        });
        // bellard's quickjs has no prepareStackTrace and leaves the stack as it is.
        expect((tree as { text: string }).text).toMatch(
          engine === 'quickjs-ng' ? /^true custom function undefined true$/ : /^true [\s\S]+ true$/,
        );
      } finally {
        runtime.dispose();
      }
    });

    it('pin a length that changes between reads to the first one read', async () => {
      const runtime = await createRuntime({ variant });
      try {
        for (const [name, body] of PINNED) {
          const code = `definePlugin({ widgets: { main: { render: function () {
            return { kind: "text", text: String((function () { ${body} })()) };
          } } } });`;
          await runtime.loadPlugin({ pluginId: name, code });
          const { tree } = await runtime.render({
            pluginId: name,
            widgetId: 'main',
            pluginState: {},
            globalState: {},
          });
          expect((tree as { text: string }).text, name).toMatch(/^(-1|false|-)$/);
        }
      } finally {
        runtime.dispose();
      }
    });
  });
}
