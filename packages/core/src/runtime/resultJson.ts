/**
 * @module resultJson
 * The JSON text of a render or event result, built from the text the VM produced instead of
 * stringifying the parsed value again. The runtime parses a VM's output to check it, and a
 * service that sends the result on as JSON (a worker's reply, an HTTP body) would otherwise
 * serialize the same tree a second time. The text is exactly what `JSON.stringify(result)` gives
 * for a result nobody has modified since.
 */
const texts = new WeakMap<object, () => string>();

/** Remember how to write `result` as JSON. */
export function rememberResultJson<T extends object>(result: T, text: (result: T) => string): T {
  texts.set(result, () => text(result));
  return result;
}

/** The JSON text of a result the runtime returned, or undefined for any other value. */
export function resultJson(result: unknown): string | undefined {
  if (typeof result !== 'object' || result === null) return undefined;
  return texts.get(result)?.();
}
