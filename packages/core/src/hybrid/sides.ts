/**
 * @module sides
 * The two sides a hybrid router talks to, each with its own health: the local host (started on
 * first need; it may be missing altogether — no Worker, a CSP that blocks WebAssembly) and the
 * server. A side whose calls keep failing for host reasons is marked down for a while, so calls
 * go straight to the fallback instead of paying for a failed attempt each; after the cool-down
 * one call tries it again.
 */
import { CorralError, type Placement } from '@corral/contracts';
import type { Clock } from '../clock.js';
import type { SandboxClient } from '../rpc/sandboxClient.js';

/** How a side's host is given: a client, or a function that starts one. */
export type SideSource = SandboxClient | (() => SandboxClient | Promise<SandboxClient>);

export interface SideOptions {
  clock: Clock;
  /** Consecutive host failures after which the side is down. */
  downAfter: number;
  /** How long a side stays down before a call tries it again (ms). */
  downForMs: number;
}

/**
 * Whether a failure says the side could not take the call (so another side may), as opposed to
 * the plugin or the caller being at fault (then every side would say the same).
 */
export function isUnavailable(error: CorralError): boolean {
  if (error.code === 'OVERLOADED' || error.code === 'WORKER_CRASHED') return true;
  // A 5xx the server did not explain (a proxy's error page, a crashed process).
  return (
    error.code === 'INTERNAL' && typeof error.details?.status === 'number' && error.details.status >= 500
  );
}

export class Side {
  private client: Promise<SandboxClient> | undefined;
  private failures = 0;
  private downUntil = -Infinity;
  private lastFailure = '';

  constructor(
    readonly name: Placement,
    private readonly source: SideSource | undefined,
    private readonly options: SideOptions,
  ) {}

  /** Whether calls should be tried here now. */
  available(): boolean {
    return this.source !== undefined && this.options.clock.now() >= this.downUntil;
  }

  /** Why the side is unavailable, for messages. */
  why(): string {
    if (this.source === undefined) return `no ${this.name} host is configured`;
    return this.lastFailure || `the ${this.name} host failed`;
  }

  /** The side's client, started on first use. A start that fails is a host failure. */
  async get(): Promise<SandboxClient> {
    if (this.source === undefined) {
      throw new CorralError('WORKER_CRASHED', `No ${this.name} host is configured.`, { side: this.name });
    }
    if (this.client === undefined) {
      const source = this.source;
      this.client = Promise.resolve()
        .then(() => (typeof source === 'function' ? source() : source))
        .catch((error: unknown) => {
          this.client = undefined; // the next try after the cool-down starts it again
          const cause = error instanceof Error ? error.message : String(error);
          throw new CorralError('WORKER_CRASHED', `The ${this.name} host could not start: ${cause}`, {
            side: this.name,
          });
        });
    }
    return this.client;
  }

  /** The client if it was started (for close and health). */
  started(): Promise<SandboxClient> | undefined {
    return this.client;
  }

  succeeded(): void {
    this.failures = 0;
    this.downUntil = -Infinity;
  }

  failed(error: CorralError): void {
    this.lastFailure = `${error.code}: ${error.message}`;
    this.failures += 1;
    if (this.failures >= this.options.downAfter) {
      this.downUntil = this.options.clock.now() + this.options.downForMs;
      this.failures = 0;
    }
  }
}
