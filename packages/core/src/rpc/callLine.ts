/**
 * @module callLine
 * The calls sent to one worker and not yet answered, in the order it runs them, and the
 * watchdog that times the one at the head of the line.
 *
 * Why a watchdog at all: QuickJS's interrupt cannot stop everything (a built-in like a huge
 * sort never calls back), so the only hard guarantee is killing the thread. The runtime answers
 * calls in order, so the watchdog times the head from the later of its send time and the
 * previous answer: a busy-but-healthy worker is never killed for a queue.
 */
import type { CorralError, RpcOp, RpcRequest, RpcResult } from '@corral/contracts';
import type { Clock } from '../clock.js';

export interface Pending {
  id: number;
  op: RpcOp;
  pluginId: string | null;
  timeoutMs: number;
  sentAt: number;
  /** Resolve with the result's JSON text rather than its value. */
  json: boolean;
  request: RpcRequest;
  resolve: (result: RpcResult | string) => void;
  reject: (error: CorralError) => void;
  /**
   * Settled by its caller's signal. It stays in line until answered, because the other side
   * still runs it before the calls behind it: the watchdog times the line as it really is.
   */
  cancelled?: boolean;
}

export class CallLine {
  private readonly pending = new Map<number, Pending>();
  private lastProgress = 0;
  private timer: unknown = null;
  /** When the armed timer fires (it re-checks the head then). */
  private timerDue = Number.POSITIVE_INFINITY;

  /** `overrun` gets the head once it has overrun its deadline plus grace (already out of line). */
  constructor(
    private readonly clock: Clock,
    readonly graceMs: number,
    private readonly overrun: (head: Pending) => void,
  ) {}

  add(entry: Pending): void {
    if (this.pending.size === 0) this.lastProgress = entry.sentAt;
    this.pending.set(entry.id, entry);
    this.arm();
  }

  has(entry: Pending): boolean {
    return this.pending.get(entry.id) === entry;
  }

  /** The answered call, out of line; the line made progress. */
  answered(id: number): Pending | undefined {
    const entry = this.pending.get(id);
    if (!entry) return undefined;
    this.pending.delete(id);
    this.lastProgress = this.clock.now();
    this.arm();
    return entry;
  }

  /** Take a call out of line that the other side will not answer. */
  remove(entry: Pending): void {
    if (this.pending.delete(entry.id)) this.arm();
  }

  head(): Pending | undefined {
    return this.pending.values().next().value;
  }

  /** Every call, out of line, head first; the watchdog stops. */
  drain(): Pending[] {
    const entries = [...this.pending.values()];
    this.pending.clear();
    this.disarm();
    return entries;
  }

  /**
   * Time the head. A timer already due no later than the head's deadline is kept (it re-checks
   * whatever the head is when it fires), so a busy line does not re-arm a timer on every send
   * and answer.
   */
  private arm(): void {
    const head = this.head();
    if (!head) return this.disarm();
    const due = this.deadlineOf(head);
    if (this.timer !== null && this.timerDue <= due) return;
    this.disarm();
    this.schedule(due, Math.max(0, due - this.clock.now()) + 1, false);
  }

  private deadlineOf(head: Pending): number {
    return Math.max(head.sentAt, this.lastProgress) + head.timeoutMs + this.graceMs;
  }

  private schedule(due: number, ms: number, confirm: boolean): void {
    this.timerDue = due;
    this.timer = this.clock.setTimeout(() => this.check(confirm), ms);
  }

  private disarm(): void {
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
    this.timerDue = Number.POSITIVE_INFINITY;
  }

  private check(confirmed: boolean): void {
    this.timer = null;
    this.timerDue = Number.POSITIVE_INFINITY;
    const head = this.head();
    if (!head) return;
    if (this.clock.now() < this.deadlineOf(head)) return this.arm();
    // Timers can run before messages that already arrived (a host that was itself blocked):
    // give queued replies one more turn before declaring the worker stuck.
    if (!confirmed) return this.schedule(this.clock.now(), 0, true);
    this.pending.delete(head.id);
    this.overrun(head);
    this.arm();
  }
}
