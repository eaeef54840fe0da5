/**
 * @module states
 * The state snapshots a render or event carries must be plain JSON as they are. JSON text would
 * quietly rewrite some values (NaN and Infinity become null, a Date a string) and structured
 * cloning refuses others (a function, a symbol), so every host checks them at its edge and
 * answers the same way: INVALID_STATE, naming the state and the JSON pointer of the value.
 */
import { CorralError, checkJsonBounds } from '@corral/contracts';

const STATES = ['pluginState', 'globalState'] as const;

/** INVALID_STATE for the first state JSON cannot carry (or too deep, or cyclic), else null. */
export function checkStates(params: unknown): CorralError | null {
  if (typeof params !== 'object' || params === null) return null;
  for (const state of STATES) {
    if (!(state in params)) continue; // missing: the params schema reports it
    const issue = checkJsonBounds((params as Record<string, unknown>)[state]);
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
