/**
 * @module vmResult
 * What a call into a plugin VM comes back with, and how an error raised inside QuickJS is named.
 * A call returns a result union, as quickjs-emscripten's `DisposableResult` does, so every
 * caller sees both branches in the type instead of reading facts back off a thrown error.
 * QuickJS and quickjs-ng report a stack overflow or an exhausted heap differently; both are
 * mapped to the same LIMIT_* codes here.
 */
import { CorralError, type ErrorCode, type JSONObject, type RuntimeLimits } from '@corral/contracts';
import { pluginErrorHints } from '../pluginHints.js';
import { CorruptedVmError } from './screening.js';

/** What a call reported besides its output. */
export interface CallOutcome {
  /** The call was stopped by its deadline or its job budget. */
  interrupted: boolean;
  /** The call hit the heap gate. */
  memoryError: boolean;
}

/** A call that failed: its error, what it reported, and whether the VM must be rebuilt. */
export interface VmFailure {
  ok: false;
  error: CorralError;
  outcome: CallOutcome;
  /** The plugin's VM is thrown away and rebuilt from its code (LIMIT_*, INTERNAL, tampering). */
  recycle: boolean;
}

/** The result of a call into a VM. */
export type VmResult<T> = { ok: true; output: T; outcome: CallOutcome } | VmFailure;

/** The outcome of a call that reported nothing unusual. */
export const QUIET: Readonly<CallOutcome> = Object.freeze({ interrupted: false, memoryError: false });

/** A failure raised before the VM ran anything: nothing to report, nothing to recycle. */
export function failedBeforeRunning(error: unknown): VmFailure {
  return { ok: false, error: CorralError.fromUnknown(error), outcome: { ...QUIET }, recycle: false };
}

/** Codes after which the plugin's runtime is thrown away and rebuilt from its code. */
export const RECYCLE_CODES: ReadonlySet<ErrorCode> = new Set([
  'LIMIT_TIME',
  'LIMIT_MEMORY',
  'LIMIT_STACK',
  'INTERNAL',
]);

/** An error value's parts, as read from the VM (each cut to a bounded length). */
export interface ThrownInfo {
  name?: string;
  message?: string;
  stack?: string;
}

/** The codes the bootstrap fails a call with: any other code a VM claims is forged. */
const BOOTSTRAP_CODES: ReadonlySet<ErrorCode> = new Set([
  'INVALID_PLUGIN',
  'INVALID_OUTPUT',
  'OUTPUT_TOO_LARGE',
  'DISPATCH_LIMIT',
  'INVALID_STATE',
]);

/** The JSON object a VM reported, or a CorruptedVmError (recycled) if it is not one. */
function reportObject(json: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    value = undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new CorruptedVmError('INVALID_OUTPUT', 'The plugin VM reported a malformed failure');
  }
  return value as Record<string, unknown>;
}

/**
 * The error of a failure the bootstrap reported (its JSON, after the mark), rebuilt by host
 * code from what it may hold: one of the bootstrap's codes (else the report is forged, and
 * INVALID_OUTPUT) and a message cut to 1,000 characters. INVALID_STATE, the caller's fault, is
 * not taken from the VM at all: the bootstrap says it of a state text it could not parse (see
 * `callInput`), so the host parses the call's state texts (`input`) itself and names the one
 * that is not JSON, or else the report is forged.
 */
export function bootstrapFailure(json: string, input: string | null): CorralError {
  const report = reportObject(json);
  const code = report.code as ErrorCode;
  const message = typeof report.message !== 'string' ? null : report.message.slice(0, 1000) || code;
  const state = code === 'INVALID_STATE' ? unparsableState(input) : null;
  if (!BOOTSTRAP_CODES.has(code) || message === null || (code === 'INVALID_STATE' && state === null)) {
    throw new CorruptedVmError('INVALID_OUTPUT', 'The plugin VM reported a malformed or forged failure', {
      ...(typeof report.code === 'string' ? { claimedCode: report.code.slice(0, 40) } : {}),
    });
  }
  if (state === null) return new CorralError(code, message);
  return new CorralError(code, `${state} is not JSON text`, { state, path: '', issue: 'not JSON text' });
}

/** The first state of a call input in parts (RS-separated texts) that is not JSON, if any. */
function unparsableState(input: string | null): 'pluginState' | 'globalState' | null {
  if (input === null || input.charCodeAt(0) !== 0x1e) return null;
  const parts = input.split('\u001e');
  for (const [i, state] of [
    [2, 'pluginState'],
    [3, 'globalState'],
  ] as const) {
    try {
      JSON.parse(parts[i] ?? '');
    } catch {
      return state;
    }
  }
  return null;
}

/** What a plugin threw, as the bootstrap described it: only its string parts are kept. */
export function thrownInfo(json: string): ThrownInfo {
  const report = reportObject(json);
  const info: ThrownInfo = {};
  for (const key of ['name', 'message', 'stack'] as const) {
    const part = report[key];
    if (typeof part === 'string') info[key] = part.slice(0, 2000);
  }
  return info;
}

