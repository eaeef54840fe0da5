/**
 * @module handshake
 * What the host passes the worker entry besides core's RPC messages: the boot data. Kept apart
 * from worker.ts so the host never loads the worker entry.
 */
import type { DispatchSource, RuntimeLimits } from '@corral/contracts';

/** What the host passes in `workerData` (structured-cloned). */
export interface WorkerBoot {
  /** Checked inside the worker, so a bad value fails at boot like any other broken worker. */
  engine: string;
  allowedGlobalActions: string[];
  /** What dispatches are stamped with. */
  source: DispatchSource;
  limitsCeiling?: RuntimeLimits;
  heapLimitBytes?: number;
  /** Nice increment the thread applies to itself at boot (see NodeSandboxOptions.niceness). */
  niceness?: number;
  /** How long the thread polls for a follow-up call before sleeping (see NodeSandboxOptions.spinMs). */
  spinMs: number;
  /** The variant's .wasm compiled once by the host, so a boot skips compilation. */
  wasmModule?: WebAssembly.Module;
}
