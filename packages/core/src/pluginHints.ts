/**
 * @module pluginHints
 * What to tell a plugin author whose code failed: the line and column of the failure in their
 * script, and, for a global that plugins do not have (`window`, `fetch`, `setTimeout`, …), what
 * to use instead. Plain functions over the error's name, message and stack as QuickJS (and
 * quickjs-ng) report them; nothing is evaluated.
 */
import type { JSONObject } from '@corral/contracts';

const NO_DOM =
  'a plugin has no DOM: return a UI tree from render (text, button, input, …) and the host draws it';
const NO_NETWORK =
  'a plugin has no network: let the host put the data in globalState, or ask it for data with ctx.dispatchGlobalAction';
const NO_TIMERS =
  'a plugin has no timers: give the widget a refreshMs (at least 250) to be re-rendered, and read the time with ctx.now()';
const NO_NODE =
  'a plugin is one plain script without Node or module APIs: bundle its imports on the host (`corral build`)';
const NO_STORAGE =
  'a plugin keeps its data in its state: return the new state from a reducer and the host stores it';

/** Globals plugins do not have, and what to use instead. */
export const MISSING_GLOBAL_HINTS: Readonly<Record<string, string>> = {
  console: 'use ctx.log(…) (or ctx.log.warn/error), the call’s bounded log',
  window: NO_DOM,
  document: NO_DOM,
  self: NO_DOM,
  navigator: NO_DOM,
  location: NO_DOM,
  alert: NO_DOM,
  fetch: NO_NETWORK,
  XMLHttpRequest: NO_NETWORK,
  WebSocket: NO_NETWORK,
  EventSource: NO_NETWORK,
  setTimeout: NO_TIMERS,
  setInterval: NO_TIMERS,
  clearTimeout: NO_TIMERS,
  clearInterval: NO_TIMERS,
  setImmediate: NO_TIMERS,
  requestAnimationFrame: NO_TIMERS,
  queueMicrotask: 'a plugin call is synchronous: compute the result before returning it',
  performance: 'use ctx.now() (or Date.now()), the time the host gave the call',
  process: NO_NODE,
  require: NO_NODE,
  module: NO_NODE,
  exports: NO_NODE,
  Buffer: NO_NODE,
  localStorage: NO_STORAGE,
  sessionStorage: NO_STORAGE,
  indexedDB: NO_STORAGE,
};

/** `'x' is not defined` (QuickJS) or `x is not defined` (quickjs-ng). */
const NOT_DEFINED = /^'?([A-Za-z_$][\w$]*)'? is not defined$/;
/** The first frame in the plugin's own script. */
const PLUGIN_FRAME = /plugin\.js:(\d+):(\d+)/;

/** Where and why a plugin's code failed, as extra details and a sentence for the message. */
export function pluginErrorHints(info: { name?: string; message?: string; stack?: string }): {
  details: JSONObject;
  suffix: string;
} {
  const details: JSONObject = {};
  let suffix = '';
  const frame = info.stack ? PLUGIN_FRAME.exec(info.stack) : null;
  if (frame) {
    details.line = Number(frame[1]);
    details.column = Number(frame[2]);
    suffix += ` (plugin.js:${frame[1]}:${frame[2]})`;
  }
  const missing = info.name === 'ReferenceError' ? NOT_DEFINED.exec(info.message ?? '') : null;
  const hint = missing ? MISSING_GLOBAL_HINTS[missing[1]!] : undefined;
  if (hint !== undefined) {
    details.hint = hint;
    suffix += `; ${hint}`;
  }
  return { details, suffix };
}
