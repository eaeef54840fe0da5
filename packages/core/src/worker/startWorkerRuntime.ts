/**
 * @module startWorkerRuntime
 * The inside of every worker: build the runtime the boot data asks for, warm it, and serve it on
 * the worker's port (which says ready). A worker entry only finds its boot data and its port.
 */
import { CorralError } from '@corral/contracts';
import type { Clock } from '../clock.js';
import { createRuntime } from '../runtime/createRuntime.js';
import type { RuntimeService } from '../rpc/createRuntimeService.js';
import { serveWorkerPort, warmUpRuntime, type WorkerPort } from '../rpc/workerPort.js';
import type { WorkerBoot } from './boot.js';
import { engineVariant } from './engines.js';

export interface WorkerRuntimeOptions {
  /** What the host handed this worker. */
  boot: WorkerBoot;
  /** The worker's side of its pipe to the host. */
  port: WorkerPort;
  /** The native stack this thread gives JS and WebAssembly (see `RuntimeOptions.hostStackBytes`). */
  hostStackBytes?: number;
  /** Default: the system clock. */
  clock?: Clock;
}

/**
 * Boot a worker: resolves once it serves requests. Rejects for an engine that is not one, so the
 * worker dies at boot and the host's pool counts a failed boot.
 */
export async function startWorkerRuntime(options: WorkerRuntimeOptions): Promise<RuntimeService> {
  const { boot } = options;
  const engine = engineVariant(boot.engine);
  if (!engine) throw new CorralError('INTERNAL', `Unknown engine '${boot.engine}'`, { engine: boot.engine });
  const runtime = await createRuntime({
    variant: await engine.load(),
    source: boot.source,
    allowedGlobalActions: boot.allowedGlobalActions,
    ...(options.hostStackBytes ? { hostStackBytes: options.hostStackBytes } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
    ...(boot.limitsCeiling ? { limitsCeiling: boot.limitsCeiling } : {}),
    ...(boot.heapLimitBytes ? { heapLimitBytes: boot.heapLimitBytes } : {}),
    ...(boot.wasmModule ? { wasmModule: boot.wasmModule } : {}),
    ...(boot.quickStart ? { tierUp: false } : {}),
  });
  await warmUpRuntime(runtime, boot.warmUpRounds, !boot.quickStart);
  return serveWorkerPort(runtime, options.port, {
    spinMs: boot.spinMs,
    ...(options.clock ? { clock: options.clock } : {}),
  });
}
