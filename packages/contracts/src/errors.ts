/**
 * @module errors
 * One code table, one error class, one wire shape, one normalizer. Across any boundary (worker,
 * HTTP) match on `code`, never on `instanceof`.
 */
import type { ErrorCode, RuntimeError } from './types/error.js';
import type { JSONObject } from './types/json.js';

/** Whose fault a failure is. */
export type Fault = 'plugin' | 'caller' | 'host';

/** What the table says about one code. */
export interface ErrorCodeInfo {
  /** Who caused it: the plugin's code, the caller's request, or the host itself. */
  fault: Fault;
  /** Whether sending the same call again can succeed. */
  retryable: boolean;
  /** HTTP status the server answers with. */
  httpStatus: number;
  /** One line for docs and logs. */
  description: string;
}

/** The closed table of error codes. */
export const ERROR_CODES = {
  INVALID_REQUEST: {
    fault: 'caller',
    retryable: false,
    httpStatus: 400,
    description: 'The request does not match the contract (details.path names the offending field).',
  },
  CODE_TOO_LARGE: {
    fault: 'caller',
    retryable: false,
    httpStatus: 413,
    description: "The plugin source is larger than the limits' maxCodeBytes.",
  },
  LOAD_FAILED: {
    fault: 'plugin',
    retryable: false,
    httpStatus: 422,
    description: 'Evaluating the plugin source failed: a syntax error, or its top level threw.',
  },
  INVALID_PLUGIN: {
    fault: 'plugin',
    retryable: false,
    httpStatus: 422,
    description: 'The source ran but did not call definePlugin exactly once with a valid definition.',
  },
  UNKNOWN_PLUGIN: {
    fault: 'caller',
    retryable: true,
    httpStatus: 404,
    description: 'No plugin is loaded under that id here; load it (again) and retry.',
  },
  UNKNOWN_WIDGET: {
    fault: 'caller',
    retryable: false,
    httpStatus: 404,
    description: 'The plugin declares no widget with that id.',
  },
  UNKNOWN_HANDLER: {
    fault: 'caller',
    retryable: false,
    httpStatus: 404,
    description: 'The plugin declares no handler with that name.',
  },
  PLUGIN_THREW: {
    fault: 'plugin',
    retryable: false,
    httpStatus: 422,
    description: 'A render, handler or reducer threw; details carry the plugin-side name, message and stack.',
  },
  LIMIT_TIME: {
    fault: 'plugin',
    retryable: false,
    httpStatus: 422,
    description: 'The call overran its deadline or its promise-job budget and was interrupted.',
  },
  LIMIT_MEMORY: {
    fault: 'plugin',
    retryable: false,
    httpStatus: 422,
    description: "The plugin's heap went past memoryBytes; its runtime was recycled.",
  },
  LIMIT_STACK: {
    fault: 'plugin',
    retryable: false,
    httpStatus: 422,
    description: 'The plugin recursed past stackBytes; its runtime was recycled.',
  },
  INVALID_OUTPUT: {
    fault: 'plugin',
    retryable: false,
    httpStatus: 422,
    description:
      'A render or reducer returned something that is not a valid UINode / JSON value (or a Promise).',
  },
  OUTPUT_TOO_LARGE: {
    fault: 'plugin',
    retryable: false,
    httpStatus: 422,
    description: 'The output went past maxOutputBytes, maxOutputNodes or maxOutputDepth.',
  },
  INVALID_STATE: {
    fault: 'caller',
    retryable: false,
    httpStatus: 422,
    description: 'A state snapshot is not JSON, or is larger than maxStateBytes.',
  },
  DISPATCH_LIMIT: {
    fault: 'plugin',
    retryable: false,
    httpStatus: 422,
    description:
      'A handler dispatched more than maxDispatchesPerEvent actions, or a payload past maxPayloadBytes.',
  },
  PLUGIN_ERRORED: {
    fault: 'plugin',
    retryable: false,
    httpStatus: 422,
    description: 'The plugin failed too often within the window; calls fail fast until it is reloaded.',
  },
  WORKER_CRASHED: {
    fault: 'host',
    retryable: true,
    httpStatus: 503,
    description:
      'The worker died or was killed while running this call, or no replacement was ready in time; calls queued behind it are sent again.',
  },
  OVERLOADED: {
    fault: 'host',
    retryable: true,
    httpStatus: 503,
    description: 'The host is at capacity or shutting down; retry after the advertised delay.',
  },
  UNAUTHORIZED: {
    fault: 'caller',
    retryable: false,
    httpStatus: 401,
    description: 'Missing or wrong API key.',
  },
  RATE_LIMITED: {
    fault: 'caller',
    retryable: true,
    httpStatus: 429,
    description: 'Too many requests from this key or address; retry after the advertised delay.',
  },
  CANCELLED: {
    fault: 'caller',
    retryable: true,
    // nginx's "client closed request": the caller stopped waiting, nobody reads the answer.
    httpStatus: 499,
    description:
      "The caller's AbortSignal fired before the call finished; a running call's worker was recycled.",
  },
  INTERNAL: {
    fault: 'host',
    retryable: true,
    httpStatus: 500,
    description: 'A defect in Corral itself. Please report it.',
  },
} as const satisfies Record<ErrorCode, ErrorCodeInfo>;

