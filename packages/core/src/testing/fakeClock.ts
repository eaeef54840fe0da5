/**
 * @module fakeClock
 * A `Clock` whose time moves only when a test says so, for watchdogs, grace periods, backoff
 * and failure windows: a test of a 5 s cool-down runs in microseconds, and cannot flake on a
 * loaded machine because nothing depends on how fast the machine is.
 *
 * `advance(ms)` moves time forward and runs every timer that falls due, in due order (ties in
 * the order they were set), each at its own due time, so `now()` inside a callback reads the
 * time it was scheduled for. Between timers it lets the callbacks' promise continuations and
 * already-queued host events (a message from a real worker, say) run, as a real event loop
 * would; timers those continuations set within the window run in the same `advance`.
 */
import { createSystemClock, type Clock } from '../clock.js';

export interface FakeClock extends Clock {
  /**
   * Move time forward by `ms`, running each timer that falls due (in due order) and letting the
   * work it starts settle before the next one runs.
   */
  advance(ms: number): Promise<void>;
  /** Let queued promise continuations and host events run without moving time. */
  settle(): Promise<void>;
  /** Timers set and not yet run or cleared. */
  pendingTimers(): number;
}

export interface FakeClockOptions {
  /** Starting monotonic time, ms. Default 0. */
  now?: number;
  /** Wall-clock time when `now()` is 0, ms since the epoch. Default 1_700_000_000_000. */
  epoch?: number;
}

interface Timer {
  id: number;
  due: number;
  callback: () => void;
}

export function createFakeClock(options: FakeClockOptions = {}): FakeClock {
  // Only `settle` touches real time: one real macrotask turn, so host events already queued
  // (worker messages, I/O callbacks) are delivered as they would be between two timers.
  const real = createSystemClock();
  let now = options.now ?? 0;
  const epoch = (options.epoch ?? 1_700_000_000_000) - now;
  let nextId = 1;
  const timers = new Map<number, Timer>();

  /** The earliest timer due at or before `until` (ties: the one set first). */
  function nextDue(until: number): Timer | undefined {
    let best: Timer | undefined;
    for (const timer of timers.values()) {
      if (timer.due > until) continue;
      if (!best || timer.due < best.due || (timer.due === best.due && timer.id < best.id)) best = timer;
    }
    return best;
  }

  const settle = (): Promise<void> =>
    new Promise<void>((resolve) => {
      real.setTimeout(resolve, 0);
    });

  return {
    now: () => now,
    epochNow: () => epoch + now,
    setTimeout(callback, ms) {
      const id = nextId++;
      const delay = Number.isFinite(ms) && ms > 0 ? ms : 0;
      timers.set(id, { id, due: now + delay, callback });
      return id;
    },
    clearTimeout(handle) {
      if (typeof handle === 'number') timers.delete(handle);
    },
    async advance(ms) {
      if (!(ms >= 0)) throw new RangeError(`advance needs a non-negative number of ms, got ${ms}`);
      const until = now + ms;
      await settle();
      for (let timer = nextDue(until); timer; timer = nextDue(until)) {
        timers.delete(timer.id);
        now = Math.max(now, timer.due);
        timer.callback();
        await settle();
      }
      now = until;
    },
    settle,
    pendingTimers: () => timers.size,
  };
}
