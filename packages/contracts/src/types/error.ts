/**
 * @module error
 * The one wire shape of every failure.
 */
import type { JSONObject } from './json.js';

/**
 * Every error code Corral produces. The table in `errors.ts` says, per code, whose fault it is
 * and whether retrying can help.
 */
export type ErrorCode =
  | 'INVALID_REQUEST'
  | 'CODE_TOO_LARGE'
  | 'LOAD_FAILED'
  | 'INVALID_PLUGIN'
  | 'UNKNOWN_PLUGIN'
  | 'UNKNOWN_WIDGET'
  | 'UNKNOWN_HANDLER'
  | 'PLUGIN_THREW'
  | 'LIMIT_TIME'
  | 'LIMIT_MEMORY'
  | 'LIMIT_STACK'
  | 'INVALID_OUTPUT'
  | 'OUTPUT_TOO_LARGE'
  | 'INVALID_STATE'
  | 'DISPATCH_LIMIT'
  | 'PLUGIN_ERRORED'
  | 'WORKER_CRASHED'
  | 'OVERLOADED'
  | 'UNAUTHORIZED'
  | 'RATE_LIMITED'
  | 'CANCELLED'
  | 'INTERNAL';

/** A failure as it crosses any boundary. */
export interface RuntimeError {
  /** Stable machine-readable code; match on this, never on the message. */
  code: ErrorCode;
  /** Human-readable explanation. */
  message: string;
  /** Structured context (JSON path, limit hit, plugin stack trace, …). */
  details?: JSONObject;
}
