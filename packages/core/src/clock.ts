/**
 * @module clock
 * Time is passed in, never read from globals deep inside core, so tests and hosts control it.
 */

/** The clock core runs on. */
export interface Clock {
  /** Monotonic milliseconds, for deadlines and elapsed times. */
  now(): number;
  /** Wall-clock milliseconds since the epoch, for a call's default `now` and dispatch `ts`. */
  epochNow(): number;
  /** Schedule a callback (host-side deadlines). */
  setTimeout(callback: () => void, ms: number): unknown;
  /** Cancel a scheduled callback. */
  clearTimeout(handle: unknown): void;
}

/**
 * A clock over the standard globals every host has (`performance`, `Date`, `setTimeout`).
 * Adapters may pass their own; tests pass a fake.
 */
export function createSystemClock(): Clock {
  return {
    now: () => performance.now(),
    epochNow: () => Date.now(),
    setTimeout: (callback, ms) => setTimeout(callback, ms),
    clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
  };
}
