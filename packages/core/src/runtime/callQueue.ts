/**
 * @module callQueue
 * Calls into a runtime run one at a time, in arrival order; a failed call never blocks the
 * next. A call that leaves the engine poisoned queues its replacement at once, so the next call
 * does not wait for a module to be instantiated inside its own deadline.
 */
import { CorralError } from '@corral/contracts';

/** What the queue asks of the runtime it serves. */
export interface CallQueueHooks {
  /** The runtime has been disposed: queued calls fail with OVERLOADED. */
  disposed(): boolean;
  /** The engine must be replaced before the next call runs. */
  poisoned(): boolean;
  /** Replace a poisoned engine. */
  heal(): Promise<void>;
  /** Runs before every call (e.g. freeing VMs retired by the previous one). */
  beforeCall(): void;
}

export class CallQueue {
  private tail: Promise<unknown> = Promise.resolve();
  /** Calls running or queued. */
  private busy = 0;
  /** An engine replacement is queued. */
  private healing = false;

  constructor(private readonly hooks: CallQueueHooks) {}

  /**
   * Run `task` in its turn. When nothing is queued and the engine is sound, it runs at once
   * (its promise is already settled); otherwise it waits, and a poisoned engine is replaced
   * first.
   */
  run<T>(task: () => T): Promise<T> {
    const { hooks } = this;
    if (this.busy === 0 && !hooks.disposed() && !hooks.poisoned()) {
      this.busy++;
      hooks.beforeCall();
      try {
        return Promise.resolve(task());
      } catch (error) {
        return Promise.reject(error as Error);
      } finally {
        this.busy--;
        this.healSoon();
      }
    }
    this.busy++;
    const run = this.tail.then(async () => {
      if (hooks.disposed()) throw new CorralError('OVERLOADED', 'The runtime has been disposed');
      await hooks.heal();
      hooks.beforeCall();
      return task();
    });
    const settled = (): void => {
      this.busy--;
      this.healSoon();
    };
    this.tail = run.then(settled, settled);
    return run;
  }

  private healSoon(): void {
    if (this.healing || this.hooks.disposed() || !this.hooks.poisoned()) return;
    this.healing = true;
    void this.run(() => null)
      .catch(() => undefined)
      .finally(() => {
        this.healing = false;
      });
  }
}