/** The sticky facts of the call in progress that decide what a VM-side error means. */
export interface CallFacts {
  growRefused: boolean;
  timedOut: boolean;
  timeoutMs: number;
  limits: RuntimeLimits;
}

/** Name an error that escaped the plugin: a limit it hit, or `fallback` with its details. */
export function classifyThrow(info: ThrownInfo, fallback: ErrorCode, facts: CallFacts): CorralError {
  const message = info.message ?? '';
  const { limits } = facts;
  if (facts.growRefused) return limitError('LIMIT_MEMORY', limits.memoryBytes);
  if (facts.timedOut) return limitError('LIMIT_TIME', facts.timeoutMs);
  if (isStackOverflow(info.name, message)) return limitError('LIMIT_STACK', limits.stackBytes);
  if (
    info.name === 'InternalError' &&
    /out of memory|string too long|invalid array buffer length/i.test(message)
  ) {
    return limitError('LIMIT_MEMORY', limits.memoryBytes);
  }
  if (info.name === 'RangeError' && /invalid array (buffer )?length|array too long/i.test(message)) {
    return limitError('LIMIT_MEMORY', limits.memoryBytes);
  }
  if (info.name === 'InternalError' && message === 'interrupted')
    return limitError('LIMIT_TIME', facts.timeoutMs);
  // Capped here, by host code, whatever the VM's texts claim (the bootstrap caps them too).
  const details: JSONObject = {};
  if (info.name) details.name = String(info.name).slice(0, 200);
  details.message = String(message).slice(0, 2000);
  if (info.stack) details.stack = String(info.stack).slice(0, 2000);
  const hints = pluginErrorHints(info);
  Object.assign(details, hints.details);
  const what = fallback === 'LOAD_FAILED' ? 'Loading the plugin failed' : 'The plugin threw';
  return new CorralError(
    fallback,
    `${what}: ${info.name ? `${info.name}: ` : ''}${message.slice(0, 300)}${hints.suffix}`.slice(0, 500),
    details,
  );
}

function isStackOverflow(name: string | undefined, message: string): boolean {
  return (
    (name === 'InternalError' && /stack overflow/i.test(message)) ||
    (name === 'RangeError' && /maximum call stack size exceeded/i.test(message)) ||
    (name === 'SyntaxError' && /stack overflow/i.test(message))
  );
}

export function limitError(code: 'LIMIT_TIME' | 'LIMIT_MEMORY' | 'LIMIT_STACK', limit: number): CorralError {
  switch (code) {
    case 'LIMIT_TIME':
      return new CorralError(code, `The call overran its ${limit} ms deadline and was interrupted`, {
        limitMs: limit,
      });
    case 'LIMIT_MEMORY':
      return new CorralError(code, `The plugin went past its ${limit}-byte memory limit`, {
        memoryBytes: limit,
      });
    case 'LIMIT_STACK':
      return new CorralError(code, `The plugin recursed past its ${limit}-byte stack limit`, {
        stackBytes: limit,
      });
  }
}

/** How deep a dispatch payload may nest: the bootstrap stops it there, the host checks again. */
export const PAYLOAD_DEPTH = 64;

/** Values serialized per ms of a call's deadline before the output counts as too large. */
const VALUES_PER_MS = 200;

/** The in-VM limits the bootstrap enforces before serializing anything, as JSON. */
export function vmLimits(limits: RuntimeLimits): string {
  // Every value of a serialized output takes at least a byte or two of JSON, and a UI node is
  // a handful of values, so size-derived counts stop an exponentially shared structure long
  // before its text would reach the byte limits. Each count is also capped by time: a shared
  // DAG serializes at 500–660 values per ms on quickjs and 310–450 on quickjs-ng with the
  // counting replacer, so at 200 per ms of the deadline running out of values takes about half
  // the call's time on the slower engine, and such an output fails OUTPUT_TOO_LARGE rather than
  // LIMIT_TIME.
  const byTime = (timeoutMs: number): number => VALUES_PER_MS * timeoutMs;
  return JSON.stringify({
    maxTreeValues: Math.min(limits.maxOutputNodes * 8, byTime(limits.renderTimeoutMs)),
    maxTreeBytes: limits.maxOutputBytes,
    maxStateBytes: limits.maxStateBytes,
    maxPayloadBytes: limits.maxPayloadBytes,
    maxDispatches: limits.maxDispatchesPerEvent,
    maxStateValues: Math.max(
      64,
      Math.min(Math.floor(limits.maxStateBytes / 2), byTime(limits.eventTimeoutMs)),
    ),
    maxPayloadValues: Math.max(16, Math.floor(limits.maxPayloadBytes / 2)),
    maxPayloadDepth: PAYLOAD_DEPTH,
    // No array holds more elements than memoryBytes / 8 (QuickJS takes 8 or more bytes for
    // each): a longer length is sparse, and the bootstrap refuses the native loops over it.
    maxElements: Math.floor(limits.memoryBytes / 8),
  });
}
