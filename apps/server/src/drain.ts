/**
 * @module drain
 * What a graceful shutdown waits for: requests in progress and recent arrivals. Closing the
 * listener resets connections still waiting in the kernel's accept queue, so a shutdown keeps
 * accepting until neither a connection nor a request has arrived for a settle time.
 */
import { createSystemClock, type Clock } from '@corral/core';

export interface Activity {
  /** A request started. */
  begin(): void;
  /** A request ended. */
  end(): void;
  /** Something arrived (a connection). */
  touch(): void;
  /** Resolve once nothing is in progress and nothing arrived for `SETTLE_MS`, or at the timeout. */
  quiet(timeoutMs: number): Promise<void>;
}

/** The settle time of `quiet()`: long enough for connections queued in the kernel to show up. */
export const SETTLE_MS = 250;
const POLL_MS = 10;

export function createActivity(clock: Clock = createSystemClock()): Activity {
  let active = 0;
  let last = -Infinity; // nothing has arrived yet
  const sleep = (ms: number) => new Promise<void>((resolve) => clock.setTimeout(resolve, ms));
  return {
    begin() {
      active++;
      last = clock.now();
    },
    end() {
      active--;
      last = clock.now();
    },
    touch() {
      last = clock.now();
    },
    async quiet(timeoutMs) {
      const deadline = clock.now() + timeoutMs;
      while (clock.now() < deadline) {
        if (active === 0 && clock.now() - last >= SETTLE_MS) return;
        await sleep(Math.min(POLL_MS, deadline - clock.now()));
      }
    },
  };
}
