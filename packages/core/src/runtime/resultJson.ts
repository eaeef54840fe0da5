/**
 * @module resultJson
 * The JSON text of a render or event result, built from the text the VM produced instead of
 * stringifying the parsed value again. The runtime parses a VM's output to check it, and a
 * service that sends the result on as JSON (a worker's reply, an HTTP body) would otherwise
 * serialize the same tree a second time. The text is exactly what `JSON.stringify(result)` gives
 * for a result nobody has modified since.
 *
 * The builder rides on the result itself, as a non-enumerable symbol-keyed property: invisible
 * to JSON, structured cloning, `Object.keys` and deep equality, and freed with the result. (A
 * WeakMap from result to builder cost 15–20 µs per render: the builder refers to its key, and
 * V8's young-generation collector keeps such entries alive, so every result and its tree were
 * promoted to the old generation and left to full collections; measured in the core bench.)
 */
import type { TreeCheck } from './treeCheck.js';

const TEXT = Symbol('corral.resultJson');
const CHECK = Symbol('corral.treeCheck');

/** Remember how to write `result` as JSON. */
export function rememberResultJson<T extends object>(result: T, text: (result: T) => string): T {
  Object.defineProperty(result, TEXT, { value: text });
  return result;
}

/** The JSON text of a result the runtime returned, or undefined for any other value. */
export function resultJson(result: unknown): string | undefined {
  if (typeof result !== 'object' || result === null) return undefined;
  const text = (result as { [TEXT]?: (result: object) => string })[TEXT];
  return typeof text === 'function' ? text(result) : undefined;
}

/**
 * Mark a render result whose tree was left unchecked for the receiving end of the wire to check
 * (see `treeCheck`); `check` says against what.
 */
export function deferTreeCheck<T extends object>(result: T, check: TreeCheck): T {
  Object.defineProperty(result, CHECK, { value: check });
  return result;
}

/** The check a result's receiver owes its tree, if the runtime deferred it. */
export function deferredTreeCheck(result: unknown): TreeCheck | undefined {
  if (typeof result !== 'object' || result === null) return undefined;
  return (result as { [CHECK]?: TreeCheck })[CHECK];
}
