/**
 * @module boot
 * The first message the host posts each Web Worker (browsers have no `workerData`). Kept apart
 * from worker.ts so the host never loads the worker entry.
 */
import type { DispatchSource, RuntimeLimits } from '@corral/contracts';

export interface WorkerBoot {
  /** Checked inside the worker, so a bad value fails at boot like any other broken worker. */
  engine: string;
  allowedGlobalActions: string[];
  /** What dispatches are stamped with. */
  source: DispatchSource;
  limitsCeiling?: RuntimeLimits;
  heapLimitBytes?: number;
  /** The variant's .wasm, compiled once by the host: a boot neither fetches nor compiles it. */
  wasmModule: WebAssembly.Module;
}
