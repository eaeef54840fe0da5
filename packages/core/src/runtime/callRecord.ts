/**
 * @module callRecord
 * What one call reports: the call diagnostic every load, render and event publishes, and, for a
 * render or event, the bridge sink that collects the plugin's log lines and refuses dispatches
 * while it runs.
 */
import {
  CorralError,
  utf8Length,
  type CallDiagnostic,
  type LogDiagnostic,
  type RpcNotification,
  type RpcOp,
  type RuntimeLimits,
} from '@corral/contracts';
import type { Clock } from '../clock.js';
import type { CallSink } from './bridge.js';
import type { StackGrant } from './stackBudget.js';
import type { CallOutcome } from './vmResult.js';

/** The levels a log line may have. */
const LEVELS: ReadonlySet<string> = new Set(['debug', 'info', 'warn', 'error']);

/** How a call ended, for its diagnostic. */
export interface CallEnd {
  /** The error the call failed with, or null when it succeeded. */
  failure: CorralError | null;
  /** What the VM reported (deadline, memory cap). */
  outcome: CallOutcome;
}

/** Milliseconds rounded to the microsecond, as diagnostics carry them. */
export function roundMs(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

/** Where a call diagnostic goes and what it says beyond how the call ended. */
export interface DiagnosticTarget {
  pluginId: string;
  op: RpcOp;
  /** The plugin's stack as granted. */
  stack: StackGrant;
  /** `clock.now()` when the call began. */
  started: number;
  clock: Clock;
  notify: (notification: RpcNotification) => void;
}

/** Build and publish the diagnostic of a call that has no CallRecord (a load). */
export function publishCallDiagnostic(target: DiagnosticTarget, end: CallEnd): CallDiagnostic {
  const diagnostic: CallDiagnostic = {
    kind: 'call',
    pluginId: target.pluginId,
    op: target.op,
    elapsedMs: roundMs(target.clock.now() - target.started),
    interrupted: end.outcome.interrupted,
    memoryError: end.outcome.memoryError,
    ...target.stack,
  };
  if (end.failure) diagnostic.errorCode = end.failure.code;
  target.notify({ notification: 'diagnostic', diagnostic });
  return diagnostic;
}

/** What a render or event's record is built from. */
export interface CallRecordOptions {
  pluginId: string;
  limits: RuntimeLimits;
  /** The plugin's stack as granted. */
  stack: StackGrant;
  op: 'render' | 'event';
  /** The `now` and `seed` the call runs with. */
  now: number;
  seed: number;
  /** `clock.now()` when the call began. */
  started: number;
  clock: Clock;
  notify: (notification: RpcNotification) => void;
}

/**
 * Everything one render/event call collects: the bridge sink (intents, logs, now), and its
 * call diagnostic once it ends.
 */
export class CallRecord implements CallSink {
  readonly logs: LogDiagnostic[] = [];
  readonly now: number;
  private droppedLogs = 0;
  private readonly result: CallDiagnostic;

  constructor(private readonly options: CallRecordOptions) {
    this.now = options.now;
    this.result = {
      kind: 'call',
      pluginId: options.pluginId,
      op: options.op,
      elapsedMs: 0,
      interrupted: false,
      memoryError: false,
      now: options.now,
      seed: options.seed,
      ...options.stack,
    };
  }

  /**
   * The bridge's dispatch functions carry only refusals the bootstrap found (intents travel
   * with the output): each ends the call with its code.
   */
  dispatch(_scope: 'plugin' | 'global', _type: string, refusalJson: string): void {
    let refusal: { code?: unknown; message?: unknown } = {};
    try {
      refusal = JSON.parse(refusalJson) as typeof refusal;
    } catch {
      // Not from the bootstrap: refused all the same.
    }
    const message = typeof refusal.message === 'string' ? refusal.message.slice(0, 300) : 'dispatch refused';
    throw new CorralError('DISPATCH_LIMIT', message, { op: this.options.op });
  }

  log(level: 'debug' | 'info' | 'warn' | 'error', message: string): void {
    const { limits, pluginId, notify } = this.options;
    if (typeof message !== 'string') message = String(message);
    if (this.logs.length >= limits.maxLogsPerCall) {
      this.droppedLogs++;
      return;
    }
    let text = message.length > limits.maxLogBytes ? message.slice(0, limits.maxLogBytes) : message;
    while (utf8Length(text) > limits.maxLogBytes) text = text.slice(0, -1);
    // The level and text came out of the VM: a level that is not one of the four is 'info'.
    const entry: LogDiagnostic = {
      kind: 'log',
      pluginId,
      level: LEVELS.has(level) ? level : 'info',
      message: text,
    };
    this.logs.push(entry);
    notify({ notification: 'log', log: entry });
  }

  callNow(): number {
    return this.now;
  }

  /** Complete the call's diagnostic (already referenced by the result) and publish it. */
  finish(end: CallEnd): void {
    const { limits, pluginId, clock, started, notify } = this.options;
    if (this.droppedLogs > 0) {
      const note: LogDiagnostic = {
        kind: 'log',
        pluginId,
        level: 'warn',
        message: `${this.droppedLogs} log line(s) dropped (maxLogsPerCall ${limits.maxLogsPerCall})`,
      };
      this.logs.push(note);
      notify({ notification: 'log', log: note });
    }
    this.result.elapsedMs = roundMs(clock.now() - started);
    this.result.interrupted = end.outcome.interrupted;
    this.result.memoryError = end.outcome.memoryError;
    if (end.failure) this.result.errorCode = end.failure.code;
    notify({ notification: 'diagnostic', diagnostic: this.result });
  }

  diagnostic(): CallDiagnostic {
    return this.result;
  }
}
