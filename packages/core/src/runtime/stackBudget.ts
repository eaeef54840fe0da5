/**
 * @module stackBudget
 * How much QuickJS stack a plugin gets on this host. QuickJS's recursion — plugin code, and
 * JSON.stringify/parse of deep values — also uses the host thread's native stack, about 32×
 * QuickJS's own count in the worst case measured (deep JSON, array literals); if the host's
 * stack overflows first, the module is left in an unknown state and must be replaced. So a
 * plugin's stack is capped at 1/32 of the thread's, and a load that asked for more is told what
 * it got (`requestedStackBytes` beside `stackBytes`), never lowered silently.
 */

import { CorralError } from '@corral/contracts';

/** V8's default thread stack, which the main thread and a default Node or Web worker get. */
export const DEFAULT_HOST_STACK_BYTES = 984 * 1024;
/** Host stack used per byte of QuickJS stack, worst case measured. */
const HOST_STACK_RATIO = 32;
/** The smallest stack any plugin gets (the contract's minimum for `stackBytes`). */
export const MIN_STACK_BYTES = 16 * 1024;

/** The most QuickJS stack a thread with `hostStackBytes` of native stack grants a plugin. */
export function maxPluginStackBytes(hostStackBytes: number = DEFAULT_HOST_STACK_BYTES): number {
  return Math.floor(hostStackBytes / HOST_STACK_RATIO);
}

/** A plugin's stack as granted: what is in force, and what was asked when that is less. */
export interface StackGrant {
  stackBytes: number;
  /** Present when the host lowered the stack: what the limits asked for. */
  requestedStackBytes?: number;
}

/** The stack a plugin whose limits ask for `requested` bytes gets under `maxStackBytes`. */
export function grantStack(requested: number, maxStackBytes: number): StackGrant {
  const stackBytes = Math.max(MIN_STACK_BYTES, Math.min(requested, maxStackBytes));
  return stackBytes < requested ? { stackBytes, requestedStackBytes: requested } : { stackBytes };
}

/**
 * A LIMIT_STACK of a plugin whose stack the host lowered says so: the plugin hit the granted
 * stack, not the one its limits asked for. Any other error is returned as it is.
 */
export function explainStackLimit(error: CorralError, stack: StackGrant): CorralError {
  if (error.code !== 'LIMIT_STACK' || stack.requestedStackBytes === undefined) return error;
  return new CorralError(
    'LIMIT_STACK',
    `${error.message} (its limits asked for ${stack.requestedStackBytes} bytes; this host grants ` +
      `at most ${stack.stackBytes}: raise hostStackBytes or lower the plugin's recursion)`,
    { ...error.details, stackBytes: stack.stackBytes, requestedStackBytes: stack.requestedStackBytes },
  );
}
