/**
 * @module sandbox
 * The one place the server chooses where plugins run: `@corral/worker-node`'s pool of
 * worker_threads, configured from the server's config. Everything above it only sees core's
 * SandboxClient plus the two gauges the metrics read.
 */
import { LIMIT_PROFILES } from '@corral/contracts';
import type { JsonResultClient, SandboxClient } from '@corral/core';
import { createNodeSandbox } from '@corral/worker-node';
import type { ServerConfig } from './config.js';

/** What the server needs from a sandbox: the contract, plus restarts and queue depth for metrics. */
export interface ServerSandbox extends SandboxClient, Partial<JsonResultClient> {
  /** Workers replaced so far. */
  restarts(): number;
  /** Calls sent to workers and not yet settled. */
  queueDepth(): number;
}

/** Which lane a sandbox serves: the main workers, or the quarantine lane for suspect plugins. */
export type SandboxLane = 'main' | 'quarantine';

/** Build the sandbox for one lane (default `main`). */
export type SandboxFactory = (config: ServerConfig, lane?: SandboxLane) => Promise<ServerSandbox>;

export const createServerSandbox: SandboxFactory = (config, lane = 'main') =>
  createNodeSandbox({
    ...(lane === 'quarantine'
      ? { poolSize: config.quarantinePoolSize, niceness: config.quarantineNiceness }
      : { poolSize: config.poolSize }),
    engine: config.engine,
    spinMs: config.spinMs,
    source: 'server',
    allowedGlobalActions: config.allowedGlobalActions,
    limitsCeiling: LIMIT_PROFILES[config.profile],
  });
