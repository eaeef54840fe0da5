import quickjs from '@jitl/quickjs-wasmfile-release-sync';
import quickjsNg from '@jitl/quickjs-ng-wasmfile-release-sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInProcessSandbox } from '@corral/core';
import { defineConformanceSuite } from '@corral/core/testing';
import { readFixtures } from './fixtures.js';

const fixtures = readFixtures();

for (const [engine, variant] of [
  ['quickjs', quickjs],
  ['quickjs-ng', quickjsNg],
] as const) {
  defineConformanceSuite(
    { describe, it, expect, beforeAll, afterAll },
    {
      name: `in-thread (${engine})`,
      source: 'in-thread',
      fixtures,
      createClient: () => createInProcessSandbox({ variant, allowedGlobalActions: ['notifications/add'] }),
    },
  );
}
