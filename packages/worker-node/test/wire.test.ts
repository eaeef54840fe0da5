/**
 * The worker's two ways of taking a request, over real threads: from its event loop, and by
 * polling its port right after an answer (spinMs). Either way every call is answered once, with
 * its own result.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createNodeSandbox, type NodeSandbox } from '@corral/worker-node';
import { readFixtures } from './fixtures.js';

const { counter } = readFixtures();
const render = (sandbox: NodeSandbox, count: number) =>
  sandbox.render({ pluginId: 'c', widgetId: 'main', pluginState: { count }, globalState: {} });
const countShown = (tree: unknown) => /Count: (\d+)/.exec(JSON.stringify(tree))?.[1];

describe('requests reaching a worker', () => {
  let sandbox: NodeSandbox | null = null;
  afterEach(async () => {
    await sandbox?.close();
    sandbox = null;
  });

  for (const spinMs of [0, 0.25, 20]) {
    it(`answers back-to-back and queued calls each with its own result (spinMs ${spinMs})`, async () => {
      sandbox = await createNodeSandbox({ poolSize: 1, spinMs });
      await sandbox.loadPlugin({ pluginId: 'c', code: counter });
      for (let i = 0; i < 100; i++) expect(countShown((await render(sandbox, i)).tree)).toBe(String(i));
      // Queued while the worker is busy: taken from the port one by one, in order.
      const burst = await Promise.all(Array.from({ length: 100 }, (_, i) => render(sandbox!, 1000 + i)));
      expect(burst.map((r) => countShown(r.tree))).toEqual(burst.map((_, i) => String(1000 + i)));
      const health = await sandbox.health();
      expect(health.plugins.map((p) => p.pluginId)).toEqual(['c']);
    });
  }
});
