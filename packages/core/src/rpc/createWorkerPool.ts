/**
 * @module createWorkerPool
 * Everything a worker host does besides starting and stopping threads: a pool of supervised
 * clients (one per worker) joined by `createSandboxPool`, replacements taken from a hot spare,
 * the boot handshake with its timeout, and a dead transport for a worker that never booted (its
 * client's bounded respawn takes over, so a worker that crashes at boot never loops).
 *
 * Runtime-agnostic: the adapter passes `start`, which starts one worker (a Web Worker, a
 * worker_threads Worker) and returns its endpoint; the pool links it (`createWorkerLink`) and
 * terminates every worker it started when it closes. Every host gets the same supervision.
 */
import { CorralError, type RuntimeLimits } from '@corral/contracts';
import { createSystemClock, type Clock } from '../clock.js';
import { createWorkerLink, type WorkerEndpoint, type WorkerLink } from '../worker/endpoint.js';
import { createSandboxClient, type Supervisor } from './createSandboxClient.js';
import { createFailureLedger } from './failureLedger.js';
import { createSandboxPool, type SandboxPool } from './createSandboxPool.js';
import { WORKER_READY } from './workerPort.js';
import type { Transport } from './transport.js';

export interface WorkerPoolOptions {
  /** Members of the pool (workers serving calls). At least 1. */
  size: number;
  /**
   * Start one worker and return its endpoint at once; the pool awaits its `WORKER_READY`.
   * `purpose`: `first` for the members the pool starts with (their boot is what its caller waits
   * for), `replacement` for spares and replacements.
   */
  start(purpose: 'first' | 'replacement'): WorkerEndpoint;
  /** How long a worker may take to say it is ready. Default 10,000 ms. */
  bootTimeoutMs?: number;
  /** Keep one booted worker ready, so a replacement is immediate. Default true. */
  hotSpare?: boolean;
  /**
   * Boot the hot spare beside the members and resolve only once it is up too, so no first call
   * ever shares the CPU with its boot (a browser page: the first click). Default false: the spare
   * boots at the pool's first idle moment after answering a call.
   */
  spareAtStart?: boolean;
  /** Margin past a call's deadline before its worker is killed. Default: the client's (250 ms). */
  graceMs?: number;
  /** The workers' limits ceiling, so the clients time calls by the limits the workers grant. */
  limitsCeiling?: RuntimeLimits;
  /** Time source of the boot timeout, the clients' watchdogs and backoff. Default: the system clock. */
  clock?: Clock;
  /** After every member closed and every worker started was terminated. */
  onClose?(): Promise<void>;
}

export interface WorkerPool extends SandboxPool {
  /** Workers replaced so far (killed or crashed). */
  restarts(): number;
  /** Workers started so far (members, replacements, spares; failed boots included). */
  boots(): number;
  /** The worker serving a plugin's calls: its member's, or the isolation lane's. */
  linkOf(pluginId: string): WorkerLink | undefined;
  /** Whether a booted hot spare is waiting. */
  spareReady(): boolean;
  /** Workers started and not yet gone (terminated or exited, and the host confirmed it). */
  live(): number;
}

export async function createWorkerPool(options: WorkerPoolOptions): Promise<WorkerPool> {
  const clock = options.clock ?? createSystemClock();
  const size = Math.max(1, options.size);
  const workers = new Workers(options, clock, size);
  // One ledger for every member and the isolation lane: a plugin's failures follow it.
  const ledger = createFailureLedger(clock);
  /** Member `i`'s client over its first worker (slot `size` is the isolation lane's). */
  const memberOver = (i: number, first: Transport) =>
    createSandboxClient(first, {
      supervisor: workers.supervisorFor(i),
      clock,
      ledger,
      ...(options.graceMs !== undefined ? { graceMs: options.graceMs } : {}),
      ...(options.limitsCeiling ? { limitsCeiling: options.limitsCeiling } : {}),
      onRestart: () => workers.restarted(),
    });
  const spareBooted = options.spareAtStart ? workers.spareNow() : null;
  const members = await Promise.all(
    Array.from({ length: size }, async (_, i) => memberOver(i, await workers.first(i))),
  );
  await spareBooted;
  const isolated = async () =>
    memberOver(size, await workers.supervisorFor(size).spawn().catch(deadTransport));
  const pool = createSandboxPool(members, {
    isolation: { ledger, start: isolated },
    async onClose() {
      await workers.close();
      await options.onClose?.();
    },
  });
  if (!spareBooted) workers.spareWhenIdle(() => pool.queueDepth() === 0);
  return Object.assign(pool, {
    restarts: () => workers.restarts,
    boots: () => workers.boots,
    linkOf: (pluginId: string) =>
      workers.serving[pool.isolated(pluginId) ? size : (pool.memberOf(pluginId) ?? 0)],
    spareReady: () => workers.spareUp(),
    live: () => workers.started.size,
  });
}

/** The longest the hot spare waits for the pool's first idle moment before it boots anyway. */
const SPARE_LATEST_MS = 1_000;

/** The workers a pool started: their boots, the hot spare, and what each member slot runs on. */
class Workers {
  /** Every worker started and not yet terminated: all of them go when the pool closes. */
  readonly started = new Set<WorkerLink>();
  /** The worker each member slot (`size`: the isolation lane) runs on now. */
  readonly serving: (WorkerLink | undefined)[] = [];
  restarts = 0;
  boots = 0;
  private spare: Promise<WorkerLink> | null = null;
  private spareReady: WorkerLink | null = null;
  private closing = false;
  private stopWaiting: () => void = () => undefined;
  private readonly bootTimeoutMs: number;

