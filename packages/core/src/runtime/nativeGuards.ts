/**
 * @module nativeGuards
 * The bootstrap's section that bounds long native built-ins (see the core README, "Long native
 * built-ins", and `bench/nativeBuiltins.ts`). It is a fragment of the bootstrap's function body,
 * spliced in by `bootstrap.ts`: it uses the natives the bootstrap captured before it (`rapply`,
 * `S`, `defineProperty`, `g`, …) and sets `maxElements`, which the bootstrap's `limits` op updates.
 */
export const NATIVE_GUARDS = String.raw`
  // --- long native built-ins ----------------------------------------------------------------
  // Some natives loop without asking the interrupt handler (bench/nativeBuiltins.ts measures
  // which). Array join, indexOf, lastIndexOf, includes, reverse and sort walk every index up to
  // the length, present or not, and a sparse array or array-like may claim 2^32-1 (minutes):
  // they refuse, with a RangeError, a length past what the plugin's memory could hold as elements
  // (8 bytes each: nothing real is that long), read once, so a getter, valueOf or proxy cannot
  // hand the native a longer one. QuickJS's substring search is naive, (haystack - needle) x
  // needle steps: String indexOf, lastIndexOf and includes past SEARCH_STEPS (2-3 ms) search in
  // windows of that many from a JS loop that makes the handler look after each, with the same
  // result. Typed arrays and strings hold what they claim and pass as they are. The guards call
  // the natives captured here, which the plugin cannot reach.
  var maxElements = 2097152, SEARCH_STEPS = 1048576, AP = Array.prototype, SP = S.prototype;
  var RealProxy = Proxy, nativeRevocable = Proxy.revocable, proxies = new WeakSet(), tag = WeakSet.prototype.add;
  var isProxy = WeakSet.prototype.has.bind(proxies), isView = ArrayBuffer.isView, getProto = Object.getPrototypeOf;
  var gopd = Object.getOwnPropertyDescriptor, trunc = Math.trunc, strConcat = SP.concat, strLastIndexOf = SP.lastIndexOf;
  // Every proxy is known (the plugin's Proxy is this one): its length may change between reads.
  function tagged(p) { rapply(tag, proxies, [p]); return p; }
  defineProperty(RealProxy, "revocable", { writable: true, configurable: true, value: { revocable(t, h) {
    var r = nativeRevocable(t, h); tagged(r.proxy); return r;
  } }.revocable });
  g.Proxy = new RealProxy(RealProxy, { construct: function (t, args, nt) { return tagged(Reflect.construct(t, args, nt)); } });
  // Whether reading o.length runs no plugin code (a getter, a proxy, valueOf).
  function plainLength(o) {
    for (var p = o; p !== null; p = getProto(p)) {
      if (isProxy(p)) return false;
      var d = gopd(p, "length");
      if (d !== undefined) return typeof d.value === "number";
    }
    return true;
  }
  // The object the native may walk: o, or a view of o whose length is the one read here.
  function bounded(name, o) {
    if (o === null || (typeof o !== "object" && typeof o !== "function") || isView(o)) return o;
    var n, view = false;
    if (isArray(o) && !isProxy(o)) n = o.length;
    else {
      view = !plainLength(o); n = trunc(+o.length);
      n = n > 0 ? (n < 9007199254740991 ? n : 9007199254740991) : 0;
    }
    if (n > maxElements) throw new RangeError("Array.prototype." + name + ": length " + n + " is past " + maxElements + ", more elements than the plugin's memory holds, so the array is sparse and the native loop over it could not be interrupted");
    return view ? new RealProxy(o, { get: function (t, k) { return k === "length" ? n : t[k]; } }) : o;
  }
  var guarded = ["join", "indexOf", "lastIndexOf", "includes", "reverse", "sort"];
  for (var gi = 0; gi < guarded.length; gi++) (function (name, native) {
    var f = { [name](x) {
      var o = this;
      if (isArray(o) && !isProxy(o) && o.length <= maxElements) return rapply(native, o, arguments);
      var b = bounded(name, o), r = rapply(native, b, arguments);
      return r === b && b !== o ? o : r;
    } }[name];
    if (native.length !== 1) defineProperty(f, "length", { value: native.length });
    defineProperty(AP, name, { value: f, writable: true, configurable: true });
  })(guarded[gi], AP[guarded[gi]]);

  // QuickJS asks the handler every 10,000 ticks (see then() above): each window spends them.
  function find(s, t, from, last) {
    var n = s.length, m = t.length, step = m < SEARCH_STEPS ? trunc(SEARCH_STEPS / m) : 1, i, k, lo, tick;
    for (i = from; last ? i >= 0 : i <= n - m; i += last ? -step : step) {
      lo = last ? (i - step + 1 > 0 ? i - step + 1 : 0) : i;
      k = last ? rapply(strLastIndexOf, cut(s, lo, i + m), [t]) : rapply(strIndexOf, cut(s, i, i + step + m - 1), [t]);
      if (k !== -1) return lo + k;
      for (tick = 0; tick < 10000; tick++);
    }
    return -1;
  }
  // this and the needle are converted once (ToString, as the native would), then searched.
  function search(kind, native, s, args) {
    var t = args[0], p = args[1];
    if (typeof s !== "string" || typeof t !== "string") {
      if (s === null || s === undefined) return rapply(native, s, args);
      s = rapply(strConcat, "", [s]);
      // includes refuses a RegExp (IsRegExp): the native throws that TypeError.
      if (kind === 2 && t !== null && typeof t === "object" && (t[Symbol.match] !== undefined ? t[Symbol.match] : t instanceof RegExp)) return rapply(native, s, [t]);
      t = rapply(strConcat, "", [t]);
    }
    if ((s.length - t.length) * t.length <= SEARCH_STEPS) return rapply(native, s, [t, p]);
    if (kind === 1) {
      var x = +p, max = s.length - t.length;
      x = x !== x ? max : trunc(x);
      return find(s, t, x < 0 ? 0 : x > max ? max : x, true);
    }
    p = trunc(+p);
    var at = find(s, t, p > 0 ? p : 0, false);
    return kind === 2 ? at !== -1 : at;
  }
  var searches = ["indexOf", "lastIndexOf", "includes"];
  // The common case calls the native through a bound call: no arguments object, no array.
  for (var si = 0; si < searches.length; si++) (function (kind, name, native, call) {
    var f = { [name](t, p) {
      var s = this;
      if (typeof s === "string" && typeof t === "string" && (s.length - t.length) * t.length <= SEARCH_STEPS) return call(s, t, p);
      return search(kind, native, s, arguments);
    } }[name];
    defineProperty(f, "length", { value: 1 });
    defineProperty(SP, name, { writable: true, configurable: true, value: f });
  })(si, searches[si], SP[searches[si]], Function.prototype.call.bind(SP[searches[si]]));

  // quickjs-ng hands Error.prepareStackTrace call sites whose getFunction() returns each frame's
  // function, natives included: a native captured above, on the stack under a plugin callback
  // (sort's comparator), would come back to the plugin. The engine keeps the function its own
  // setter was given: it gets a shim that puts a getFunction() answering undefined on the call
  // sites' prototype first, and the plugin reads back its own function.
  var traceWas = gopd(g.Error, "prepareStackTrace");
  if (traceWas !== undefined && typeof traceWas.set === "function") {
    var noFunction = { getFunction() { return undefined; } }.getFunction, userTrace = rapply(traceWas.get, g.Error, []);
    var traceShim = function (e, frames) {
      var site = frames !== null && typeof frames === "object" && frames.length > 0 ? getProto(frames[0]) : null;
      if (site !== null && typeof site === "object" && site.getFunction !== noFunction) {
        try { defineProperty(site, "getFunction", { value: noFunction, writable: true, configurable: true }); } catch (x) { return ""; }
      }
      return rapply(userTrace, this, [e, frames]);
    };
    defineProperty(g.Error, "prepareStackTrace", { configurable: false, enumerable: traceWas.enumerable,
      get: function () { return userTrace; },
      set: function (f) { userTrace = f; rapply(traceWas.set, g.Error, [typeof f === "function" ? traceShim : f]); } });
  }

`;
