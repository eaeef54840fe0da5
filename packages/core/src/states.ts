/**
 * @module states
 * The state snapshots a render or event carries must be plain JSON as they are. JSON text would
 * quietly rewrite some values (NaN and Infinity become null, a Date a string) and structured
 * cloning refuses others (a function, a symbol), so every host checks them at its edge and
 * answers the same way: INVALID_STATE, naming the state and the JSON pointer of the value.
 */
import { CorralError, DEFAULT_JSON_BOUNDS, FORBIDDEN_KEY, checkJsonBounds } from '@corral/contracts';

const STATES = ['pluginState', 'globalState'] as const;

/**
 * A state that crossed a worker boundary as JSON text (see `writeWorkerMessage`). Its text goes
 * to the VM as it is, where the bootstrap parses it on its own and answers INVALID_STATE if it
 * is not one JSON value. `checked`: the message says core's writer made the text from a value
 * that passed `checkStates` on the host, so it is not parsed and walked again here (that took
 * 30 µs of each call in a worker thread, measured); any other state text is checked in full,
 * like a value. Internal to core.
 */
export class StateText {
  constructor(
    readonly text: string,
    readonly checked: boolean,
  ) {}
}

const { maxDepth, maxValues, maxStringLength } = DEFAULT_JSON_BOUNDS;

/**
 * Whether `checkJsonBounds` would pass the value, decided by a plain recursive walk (depth is
 * bounded, so the recursion is): it runs on every call, where the general walker's bookkeeping
 * cost 3 µs on the benchmark's state. Only a value that fails is walked again, for its path.
 */
function plainJson(value: unknown, depth: number, budget: { left: number }): boolean {
  if (--budget.left < 0) return false;
  switch (typeof value) {
    case 'string':
      return value.length <= maxStringLength;
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(value);
    case 'object': {
      if (value === null) return true;
      if (depth >= maxDepth) return false;
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) {
          const item: unknown = value[i];
          if (item === undefined || !plainJson(item, depth + 1, budget)) return false;
        }
        return true;
      }
      const proto: unknown = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) return false;
      for (const key of Object.keys(value)) {
        if (key.length > maxStringLength || key === FORBIDDEN_KEY) return false;
        const child = (value as Record<string, unknown>)[key];
        if (child !== undefined && !plainJson(child, depth + 1, budget)) return false;
      }
      return true;
    }
    default:
      return false;
  }
}

/** INVALID_STATE for a state text that is not one JSON value (the VM's bootstrap says the same). */
export function notJsonText(state: string): CorralError {
  return new CorralError('INVALID_STATE', `${state} is not JSON text`, {
    state,
    path: '',
    issue: 'not JSON text',
  });
}

/** INVALID_STATE for the first state JSON cannot carry (or too deep, or cyclic), else null. */
export function checkStates(params: unknown): CorralError | null {
  if (typeof params !== 'object' || params === null) return null;
  for (const state of STATES) {
    if (!(state in params)) continue; // missing: the params schema reports it
    let value = (params as Record<string, unknown>)[state];
    if (value instanceof StateText) {
      if (value.checked) continue; // on the host, by core's writer (see StateText)
      try {
        value = JSON.parse(value.text) as unknown;
      } catch {
        return notJsonText(state);
      }
    }
    if (plainJson(value, 0, { left: maxValues })) continue;
    const issue = checkJsonBounds(value);
    if (issue) {
      return new CorralError('INVALID_STATE', `${state}${issue.path} is not JSON: ${issue.message}`, {
        state,
        path: issue.path,
        issue: issue.message,
      });
    }
  }
  return null;
}
