import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commands } from 'vitest/browser';
import { defineConformanceSuite } from '@corral/core/testing';
import { createBrowserSandbox } from '@corral/worker-browser';

const fixtures = await commands.corralFixtures();

for (const engine of ['quickjs', 'quickjs-ng'] as const) {
  defineConformanceSuite(
    { describe, it, expect, beforeAll, afterAll },
    {
      name: `browser worker pool (${engine})`,
      source: 'browser-worker',
      fixtures,
      transportSlackMs: 5,
      createClient: () =>
        createBrowserSandbox({ poolSize: 2, engine, allowedGlobalActions: ['notifications/add'] }),
    },
  );
}

describe('under the strict CSP', () => {
  it('raised no violation in the page or any worker', async () => {
    expect(await commands.cspReports()).toEqual([]);
  });
});
