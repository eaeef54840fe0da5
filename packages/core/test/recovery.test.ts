/**
 * What follows a memory failure on an engine that was not replaced: the failed call's flags must
 * not leak into VMs built afterwards (the spare built while idle, a new plugin's, the failed
 * plugin's rebuilt one).
 */
import quickjs from '@jitl/quickjs-wasmfile-release-sync';
import { describe, expect, it } from 'vitest';
import { CorralError } from '@corral/contracts';
import { createRuntime } from '@corral/core';
import { ATTACKS, armedPlugin } from '@corral/core/testing';
import { readFixtures } from './fixtures.js';

const { counter } = readFixtures();

describe('after a memory failure', () => {
  it('the next loads and calls build working VMs, spare included', async () => {
    const runtime = await createRuntime({ variant: quickjs });
    try {
      const limits = { memoryBytes: 4 * 1024 * 1024, renderTimeoutMs: 200 };
      await runtime.loadPlugin({
        pluginId: 'bomb',
        code: armedPlugin('render', ATTACKS.typedArrays),
        limits,
      });
      const heapBefore = (await runtime.health()).heapBytes;
      const failure = await runtime
        .render({ pluginId: 'bomb', widgetId: 'main', pluginState: { attack: true }, globalState: {} })
        .catch((e: unknown) => CorralError.fromUnknown(e));
      expect(failure).toMatchObject({ code: 'LIMIT_MEMORY' });
      // The heap grew by less than the compaction slack: the same engine carries on.
      const health = await runtime.health();
      expect(health.moduleRestarts).toBe(0);
      expect(health.heapBytes - heapBefore).toBeLessThan(8 * 1024 * 1024);
      await new Promise((r) => setTimeout(r, 20)); // idle: the spare VM is built now
      for (const pluginId of ['first', 'second']) {
        await runtime.loadPlugin({ pluginId, code: counter });
        const { tree } = await runtime.render({
          pluginId,
          widgetId: 'main',
          pluginState: { count: 3 },
          globalState: {},
        });
        expect(JSON.stringify(tree)).toContain('Count: 3');
      }
      const again = await runtime.render({
        pluginId: 'bomb',
        widgetId: 'main',
        pluginState: {},
        globalState: {},
      });
      expect(again.tree).toEqual({ kind: 'text', text: 'ok' });
    } finally {
      runtime.dispose();
    }
  });
});
