/**
 * @module createInProcessSandbox
 * The runtime behind an in-process transport: the same client/service path a worker uses,
 * without the worker. What the conformance suite runs first, and what a host uses when it
 * already runs inside a worker.
 */
import { createRuntime, type RuntimeOptions } from './runtime/createRuntime.js';
import { createRuntimeService } from './rpc/createRuntimeService.js';
import {
  createSandboxClient,
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
  clientSide.close = () => {
    service.close();
    runtime.dispose();
    return close();
  };
  return createSandboxClient(clientSide, { clock: options.clock, ...options.client });
}
