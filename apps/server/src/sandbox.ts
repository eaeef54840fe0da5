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

export type SandboxFactory = (config: ServerConfig) => Promise<ServerSandbox>;

export const createServerSandbox: SandboxFactory = (config) =>
  createNodeSandbox({
    poolSize: config.poolSize,
    engine: config.engine,
    source: 'server',
    allowedGlobalActions: config.allowedGlobalActions,
    limitsCeiling: LIMIT_PROFILES[config.profile],
  });
