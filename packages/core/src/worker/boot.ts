/**
 * @module boot
 * What a worker host and its worker entry agree on besides core's RPC messages: the options every
 * worker sandbox takes, whatever the host, and the boot data the host hands each worker (Node's
 * `workerData`, a Web Worker's first message).
 */
import type { DispatchSource, RuntimeLimits } from '@corral/contracts';
import type { Clock } from '../clock.js';
import type { EngineName } from './engines.js';

/** Options of a worker sandbox, the same in every host (adapters add their platform's own). */
export interface WorkerSandboxOptions {
  /** Workers in the pool. Default: the host's core count. */
  poolSize?: number;
  /** Default `quickjs`. */
  engine?: EngineName;
  /** What dispatches and health are stamped with. Default: the host's own source. */
  source?: DispatchSource;
  /** Global action types the host accepts. Default none. */
  allowedGlobalActions?: string[];
  /** Upper bound on any plugin's limits. Default: the generous profile. */
  limitsCeiling?: RuntimeLimits;
  /** Hard ceiling of each worker's WebAssembly heap. Default 1 GiB. */
  heapLimitBytes?: number;
  /** Margin past a call's deadline before its worker is killed. Default 250 ms. */
  graceMs?: number;
  /** Keep one booted worker ready, so a replacement is immediate. Default true. */
  hotSpare?: boolean;
  /**
   * After answering, a worker polls this long for a follow-up call before its thread sleeps
   * (`ServeOptions.spinMs`; only where the worker's port can be polled, as in Node): back-to-back
   * calls skip a thread wake-up, at the price of up to this much CPU at the end of each burst.
   * Default 0.25 ms when the pool leaves a core free for the host's own thread
   * (`poolSize <` the host's core count), else 0: polling threads would take CPU from the very
   * thread that sends the next call.
   */
  spinMs?: number;
  /** How long a worker may take to say it is ready. Default 10,000 ms. */
  bootTimeoutMs?: number;
  /** Time source of the pool's watchdogs, boot timeouts and backoff. Default: the system clock. */
  clock?: Clock;
}

/** What the host hands each worker at start (structured-cloned). */
export interface WorkerBoot {
  /** Checked inside the worker, so a bad value fails at boot like any other broken worker. */
  engine: string;
  allowedGlobalActions: string[];
  /** What dispatches are stamped with. */
  source: DispatchSource;
  limitsCeiling?: RuntimeLimits;
  heapLimitBytes?: number;
  /** How long the worker polls for a follow-up call before sleeping (see `spinMs` above). */
  spinMs: number;
  /** Warm-up rounds before the worker says ready (see `warmUpRuntime`). Default 10. */
  warmUpRounds?: number;
  /**
   * A boot someone waits for (a pool's first members): no heavy warm-up — the engine skips its
   * JSON tier-up (`RuntimeOptions.tierUp`) and every warm-up round is a light one. Spares and
   * replacements boot while nobody waits and do both, tiering up the shared module's code.
   */
  quickStart?: boolean;
  /** The variant's `.wasm` compiled once by the host, so a boot skips compilation. */
  wasmModule?: WebAssembly.Module;
}
