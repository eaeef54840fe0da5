/**
 * @module drain
 * What a graceful shutdown waits for: requests in progress and recent arrivals. Closing the
 * listener resets connections still waiting in the kernel's accept queue, so a shutdown keeps
 * accepting until neither a connection nor a request has arrived for a settle time.
 */

export interface Activity {
  /** A request started. */
  begin(): void;
  /** A request ended. */
  end(): void;
  /** Something arrived (a connection). */
  touch(): void;
  /** Resolve once nothing is in progress and nothing arrived for `settleMs`, or at the timeout. */
  quiet(timeoutMs: number): Promise<void>;
}

/** The settle time of `quiet()`: long enough for connections queued in the kernel to show up. */
export const SETTLE_MS = 250;
const POLL_MS = 10;

export function createActivity(): Activity {
  let active = 0;
  let last = 0;
  return {
    begin() {
      active++;
      last = performance.now();
    },
    end() {
      active--;
      last = performance.now();
    },
    touch() {
      last = performance.now();
    },
    async quiet(timeoutMs) {
      const deadline = performance.now() + timeoutMs;
      while (performance.now() < deadline) {
        if (active === 0 && performance.now() - last >= SETTLE_MS) return;
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      }
    },
  };
}