  constructor(
    private readonly options: WorkerPoolOptions,
    private readonly clock: Clock,
    private readonly size: number,
  ) {
    this.bootTimeoutMs = options.bootTimeoutMs ?? 10_000;
  }

  /**
   * Member `i`'s first worker. One that cannot boot starts its client on a dead transport: the
   * client's bounded respawn (maxBootFailures, then a cool-down) takes over and calls fail
   * WORKER_CRASHED.
   */
  first(i: number): Promise<Transport> {
    return this.boot('first').then((link) => ((this.serving[i] = link), link.transport), deadTransport);
  }

  /**
   * Member `i`'s supervisor: replacements come from the shared hot spare when it is up. The
   * isolation lane's (`i === size`) always boot afresh: a plugin that forces kills there must
   * not use up the spare the benign members' replacements need.
   */
  supervisorFor(i: number): Supervisor {
    return {
      spawn: async () => {
        const taken = i < this.size ? this.spare : null;
        if (taken) this.spare = this.spareReady = null;
        let link = taken ? await taken.catch(() => null) : null;
        if (!link || link.exited) link = await this.boot();
        this.serving[i] = link;
        return link.transport;
      },
      kill: (transport) => transport.close?.(),
    };
  }

  /** A replacement booted: the spare refills after it, never beside it, and never in a loop. */
  restarted(): void {
    this.restarts++;
    this.clock.setTimeout(() => this.refillSpare(), 0);
  }

  spareUp(): boolean {
    return this.spareReady !== null && !this.spareReady.exited;
  }

  /**
   * The spare boots once the pool is first idle after answering a call (or SPARE_LATEST_MS after
   * the members booted, whichever comes first), not beside the first calls: on a 2-core machine a
   * thread booting beside them took CPU from the first render, whose cold start the caller waits
   * for. Until it is up, a replacement boots afresh. A member that failed its first boot
   * respawns at its first call: the spare may be what it takes, so it boots at once.
   */
  spareWhenIdle(idle: () => boolean): void {
    const firstLinks = Array.from({ length: this.size }, (_, i) => this.serving[i]);
    if (this.options.hotSpare === false) return;
    if (!firstLinks.every((link) => link !== undefined)) return void this.refillSpare();
    let checking = false;
    const bootSpare = () => {
      this.stopWaiting();
      void this.refillSpare();
    };
    const whenIdle = (): void => {
      if (checking) return;
      checking = true;
      this.clock.setTimeout(() => {
        checking = false;
        if (idle()) bootSpare();
      }, 0);
    };
    const taps = firstLinks.map((link) => link!.endpoint.on(whenIdle));
    const latest = this.clock.setTimeout(bootSpare, SPARE_LATEST_MS);
    this.stopWaiting = () => {
      this.clock.clearTimeout(latest);
      for (const off of taps.splice(0)) off();
    };
  }

  /** Boot the spare now; settles once it is up, or once its boot failed (a replacement then boots afresh). */
  spareNow(): Promise<void> {
    this.refillSpare();
    return (this.spare ?? Promise.resolve()).then(
      () => undefined,
      () => undefined,
    );
  }

  /** After every member closed: the spare, booting replacements and workers killed earlier but still exiting all go too. */
  async close(): Promise<void> {
    this.closing = true;
    this.stopWaiting();
    this.spare = this.spareReady = null;
    await Promise.all([...this.started].map((link) => link.terminate()));
  }

  private boot(purpose: 'first' | 'replacement' = 'replacement'): Promise<WorkerLink> {
    if (this.closing) return Promise.reject(new CorralError('OVERLOADED', 'The sandbox is closed'));
    this.boots++;
    const link = createWorkerLink(this.options.start(purpose));
    this.started.add(link);
    // Kept until the host says it is gone, so close() can wait for a worker still exiting.
    link.transport.onClose?.(() => void link.terminate().then(() => this.started.delete(link)));
    return awaitReady(link.transport, this.bootTimeoutMs, this.clock).then(
      () => link,
      (error: unknown) => {
        void link.terminate();
        throw error;
      },
    );
  }

  private refillSpare(): void {
    if (this.options.hotSpare === false || this.closing || this.spare) return;
    const next = this.boot();
    this.spare = next;
    next.then(
      (link) => (this.spare === next ? (this.spareReady = link) : undefined),
      () => (this.spare === next ? (this.spare = null) : undefined),
    );
  }
}

/**
 * Resolve once the transport delivers `WORKER_READY`; reject with WORKER_CRASHED if the worker
 * ends first or stays silent for `timeoutMs`.
 */
export function awaitReady(transport: Transport, timeoutMs: number, clock: Clock): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const settle = (reason: string | null): void => {
      clock.clearTimeout(timer);
      offMessage();
      offClose();
      if (reason === null) resolve();
      else reject(new CorralError('WORKER_CRASHED', `The worker failed to boot: ${reason}`, { reason }));
    };
    const offMessage = transport.on((message) => {
      if (message === WORKER_READY) settle(null);
    });
    const offClose = transport.onClose?.((reason) => settle(reason)) ?? (() => undefined);
    const timer = clock.setTimeout(() => settle(`not ready after ${timeoutMs} ms`), timeoutMs);
  });
}

/** A transport already gone: its client starts by respawning. */
function deadTransport(): Transport {
  return {
    post: () => undefined,
    on: () => () => undefined,
    onClose(listener) {
      queueMicrotask(() => listener('the worker failed to boot'));
      return () => undefined;
    },
  };
}
