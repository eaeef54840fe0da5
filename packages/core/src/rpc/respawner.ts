/**
 * @module respawner
 * Starting a replacement worker without a respawn loop: failed boots back off (40, 80 ms…)
 * and, after `maxBootFailures` in a row, stop until `cooldownMs` has passed. A replacement
 * serves as soon as it takes requests; plugins reload into it on their next call.
 */
import { CorralError } from '@corral/contracts';
import type { Clock } from '../clock.js';
import type { Supervisor } from './sandboxClient.js';
import type { Transport } from './transport.js';

export class Respawner {
  private ready: Promise<void> = Promise.resolve();
  /** No replacement is being started: calls need not wait for one. */
  settled = true;
  private bootFailures = 0;
  private gaveUpAt: number | null = null;
  private stopped = false;

  constructor(
    private readonly clock: Clock,
    private readonly supervisor: Supervisor | undefined,
    /** Take the new worker on; false when the client closed meanwhile (it is killed then). */
    private readonly adopt: (transport: Transport) => boolean,
  ) {}

  /** The client closed: start nothing more. */
  stop(): void {
    this.stopped = true;
  }

  /** A worker answered: its boot succeeded. */
  answered(): void {
    this.bootFailures = 0;
  }

  /** WORKER_CRASHED for a call that finds no worker after a respawn attempt. */
  unavailable(): CorralError {
    if (!this.supervisor)
      return new CorralError('WORKER_CRASHED', 'The worker is gone and nothing replaces it');
    return new CorralError('WORKER_CRASHED', 'The worker could not be started; retrying after a cool-down', {
      bootFailures: this.bootFailures,
    });
  }

  /** Wait for the replacement being started, but no longer than `ms`. */
  async wait(ms: number, timeoutMs: number): Promise<void> {
    let timer: unknown = null;
    const expired = new Promise<'expired'>((resolve) => {
      timer = this.clock.setTimeout(() => resolve('expired'), ms);
    });
    const outcome = await Promise.race([this.ready.then(() => 'ready' as const), expired]);
    this.clock.clearTimeout(timer);
    if (outcome === 'expired') {
      throw new CorralError('WORKER_CRASHED', 'No worker became ready within the call deadline', {
        timeoutMs,
      });
    }
  }

  /** Start a replacement, unless one is starting or the cool-down after failed boots runs. */
  respawn(onBooted: () => void): Promise<void> {
    const supervisor = this.supervisor;
    if (!supervisor || this.stopped || !this.settled) return this.ready;
    const cooldownMs = supervisor.cooldownMs ?? 5000;
    if (this.gaveUpAt !== null && this.clock.now() - this.gaveUpAt < cooldownMs) return this.ready;
    this.gaveUpAt = null;
    this.settled = false;
    const ready = this.boot(supervisor, onBooted);
    this.ready = ready;
    const settle = () => {
      if (this.ready === ready) this.settled = true;
    };
    void ready.then(settle, settle);
    return ready;
  }

  private async boot(supervisor: Supervisor, onBooted: () => void): Promise<void> {
    const maxFailures = supervisor.maxBootFailures ?? 3;
    while (!this.stopped) {
      try {
        const transport = await supervisor.spawn();
        if (this.stopped || !this.adopt(transport)) await supervisor.kill(transport);
        else onBooted();
        return;
      } catch {
        this.bootFailures++;
        if (this.bootFailures >= maxFailures) {
          this.gaveUpAt = this.clock.now();
          return;
        }
        await new Promise((r) => this.clock.setTimeout(() => r(undefined), 20 * 2 ** this.bootFailures));
      }
    }
  }
}
