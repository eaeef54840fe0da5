/**
 * @module eventOutput
 * Decoding an event's output: the plugin's new state, then each intent as a scope-and-type part
 * and a payload part, separated by RS (see the bootstrap). The VM is not trusted to have checked
 * any of it; every intent becomes a stamped `Dispatch`.
 */
import {
  DEFAULT_JSON_BOUNDS,
  type Diagnostic,
  type Dispatch,
  type DispatchDiagnostic,
  type DispatchSource,
  type EventResult,
  type JSONValue,
  type RuntimeLimits,
} from '@corral/contracts';
import { rememberResultJson } from './resultJson.js';
import { CorruptedVmError, checkOutput, parseOutput } from './screening.js';
import { PAYLOAD_DEPTH } from './vmResult.js';

export { CorruptedVmError } from './screening.js';

/**
 * How deep a plugin state the VM wrote may nest, checked by the host whatever the VM did: as
 * deep as a state the host accepts as input (the VM's serializer stops at about half that).
 */
const STATE_DEPTH = DEFAULT_JSON_BOUNDS.maxDepth;
/** A UTF-16 unit no character is made of (`u` mode matches a pair whole). */
const LONE_SURROGATE = /\p{Surrogate}/u;

/** What an event's intents are checked and stamped with. */
export interface EventContext {
  pluginId: string;
  limits: RuntimeLimits;
  reducers: ReadonlySet<string>;
  allowGlobal: (type: string) => boolean;
  /** The call's `now`, stamped as each dispatch's `ts`. */
  now: number;
  source: DispatchSource;
  uuid: () => string;
}

/** A decoded event output. */
export interface DecodedEvent {
  pluginState: JSONValue;
  /** The state's JSON text as the VM wrote it (already screened). */
  pluginStateJson: string;
  dispatches: Dispatch[];
}

export function decodeEventOutput(output: string, context: EventContext): DecodedEvent {
  const { limits } = context;
  const parts = output.split('\u001e');
  const pluginStateJson = parts[0]!;
  const pluginState = parseOutput(pluginStateJson, limits.maxStateBytes, 'plugin state') as JSONValue;
  checkOutput(pluginState, STATE_DEPTH, 'plugin state', 'OUTPUT_TOO_LARGE');
  if (parts.length % 2 === 0) throw new CorruptedVmError('INVALID_OUTPUT', 'The event output is malformed');
  const count = (parts.length - 1) / 2;
  if (count > limits.maxDispatchesPerEvent) {
    throw new CorruptedVmError(
      'DISPATCH_LIMIT',
      `The handler dispatched more than ${limits.maxDispatchesPerEvent} actions`,
      { maxDispatchesPerEvent: limits.maxDispatchesPerEvent },
    );
  }
  const dispatches: Dispatch[] = [];
  for (let i = 1; i < parts.length; i += 2) dispatches.push(readDispatch(parts[i]!, parts[i + 1]!, context));
  return { pluginState, pluginStateJson, dispatches };
}

/**
 * The event's result, its JSON text built from the state text the VM wrote (see `resultJson`).
 */
export function eventResult(decoded: DecodedEvent, diagnostics: Diagnostic[]): EventResult {
  const { pluginState, pluginStateJson, dispatches } = decoded;
  return rememberResultJson(
    { pluginState, dispatches, diagnostics },
    (r) =>
      `{"pluginState":${pluginStateJson},"dispatches":${JSON.stringify(r.dispatches)},` +
      `"diagnostics":${JSON.stringify(r.diagnostics)}}`,
  );
}

/** The diagnostic of each dispatch, in order. */
export function dispatchDiagnostics(pluginId: string, dispatches: readonly Dispatch[]): DispatchDiagnostic[] {
  return dispatches.map((d) => ({
    kind: 'dispatch',
    dispatchId: d.meta.dispatchId,
    pluginId,
    scope: d.meta.scope,
    type: d.type,
    accepted: d.meta.accepted,
  }));
}

function readDispatch(intent: string, payloadJson: string, context: EventContext): Dispatch {
  const { scope, type } = readIntent(intent);
  const accepted = scope === 'plugin' ? context.reducers.has(type) : context.allowGlobal(type);
  const dispatch: Dispatch = {
    type,
    meta: {
      dispatchId: context.uuid(),
      scope,
      pluginId: context.pluginId,
      ts: context.now,
      source: context.source,
      accepted,
    },
  };
  if (payloadJson !== '') {
    const what = `payload of '${type.slice(0, 100)}'`;
    const payload = parseOutput(payloadJson, context.limits.maxPayloadBytes, what, 'DISPATCH_LIMIT');
    checkOutput(payload, PAYLOAD_DEPTH, what, 'DISPATCH_LIMIT');
    dispatch.payload = payload as JSONValue;
  }
  if (!accepted) {
    dispatch.meta.reason =
      scope === 'plugin'
        ? `the plugin has no reducer '${type}'`
        : `global action type '${type}' is not on the host's allowlist`;
  }
  return dispatch;
}

/** Read an intent's scope-and-type part: "p" or "g", then the type as a JSON string. */
function readIntent(part: string): { scope: 'plugin' | 'global'; type: string } {
  const scope = part.charAt(0) === 'p' ? 'plugin' : part.charAt(0) === 'g' ? 'global' : null;
  let type: unknown;
  try {
    type = JSON.parse(part.slice(1));
  } catch {
    type = undefined;
  }
  if (scope === null || typeof type !== 'string') {
    throw new CorruptedVmError('INVALID_OUTPUT', 'The event output is malformed');
  }
  // A type becomes a key (a reducer's name, the host's allowlist): it must be well-formed.
  if (LONE_SURROGATE.test(type)) {
    throw new CorruptedVmError('INVALID_OUTPUT', 'An action type must be well-formed Unicode', {
      type: type.slice(0, 200),
    });
  }
  if (type.length === 0 || type.length > 200) {
    throw new CorruptedVmError('DISPATCH_LIMIT', 'An action type must be 1 to 200 characters', {
      type: type.slice(0, 200),
    });
  }
  return { scope, type };
}
