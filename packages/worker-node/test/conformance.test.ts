import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineConformanceSuite } from '@corral/core/testing';
import { createNodeSandbox } from '@corral/worker-node';
import { readFixtures } from './fixtures.js';

const fixtures = readFixtures();

for (const engine of ['quickjs', 'quickjs-ng'] as const) {
  defineConformanceSuite(
    { describe, it, expect, beforeAll, afterAll },
    {
      name: `node worker pool (${engine})`,
      source: 'node-worker',
      fixtures,
      // Measured over 90 LIMIT_TIME calls each, alternating with an in-thread sandbox: the worker
      // boundary adds ~1.5 ms at p50 and p90 (postMessage both ways plus the diagnostics).
      transportSlackMs: 5,
      createClient: () =>
        createNodeSandbox({ poolSize: 2, engine, allowedGlobalActions: ['notifications/add'] }),
    },
  );
}
