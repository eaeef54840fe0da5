/**
 * Core's conformance suite, unchanged, against `createHttpSandbox` over a real server on an
 * ephemeral port: every call crosses real HTTP, the server's validation and tenant mapping,
 * and a worker thread. The server stamps dispatches and health with `source: 'server'`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpSandbox } from '@corral/core';
import { defineConformanceSuite } from '@corral/core/testing';
import { fixtures, startServer, type TestServer } from './helpers.js';

let server: TestServer;

for (const engine of ['quickjs', 'quickjs-ng'] as const) {
  describe(`over HTTP (${engine})`, () => {
    beforeAll(async () => {
      server = await startServer({
        CORRAL_ENGINE: engine,
        CORRAL_POOL_SIZE: '2',
        CORRAL_RATE_LIMIT_MAX: '0',
      });
    });
    afterAll(() => server?.close());

    defineConformanceSuite(
      { describe, it, expect, beforeAll, afterAll },
      {
        name: `HTTP server (${engine})`,
        source: 'server',
        fixtures: { counter: fixtures.counter, todo50: fixtures.todo50, todo50State: fixtures.todo50State },
        // A loopback round trip, JSON both ways and the hop to a worker thread.
        transportSlackMs: 25,
        createClient: async () => createHttpSandbox({ baseUrl: server.url }),
      },
    );
  });
}
