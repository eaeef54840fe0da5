/**
 * @module bootstrap
 * The JavaScript evaluated inside every plugin's QuickJS context before the plugin's own code.
 * It is the only code besides the plugin that runs in the VM. It:
 * - captures the four host bridge functions and removes them (and every timing source) from
 *   the global object, so a plugin sees `definePlugin` and the standard built-ins only;
 * - makes `Date` and `Math.random` deterministic per call (host-given `now` and `seed`);
 * - defines `definePlugin`, and evaluates to the one entry point the host calls for every
 *   operation (so the entry is never on the global object);
 * - serializes outputs with a counting replacer, on a stack the host keeps shallow for that
 *   call, so a hostile 100,000-deep or exponentially shared structure fails fast instead of
 *   stalling the uninterruptible serializer;
 * - keeps an event's intents and carries them out with its state.
 * Failures are marked results ("\u0001" + code and message) the host maps to error codes.
 */

import { NATIVE_GUARDS } from './nativeGuards.js';

/**
 * QuickJS keeps each function's source text (for Function.prototype.toString) in every plugin's
 * heap, the bootstrap's included: its comment lines and indentation are dropped first.
 */
function squeeze(source: string): string {
  return source
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('//'))
    .join('\n');
}

export const BOOTSTRAP_SOURCE = squeeze(String.raw`
(function () {
  "use strict";
  var g = globalThis;
  var hostDispatchPlugin = g.hostDispatchPlugin;
  var hostDispatchGlobal = g.hostDispatchGlobal;
  var hostNow = g.hostNow;
  var hostLog = g.hostLog;
  delete g.hostDispatchPlugin; delete g.hostDispatchGlobal; delete g.hostNow; delete g.hostLog;
  // quickjs-ng adds a high-resolution clock and a scheduler hook; plugins get neither.
  delete g.performance; delete g.queueMicrotask; delete g.setTimeout; delete g.setInterval;

  var stringify = JSON.stringify, parse = JSON.parse, keys = Object.keys, isArray = Array.isArray;
  var create = Object.create, freeze = Object.freeze, defineProperty = Object.defineProperty, hasOwn = Object.prototype.hasOwnProperty;
  // The bootstrap calls built-ins only as captured here, through the captured Reflect.apply: a
  // plugin may replace Array.prototype.join, String.prototype.slice, Function.prototype.call or
  // the global String, and the bootstrap's own intents, logs and error texts must not change.
  var rapply = Reflect.apply, S = String, strSlice = S.prototype.slice, strSplit = S.prototype.split;
  var strIndexOf = S.prototype.indexOf, strCharAt = S.prototype.charAt, arrJoin = Array.prototype.join;
  var reExec = RegExp.prototype.exec;
  function cut(s, from, to) { return rapply(strSlice, s, to === undefined ? [from] : [from, to]); }
  function joined(list, sep) { return rapply(arrJoin, list, [sep]); }
  function owns(obj, key) { return rapply(hasOwn, obj, [key]); }
  function matches(re, text) { re.lastIndex = 0; return rapply(reExec, re, [text]) !== null; }

  // A failure found by the bootstrap is sticky: the plugin may catch the thrown value, but the
  // call still fails with this code.
  var failure = null;
  function fail(code, message, details) {
    var f = { code: code, message: S(message) };
    if (details !== undefined) f.details = details;
    if (failure === null) failure = f;
    return f;
  }
  function safeString(v) { try { return cut(S(v), 0, 200); } catch (e) { return typeof v; } }
  function describe(e) {
    var info;
    try {
      if (e !== null && typeof e === "object") {
        var n = e.name, m = e.message, s = e.stack;
        info = { name: typeof n === "string" ? cut(n, 0, 200) : "", message: typeof m === "string" ? cut(m, 0, 2000) : safeString(e) };
        if (typeof s === "string") info.stack = cut(s, 0, 2000);
      } else {
        info = { name: "", message: "threw a non-error value: " + safeString(e) };
      }
    } catch (x) {
      info = { name: "", message: "threw a value that could not be read" };
    }
    return stringify(info);
  }

  // --- deterministic time and randomness -------------------------------------------------
  var RealDate = Date;
  var callNow = 0;
  function FakeDate(a, b, c, d, e, f, h) {
    if (!(this instanceof FakeDate)) return new RealDate(callNow).toString();
    switch (arguments.length) {
      case 0: return new RealDate(callNow);
      case 1: return new RealDate(a);
      default: return new RealDate(a, b, c === undefined ? 1 : c, d || 0, e || 0, f || 0, h || 0);
    }
  }
  FakeDate.prototype = RealDate.prototype;
  defineProperty(RealDate.prototype, "constructor", { value: FakeDate, writable: true, configurable: true });
  FakeDate.now = function now() { return callNow; };
  FakeDate.parse = RealDate.parse;
  FakeDate.UTC = RealDate.UTC;
  g.Date = FakeDate;

  var seedState = 0;
  Math.random = function random() {
    // mulberry32: small, fast, good enough for UI code, and replayable from the seed.
    seedState = (seedState + 0x6d2b79f5) | 0;
    var t = seedState;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };

  // --- then() as an interrupt poll point ------------------------------------------------------
  // QuickJS asks the interrupt handler every 10,000 interpreter ticks (backward jumps, calls).
  // A native then() on a settled promise allocates a promise, a reaction and a job (~1.5 us)
  // for a tick or two, so a loop of them was asked every 15 ms, 27 ms at worst (measured): a
  // promise fan-out under a 30 ms deadline took up to 62 ms in a worker. Every then() here
  // spends 16 ticks first, so such a loop is asked about every millisecond; await does not come
  // here, but it only runs inside promise jobs, which the host drains one by one under the
  // deadline.
  var nativeThen = Promise.prototype.then, apply = Reflect.apply;
  defineProperty(Promise.prototype, "then", { writable: true, configurable: true,
    value: function then(onFulfilled, onRejected) {
      for (var tick = 0; tick < 16; tick++);
      return apply(nativeThen, this, [onFulfilled, onRejected]);
    } });

${NATIVE_GUARDS}
  // --- definePlugin -----------------------------------------------------------------------
  var plugin = null;
  var defineFailure = null; // why definePlugin refused, reported as INVALID_PLUGIN by "meta"

  function names(obj, what) {
    if (obj === undefined) return [];
    if (obj === null || typeof obj !== "object") throw fail("INVALID_PLUGIN", what + " must be an object");
    var out = keys(obj);
    for (var i = 0; i < out.length; i++) {
      // The host passes names in as C strings, which end at U+0000.
      if (rapply(strIndexOf, out[i], ["\u0000"]) !== -1) throw fail("INVALID_PLUGIN", what + " names may not contain U+0000");
      if (typeof obj[out[i]] !== "function" && what !== "widgets") throw fail("INVALID_PLUGIN", what + "." + out[i] + " must be a function");
    }
    return out;
  }
  function actionHandler(type) {
    return function (ctx) {
      var e = ctx.event;
      ctx.dispatchPluginAction(type, e.args !== undefined ? e.args : e.value);
    };
  }
  g.definePlugin = function definePlugin(def) {
    try { define(def); } catch (e) { if (defineFailure === null) defineFailure = e; throw e; }
  };
  function define(def) {
    if (plugin !== null) throw fail("INVALID_PLUGIN", "definePlugin may be called only once");
    if (def === null || typeof def !== "object") throw fail("INVALID_PLUGIN", "definePlugin expects an object");
    var widgetIds = names(def.widgets, "widgets");
    var widgets = [];
    for (var i = 0; i < widgetIds.length; i++) {
      var w = def.widgets[widgetIds[i]];
      if (w === null || typeof w !== "object" || typeof w.render !== "function") {
        throw fail("INVALID_PLUGIN", "widgets." + widgetIds[i] + ".render must be a function");
      }
      var meta = { id: widgetIds[i], title: typeof w.title === "string" ? w.title : widgetIds[i] };
      if (w.refreshMs !== undefined) {
        if (typeof w.refreshMs !== "number" || !(w.refreshMs >= 250) || w.refreshMs > 86400000) {
          throw fail("INVALID_PLUGIN", "widgets." + widgetIds[i] + ".refreshMs must be a number of at least 250");
        }
        meta.refreshMs = w.refreshMs;
      }
      widgets[widgets.length] = meta;
    }
    var handlers = names(def.handlers, "handlers");
    var reducers = names(def.reducers, "reducers");
    if (def.title !== undefined && typeof def.title !== "string") throw fail("INVALID_PLUGIN", "title must be a string");
    // A binding may name a reducer directly: without a handler of that name, the reducer gets
    // one that dispatches it (through the same stamped intent) with the binding's args, or
    // else the event's value, as payload.
    var handlerFns = create(null);
    for (var h = 0; h < handlers.length; h++) handlerFns[handlers[h]] = def.handlers[handlers[h]];
    for (var r = 0; r < reducers.length; r++) {
      if (owns(handlerFns, reducers[r])) continue;
      handlerFns[reducers[r]] = actionHandler(reducers[r]);
    }
    plugin = { def: def, widgets: def.widgets || {}, handlers: handlerFns, reducers: def.reducers || {},
      meta: { title: def.title === undefined ? "Untitled plugin" : def.title, widgets: widgets, handlers: handlers,
        reducers: reducers, initialState: def.initialState === undefined ? null : def.initialState } };
  }

  // --- output checks ----------------------------------------------------------------------
  function isThenable(v) {
    return v !== null && (typeof v === "object" || typeof v === "function") && typeof v.then === "function";
  }
  // JSON.stringify cannot be interrupted, so its work is bounded in the same pass by a replacer:
  // being JS, it lets the interrupt handler run, and it counts values, so an exponentially
  // shared DAG stops at the count instead of serializing for seconds. Depth is bounded by
  // QuickJS's own stack check: the host runs the final serialization of a call ("output") with
  // a stack just deep enough for the output's depth limit, because QuickJS's cycle check scans
  // the whole path at every level and a deep value would otherwise cost time quadratic in its
  // depth. Functions are refused by a toJSON on Function.prototype that the plugin cannot
  // replace; symbols are dropped as JSON drops them (the host's schema check still applies).
  var budget = 0, spent = 0, context = "", serializing = false;
  function count(key, v) {
    if (++spent > budget) throw fail("OUTPUT_TOO_LARGE", context + " has more than " + budget + " values");
    return v;
  }
  defineProperty(Function.prototype, "toJSON", { value: function toJSON(key) {
    if (serializing) throw fail("INVALID_OUTPUT", context + " contains a function" + (key === "" ? "" : " at '" + key + "'") + ", which JSON cannot carry");
    return undefined;
  } });
  // Dispatch payloads are serialized mid-call on the plugin's own stack, so their depth is
  // tracked from the holder (this) instead: JSON.stringify visits depth-first, so the holder is
  // always on the path.
  var maxDepth = 0, path = [], depth = 0;
  function countDeep(key, v) {
    if (++spent > budget) throw fail("OUTPUT_TOO_LARGE", context + " has more than " + budget + " values");
    var holder = this;
    while (depth > 0 && path[depth - 1] !== holder) depth--;
    if (depth === 0) path[depth++] = holder;
    if (v !== null && typeof v === "object") {
      if (depth > maxDepth) throw fail("OUTPUT_TOO_LARGE", context + " is nested deeper than " + maxDepth);
      path[depth++] = v;
    }
    return v;
  }
  function serialize(value, what, maxValues, maxBytes, tooLarge, maxNesting) {
    if (value === undefined) throw fail("INVALID_OUTPUT", what + " is undefined");
    if (typeof value === "function" || typeof value === "symbol") throw fail("INVALID_OUTPUT", what + " is a " + typeof value + ", which JSON cannot carry");
    if (isThenable(value)) throw fail("INVALID_OUTPUT", what + " is a Promise; render, handlers and reducers are synchronous");
    budget = maxValues; spent = 0; context = what; maxDepth = maxNesting || 0; depth = 0;
    var text;
    serializing = true;
    try { text = stringify(value, maxNesting ? countDeep : count); }
    catch (e) {
      if (failure !== null) throw e;
      var message = e && e.message;
      if (typeof message === "string" && matches(/stack overflow|call stack/i, message)) throw fail("OUTPUT_TOO_LARGE", what + " is nested too deeply to serialize");
      if (typeof message === "string" && matches(/out of memory|string too long/i, message)) throw fail("OUTPUT_TOO_LARGE", what + " is too large to serialize");
      throw fail("INVALID_OUTPUT", what + " cannot be serialized: " + message);
    }
    finally { serializing = false; path.length = 0; }
    if (typeof text !== "string") throw fail("INVALID_OUTPUT", what + " is not JSON");
    // UTF-8 takes at least one byte per UTF-16 unit: longer text is certainly over the limit,
    // so it is refused here instead of being copied out of the VM (the host measures exactly).
    if (text.length > maxBytes) throw fail(tooLarge || "OUTPUT_TOO_LARGE", what + " is larger than " + maxBytes + " bytes");
    return text;
  }

  // --- per-call context -------------------------------------------------------------------
  var limits = null;
  var pending = null; // what render or event produced, until the host asks for its "output"
  function begin(input) {
    callNow = input.now;
    seedState = input.seed | 0;
  }
  function logger(level) {
    return function () {
      var parts = [];
      for (var i = 0; i < arguments.length; i++) {
        var a = arguments[i];
        if (typeof a === "string") parts[parts.length] = a;
        else { try { parts[parts.length] = stringify(a); } catch (e) { parts[parts.length] = S(a); } }
      }
      hostLog(level, joined(parts, " "));
    };
  }
  var log = logger("info");
  log.debug = logger("debug"); log.info = log; log.warn = logger("warn"); log.error = logger("error");
  // console writes to the same bounded log as ctx.log, level kept (outside a call it is dropped).
  g.console = { log: log, info: log, debug: log.debug, trace: log.debug, warn: log.warn, error: log.error };
  function now() { return hostNow(); }
  // Intents stay in the VM until the call's output carries them out, all at once; the bridge's
  // dispatch functions report a refused dispatch at once, so the host ends the call even if the
  // plugin catches the error. The host checks everything again: nothing in here is trusted.
  var callOp = "", refused = false;
  // The host hears of the first refusal only: it ends the call from then on (at the interrupt
  // handler's next look), and a plugin that swallows refusals in a loop would otherwise pay a
  // host round trip per iteration until then (a 10,000-iteration flood overran a 30 ms deadline).
  function refuse(scope, code, message) {
    var f = fail(code, message);
    if (!refused) {
      refused = true;
      (scope === "plugin" ? hostDispatchPlugin : hostDispatchGlobal)("", stringify(f));
    }
    return f;
  }
  function dispatcher(scope) {
    return function (type, payload) {
      if (callOp !== "event") throw refuse(scope, "DISPATCH_LIMIT", "render cannot dispatch actions");
      if (typeof type !== "string") throw fail("INVALID_OUTPUT", "action type must be a string");
      if (type.length === 0 || type.length > 200) throw refuse(scope, "DISPATCH_LIMIT", "An action type must be 1 to 200 characters");
      if (intents.length >= limits.maxDispatches * 2) {
        throw refuse(scope, "DISPATCH_LIMIT", "The handler dispatched more than " + limits.maxDispatches + " actions");
      }
      var json;
      if (payload === undefined) json = "";
      else json = serialize(payload, "payload of '" + type + "'", limits.maxPayloadValues, limits.maxPayloadBytes, "DISPATCH_LIMIT", limits.maxPayloadDepth);
      intents[intents.length] = (scope === "plugin" ? "p" : "g") + stringify(type);
      intents[intents.length] = json;
    };
  }
  var intents = [];
  var dispatchPluginAction = dispatcher("plugin");
  var dispatchGlobalAction = dispatcher("global");

  function render(widgetId, input) {
    var w = plugin.widgets[widgetId];
    var tree = w.render(freeze({ pluginState: input.pluginState, globalState: input.globalState, now: now, log: log }));
    if (isThenable(tree)) throw fail("INVALID_OUTPUT", "render output is a Promise; render, handlers and reducers are synchronous");
    pending = { value: tree, what: "render output", values: limits.maxTreeValues, bytes: limits.maxTreeBytes };
    return "";
  }
  function event(handlerName, input) {
    intents = [];
    var state = input.pluginState;
    var result = plugin.handlers[handlerName](freeze({
      event: input.event, pluginState: state, globalState: input.globalState, now: now, log: log,
      dispatchPluginAction: dispatchPluginAction, dispatchGlobalAction: dispatchGlobalAction,
    }));
    if (isThenable(result)) throw fail("INVALID_OUTPUT", "handler '" + handlerName + "' returned a Promise; handlers are synchronous");
    for (var i = 0; i < intents.length; i += 2) {
      if (rapply(strCharAt, intents[i], [0]) !== "p") continue;
      var type = parse(cut(intents[i], 1));
      if (!owns(plugin.reducers, type)) continue; // reported as not accepted by the host
      state = plugin.reducers[type](state, intents[i + 1] === "" ? undefined : parse(intents[i + 1]));
      if (isThenable(state)) throw fail("INVALID_OUTPUT", "reducer '" + type + "' returned a Promise; reducers are synchronous");
    }
    pending = { value: state, what: "plugin state", values: limits.maxStateValues, bytes: limits.maxStateBytes, intents: intents };
    intents = [];
    return "";
  }

  function stateOf(text, what) {
    try { return parse(text); }
    catch (e) { throw fail("INVALID_STATE", what + " is not JSON text", { state: what, path: "", issue: "not JSON text" }); }
  }

  function run(op, name, inputJson) {
    if (op === "limits") { limits = parse(inputJson); maxElements = limits.maxElements || maxElements; return ""; }
    if (op === "refusal") {
      if (defineFailure !== null) throw fail(defineFailure.code || "INVALID_PLUGIN", defineFailure.message);
      return "";
    }
    if (op === "meta") {
      if (plugin === null) throw fail("INVALID_PLUGIN", "the plugin did not call definePlugin");
      try { return serialize(plugin.meta, "plugin metadata", limits.maxStateValues + 10000, limits.maxStateBytes + 65536, null, 130); }
      catch (e) { if (failure !== null) failure = { code: "INVALID_PLUGIN", message: "initialState: " + failure.message }; throw e; }
    }
    if (op === "output") {
      // The second half of a render or event, run by the host on a shallow stack.
      var p = pending;
      pending = null;
      if (p === null) throw fail("INVALID_OUTPUT", "there is no output to serialize");
      var text = serialize(p.value, p.what, p.values, p.bytes);
      // An event's intents follow its state, each as RS + scope and type + RS + payload, RS
      // being U+001E: JSON text never holds it raw, so the host can split on it. (U+0000 would
      // not do: the host reads the result as a C string.)
      if (p.intents !== undefined && p.intents.length > 0) text += "\u001e" + joined(p.intents, "\u001e");
      return text;
    }
    pending = null;
    // One JSON text the host wrote from states it checked as values; or, when a state arrived
    // as text (from a worker's host), RS (U+001E, which JSON text never holds raw), the call's
    // facts, then each state as its own JSON text, each after an RS: each state must parse
    // alone, so no text can reach into another field, and one that does not is INVALID_STATE.
    var input;
    if (inputJson.charCodeAt(0) === 0x1e) {
      var parts = rapply(strSplit, inputJson, ["\u001e"]);
      input = parse(parts[1]);
      input.pluginState = stateOf(parts[2], "pluginState");
      input.globalState = stateOf(parts[3], "globalState");
    } else input = parse(inputJson);
    begin(input);
    callOp = op;
    return op === "render" ? render(name, input) : event(name, input);
  }

  // The one entry point, which the script evaluates to (so it is never on the global object).
  // Returns the output JSON, or "\u0001" + a bootstrap failure, or "\u0002" + what the plugin
  // threw. Engine-raised interrupts are uncatchable and escape.
  return function entry(op, name, inputJson) {
    failure = null;
    callOp = "";
    refused = false;
    var out;
    try { out = run(op, name, inputJson); }
    catch (e) { if (failure === null) return "\u0002" + describe(e); }
    if (failure !== null) return "\u0001" + stringify(failure);
    return out;
  };
})();
`);
