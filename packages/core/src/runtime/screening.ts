/**
 * @module screening
 * What crosses into and out of a VM, checked at the runtime's edge: a call's params and states
 * before anything is parsed inside a VM, and a VM's output text before the host parses it.
 */
import {
  CorralError,
  FORBIDDEN_KEY,
  FORBIDDEN_KEY_MESSAGE,
  escapePointer,
  invalidRequest,
  utf8Length,
  type EventParams,
  type JSONValue,
  type RenderParams,
  type RuntimeLimits,
  type Validation,
} from '@corral/contracts';
import { StateText, checkStates, notJsonText } from '../states.js';

/** What JSON text never holds raw, and the VM's input may not: RS (its separator) and U+0000. */
// eslint-disable-next-line no-control-regex
const SEPARATORS = /[\u0000\u001e]/;

/** A validated value, or INVALID_REQUEST naming the first issue. */
export function check<T>(result: Validation<T>): T {
  if (result.ok) return result.value;
  throw invalidRequest(result);
}

/**
 * Validate render/event params: the envelope by the schema with the (potentially large) states
 * set aside, the states by `checkStates`, which is cheaper than the schema's walk.
 */
export function checkCall<T extends RenderParams | EventParams>(
  validate: (v: unknown) => Validation<T>,
  params: T,
): T {
  if (typeof params !== 'object' || params === null) return check(validate(params));
  const envelope: Record<string, unknown> = { ...params };
  if ('pluginState' in envelope) envelope.pluginState = null;
  if ('globalState' in envelope) envelope.globalState = null;
  check(validate(envelope));
  const invalid = checkStates(params);
  if (invalid) throw invalid;
  return params;
}

/**
 * The JSON input of one render or event: the states sized against `maxStateBytes`, `now`,
 * `seed` and the event. A state text from a worker's host is parsed on its own in the VM (see
 * the bootstrap), so such input is separated into parts.
 */
export function callInput(
  p: RenderParams | EventParams,
  limits: RuntimeLimits,
  now: number,
  seed: number,
): string {
  const pluginStateJson = stateJson(p.pluginState, limits, 'pluginState');
  const globalStateJson = stateJson(p.globalState, limits, 'globalState');
  const eventJson = 'event' in p ? `,"event":${JSON.stringify(p.event)}` : '';
  const texts =
    (p.pluginState as unknown) instanceof StateText || (p.globalState as unknown) instanceof StateText;
  return texts
    ? `\u001e{"now":${now},"seed":${seed}${eventJson}}\u001e${pluginStateJson}\u001e${globalStateJson}`
    : `{"pluginState":${pluginStateJson},"globalState":${globalStateJson},"now":${now},"seed":${seed}${eventJson}}`;
}

function stateJson(state: JSONValue, limits: RuntimeLimits, what: string): string {
  // checkCall has checked a state value, which is serialized here, its one serialization. A
  // StateText (a worker's, see writeWorkerMessage) is the text the host's client made of a
  // value it checked the same way; it goes to the VM as it is, which parses it alone (see the
  // bootstrap). It must not hold the separator, nor U+0000: the input crosses as a C string.
  let text: string | undefined;
  try {
    if ((state as unknown) instanceof StateText) {
      text = (state as unknown as StateText).text;
      if (SEPARATORS.test(text)) throw notJsonText(what);
    } else text = JSON.stringify(state);
  } catch (error) {
    if (error instanceof CorralError) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    throw new CorralError('INVALID_STATE', `${what} is not JSON: ${reason}`, { state: what });
  }
  if (text === undefined) throw new CorralError('INVALID_STATE', `${what} is not JSON`, { state: what });
  // UTF-8 takes at most 3 bytes per UTF-16 unit: short text needs no exact count.
  if (text.length * 3 <= limits.maxStateBytes) return text;
  const bytes = utf8Length(text);
  if (bytes > limits.maxStateBytes) {
    throw new CorralError(
      'INVALID_STATE',
      `${what} is ${bytes} bytes; the limit is ${limits.maxStateBytes}`,
      {
        state: what,
        bytes,
        maxStateBytes: limits.maxStateBytes,
      },
    );
  }
  return text;
}

/** The code an output past its byte limit fails with. */
export type TooLargeCode = 'OUTPUT_TOO_LARGE' | 'DISPATCH_LIMIT';

