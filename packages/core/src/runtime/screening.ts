/**
 * @module screening
 * What crosses into and out of a VM, checked at the runtime's edge: a call's params and states
 * before anything is parsed inside a VM, and a VM's output text before the host parses it.
 */
import {
  CorralError,
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
 * Size a VM output from its text before parsing it, then parse it. The VM already bounded
 * its value count and (by the serializer's stack) its depth, and JSON.parse does not recurse,
 * so the text's size is all that needs checking first; exact depth and node limits are
 * checked by the walk that validates the result.
 */
export function parseOutput(
  text: string,
  maxBytes: number,
  what: string,
  tooLarge: TooLargeCode = 'OUTPUT_TOO_LARGE',
): unknown {
  screenOutput(text, maxBytes, what, tooLarge);
  // Text from the VM's JSON.stringify, already sized: parsing it yields plain JSON.
  return JSON.parse(text) as unknown;
}

/** The checks on an output's text that come before parsing it. */
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
  // JSON.parse makes "__proto__" an own key, but any host code that later copies the object
  // with assignment would set a prototype: refuse it outright.
  if (text.includes('"__proto__"')) {
    throw new CorralError('INVALID_OUTPUT', `The ${what} contains a "__proto__" key`, { key: '__proto__' });
  }
}