/** Every code, in table order. */
export const ERROR_CODE_LIST = Object.keys(ERROR_CODES) as ErrorCode[];

/** Type guard for a code string. */
export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(ERROR_CODES, value);
}

/** The one error class of Corral. Expected failures and defects alike carry a code. */
export class CorralError extends Error {
  override readonly name = 'CorralError';
  readonly code: ErrorCode;
  readonly details: JSONObject | undefined;

  constructor(code: ErrorCode, message: string, details?: JSONObject, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.details = details;
  }

  /** Whose fault this is, from the code table. */
  get fault(): Fault {
    return ERROR_CODES[this.code].fault;
  }

  /** Whether retrying can help, from the code table. */
  get retryable(): boolean {
    return ERROR_CODES[this.code].retryable;
  }

  /** The wire shape. */
  toWire(): RuntimeError {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }

  /** Rebuild from the wire shape (e.g. a worker's or server's response). */
  static fromWire(error: RuntimeError): CorralError {
    return new CorralError(error.code, error.message, error.details);
  }

  /**
   * Normalize anything thrown into a CorralError. Unknown throwables are defects: INTERNAL.
   * Matches on a `code` property rather than `instanceof`, so errors from another realm or
   * another copy of this package keep their code.
   */
  static fromUnknown(error: unknown): CorralError {
    if (error instanceof CorralError) return error;
    if (typeof error === 'object' && error !== null) {
      const { code, message, details } = error as { code?: unknown; message?: unknown; details?: unknown };
      if (isErrorCode(code)) {
        return new CorralError(
          code,
          typeof message === 'string' ? message : code,
          isPlainObject(details) ? (details as JSONObject) : undefined,
          { cause: error },
        );
      }
    }
    const message = error instanceof Error ? error.message : String(error);
    return new CorralError('INTERNAL', `Internal error: ${message}`, undefined, { cause: error });
  }
}

/** One reason a value is invalid, as the contract's validators report it (`ValidationIssue`). */
export interface InvalidIssue {
  /** JSON pointer of the offending value (`''` for the root). */
  path: string;
  /** What is wrong with it. */
  message: string;
}

/**
 * The INVALID_REQUEST for a request that failed validation: a failed `Validation` (its first
 * issue is the most useful) or one issue. The message names the JSON pointer and the problem;
 * `details` carry both as `path` and `issue`.
 */
export function invalidRequest(failure: { issues: readonly InvalidIssue[] } | InvalidIssue): CorralError {
  const first = 'issues' in failure ? (failure.issues[0] ?? { path: '', message: 'is invalid' }) : failure;
  return new CorralError('INVALID_REQUEST', `Invalid request: ${first.path || '/'}: ${first.message}`, {
    path: first.path,
    issue: first.message,
  });
}

function isPlainObject(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