/**
 * Output the bootstrap should never have produced: the plugin has tampered with the built-ins
 * the bootstrap relies on, so its VM is recycled rather than trusted again.
 */
export class CorruptedVmError extends CorralError {}

/**
 * Size a VM output from its text, then parse it. Nothing the VM says about its output is
 * trusted: text that is not JSON is INVALID_OUTPUT (from a tampered VM, so it is recycled), and
 * the parsed value is for `checkOutput` to walk. JSON.parse itself does not recurse (V8,
 * SpiderMonkey and JavaScriptCore all parse with an explicit stack: a 1,000,000-deep array
 * parses), so deep text cannot hurt the host before that walk refuses it.
 */
export function parseOutput(
  text: string,
  maxBytes: number,
  what: string,
  tooLarge: TooLargeCode = 'OUTPUT_TOO_LARGE',
): unknown {
  screenOutput(text, maxBytes, what, tooLarge);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new CorruptedVmError('INVALID_OUTPUT', `The ${what} is not JSON text`, { output: what });
  }
}

/** The checks on an output's text that come before parsing it: its size. */
export function screenOutput(
  text: string,
  maxBytes: number,
  what: string,
  tooLarge: TooLargeCode = 'OUTPUT_TOO_LARGE',
): void {
  // UTF-8 takes at most 3 bytes per UTF-16 unit: short text needs no exact count.
  if (text.length * 3 > maxBytes) {
    const bytes = utf8Length(text);
    if (bytes > maxBytes) {
      throw new CorralError(tooLarge, `The ${what} is ${bytes} bytes; the limit is ${maxBytes}`, {
        bytes,
        maxBytes,
      });
    }
  }
}

/** FORBIDDEN_KEY as a module constant: compared once per key of every output. */
const PROTO: string = FORBIDDEN_KEY;

/** What `outputIssue` found, and where (a JSON pointer). */
interface OutputIssue {
  path: string;
  issue: 'depth' | 'key';
}

/**
 * The first thing the host refuses in a value JSON.parse made of a VM's output, whatever the
 * VM checked: nesting past `depthLeft` levels, or a "__proto__" key (JSON.parse makes it an own
 * key in any spelling, `"\u005f_proto__"` too, and code that copies the object by assignment
 * would set a prototype). Anything else is JSON by construction. Recursive, but never more than
 * `depthLeft` frames deep; the path is built only on the way out of a failure.
 */
export function outputIssue(value: unknown, depthLeft: number): OutputIssue | null {
  if (typeof value !== 'object' || value === null) return null;
  if (depthLeft <= 0) return { path: '', issue: 'depth' };
  let found: OutputIssue | null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      if (typeof item !== 'object' || item === null) continue;
      if ((found = outputIssue(item, depthLeft - 1))) {
        found.path = `/${i}${found.path}`;
        return found;
      }
    }
    return null;
  }
  // for-in, not Object.keys: no array per object (a todo50 tree walks in 3 µs instead of 13).
  // JSON.parse's objects hold only own enumerable keys (an own "__proto__" among them), and
  // Object.prototype has no enumerable ones, so nothing else is visited.
  for (const key in value) {
    if (key === PROTO) return { path: `/${escapePointer(key)}`, issue: 'key' };
    const item: unknown = (value as Record<string, unknown>)[key];
    if (typeof item !== 'object' || item === null) continue;
    if ((found = outputIssue(item, depthLeft - 1))) {
      found.path = `/${escapePointer(key)}${found.path}`;
      return found;
    }
  }
  return null;
}

/**
 * Refuse a parsed VM output that nests deeper than `maxDepth` (`tooLarge`; past the VM's own
 * bound only a tampered VM gets, so it is recycled) or holds a "__proto__" key (INVALID_OUTPUT).
 */
export function checkOutput(value: unknown, maxDepth: number, what: string, tooLarge: TooLargeCode): void {
  const found = outputIssue(value, maxDepth);
  if (!found) return;
  if (found.issue === 'depth') {
    throw new CorruptedVmError(tooLarge, `The ${what} is nested deeper than ${maxDepth} levels`, {
      path: found.path.slice(0, 200),
      maxDepth,
    });
  }
  throw new CorralError('INVALID_OUTPUT', `The ${what} at ${found.path}: ${FORBIDDEN_KEY_MESSAGE}`, {
    path: found.path,
    key: FORBIDDEN_KEY,
  });
}
