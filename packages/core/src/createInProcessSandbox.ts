/**
 * @module createInProcessSandbox
 * The runtime behind an in-process transport: the same client/service path a worker uses,
 * without the worker. What the conformance suite runs first, and what a host uses when it
 * already runs inside a worker.
 *
 * A call runs on this thread, so while it runs nothing else does: an abort comes before the
 * request reaches the runtime (it is then dropped, never run) or once the call has run. What
 * interrupts a running call here is its own deadline.
 */
import { createRuntime, type RuntimeOptions } from './runtime/createRuntime.js';
import { createRuntimeService } from './rpc/createRuntimeService.js';
import {
  createSandboxClient,
  type CancellableTransport,
  type SandboxClient,
  type SandboxClientOptions,
} from './rpc/createSandboxClient.js';
import { createInProcessTransportPair } from './rpc/transport.js';

export interface InProcessSandboxOptions extends RuntimeOptions {
  /** Options of core's client; its clock defaults to the runtime's `clock`. */
  client?: Omit<SandboxClientOptions, 'supervisor'>;
}

export async function createInProcessSandbox(options: InProcessSandboxOptions): Promise<SandboxClient> {
  const runtime = await createRuntime(options);
  const [clientSide, serviceSide] = createInProcessTransportPair();
  const service = createRuntimeService(runtime, serviceSide);
  const close = clientSide.close!.bind(clientSide);
  const transport: CancellableTransport = Object.assign(clientSide, {
    close: () => {
      service.close();
      runtime.dispose();
      return close();
    },
    cancel: (id: number) => service.cancel(id),
  });
  return createSandboxClient(transport, { clock: options.clock, ...options.client });
}
