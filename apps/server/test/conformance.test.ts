/**
 * Core's conformance suite, unchanged, against `createHttpSandbox` over a real server on an
 * ephemeral port (`main.ts` in a process of its own): every call crosses real HTTP, the server's
 * validation and tenant mapping, and a worker thread. The server stamps dispatches and health
 * with `source: 'server'`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpSandbox } from '@corral/core';
import { defineConformanceSuite } from '@corral/core/testing';
import { fixtures, startMain } from './helpers.js';

for (const engine of ['quickjs', 'quickjs-ng'] as const) {
  describe(`over HTTP (${engine})`, () => {
    // A server process of its own, as in production: the suite's deadline checks then measure
    // the HTTP hop, not pauses of this test process's event loop.
    let server: ReturnType<typeof startMain>;
    let url: string;
    beforeAll(async () => {
      server = startMain({ CORRAL_ENGINE: engine, CORRAL_POOL_SIZE: '2', CORRAL_RATE_LIMIT_MAX: '0' });
      url = await server.url;
    });
    afterAll(async () => {
      server?.child.kill('SIGTERM');
      await server?.exited;
    });

    defineConformanceSuite(
      { describe, it, expect, beforeAll, afterAll },
      {
        name: `HTTP server (${engine})`,
        source: 'server',
        fixtures: { counter: fixtures.counter, todo50: fixtures.todo50, todo50State: fixtures.todo50State },
        // A loopback round trip, JSON both ways and the hop to a worker thread.
        transportSlackMs: 25,
        createClient: async () => createHttpSandbox({ baseUrl: url }),
      },
    );
  });
}
