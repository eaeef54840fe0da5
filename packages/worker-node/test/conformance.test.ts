import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineConformanceSuite } from '@corral/core/testing';
import { createNodeSandbox } from '@corral/worker-node';
import { readFixtures } from './fixtures.js';

const fixtures = readFixtures();

// One engine's workers poll for follow-up calls after each answer (spinMs), the other's sleep
// at once, so the suite covers both ways a request reaches a worker.
for (const [engine, spinMs] of [
  ['quickjs', 0.25],
  ['quickjs-ng', 0],
] as const) {
  defineConformanceSuite(
    { describe, it, expect, beforeAll, afterAll },
    {
      name: `node worker pool (${engine}, spinMs ${spinMs})`,
      source: 'node-worker',
      fixtures,
      // Measured over 90 LIMIT_TIME calls each, alternating with an in-thread sandbox: the worker
      // boundary adds ~1.5 ms at p50 and p90 (postMessage both ways plus the diagnostics).
      transportSlackMs: 5,
      createClient: () =>
        createNodeSandbox({ poolSize: 2, engine, spinMs, allowedGlobalActions: ['notifications/add'] }),
    },
  );
}
